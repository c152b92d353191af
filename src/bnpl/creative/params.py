"""Parameters of notebooks/04_creative_prototypes.ipynb."""
from __future__ import annotations

from typing import Literal

from pydantic import Field

from bnpl.params import NotebookParams


class CreativeParams(NotebookParams):
    """Validated notebook parameters; see the notebook's first markdown cell for their meaning."""

    data_dir: str = "data/synthetic/default"
    world_seed: int = 0
    world_transactions: int = Field(200_000, ge=1_000)
    config: str = "experiments/creative.yaml"
    backend: Literal["offline", "gemini"] = "offline"
    n_lookbooks: int = Field(2, ge=1, le=200)
    n_segments: int = Field(3, ge=1, le=12)
    ab_customers: int = Field(20_000, ge=200)
    time_elasticity: float = Field(0.15, ge=0)
    order_elasticity: float = Field(0.35, ge=0)
    enrich_images: int = Field(300, ge=1)
    seed: int = 0
    threads: int = Field(2, ge=1)
