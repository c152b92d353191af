"""Parameters of notebook 01 (data preparation).

The world fields, their defaults, bounds and meanings are :class:`~bnpl.data.synthetic.config.WorldConfig`'s
(inherited, not restated); notebook 01 adds where the world goes and an optional real dataset to card.
"""
from __future__ import annotations

from pydantic import Field, field_validator

from bnpl.data.datasets import CARD_DATASETS
from bnpl.data.synthetic.config import WorldConfig
from bnpl.params import NotebookParams

#: datasets notebook 01 can card besides the generated world
REAL_CARD_DATASETS = tuple(d for d in CARD_DATASETS if d != "synthetic")


class DataPrepParams(NotebookParams, WorldConfig):
    """Generate the synthetic world into ``out_dir`` and card it; optionally card a real dataset too."""

    out_dir: str = Field("data/synthetic/default", description="folder the generated world is saved to")
    real_dataset: str = Field("", description=f"also card this dataset: one of {', '.join(REAL_CARD_DATASETS)} "
                                              "('' for none)")
    real_path: str = Field("", description="file or folder of real_dataset")

    @field_validator("real_dataset")
    @classmethod
    def _known_dataset(cls, v: str) -> str:
        if v and v not in REAL_CARD_DATASETS:
            raise ValueError(f"unknown dataset {v!r}; expected '' or one of {list(REAL_CARD_DATASETS)}")
        return v

    def world_config(self) -> WorldConfig:
        """The generator config these parameters describe."""
        return WorldConfig(**self.model_dump(include=set(WorldConfig.model_fields)))
