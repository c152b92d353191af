"""Parameters of notebook 01 (data preparation)."""
from __future__ import annotations

from typing import Literal

from pydantic import Field, ValidationError, model_validator

from bnpl.data.synthetic.config import WorldConfig
from bnpl.params import NotebookParams

REAL_DATASETS = ("s-ffsd", "amlsim", "movielens", "interactions", "amazon")


class DataPrepParams(NotebookParams):
    """Generate the synthetic world into ``out_dir`` and card it; optionally card a real dataset too."""

    seed: int = Field(0, ge=0, le=2**32 - 1)
    n_transactions: int = Field(200_000, ge=1_000, le=20_000_000)
    days: float = Field(180.0, gt=7, le=3650)
    account_takeover_rate: float = Field(0.004, ge=0, le=0.1)
    synthetic_identity_rate: float = Field(0.006, ge=0, le=0.1)
    mule_rate: float = Field(0.003, ge=0, le=0.1)
    merchant_collusion_rate: float = Field(0.003, ge=0, le=0.1)
    scam_rate: float = Field(0.003, ge=0, le=0.1)
    out_dir: str = "data/synthetic/default"
    real_dataset: Literal["", "s-ffsd", "amlsim", "movielens", "interactions", "amazon"] = ""
    real_path: str = ""

    @model_validator(mode="after")
    def _a_valid_world(self) -> DataPrepParams:
        """Every rule of the generator's config (e.g. the fraud rates' sum) checked before the notebook runs."""
        try:
            self.world_config()
        except ValidationError as e:
            raise ValueError("; ".join(x["msg"].removeprefix("Value error, ") for x in e.errors())) from None
        return self

    def world_config(self) -> WorldConfig:
        """The generator config these parameters describe."""
        fields = set(WorldConfig.model_fields)
        return WorldConfig(**{k: v for k, v in self.model_dump().items() if k in fields})
