"""Parameters of notebooks/03_recsys_ablation.ipynb."""
from __future__ import annotations

from pydantic import Field

from bnpl.params import NotebookParams


class RecsysParams(NotebookParams):
    """Validated notebook parameters; see the notebook's first markdown cell for their meaning."""

    data_dir: str = Field("data/synthetic/default", description="a saved synthetic world (generated there if missing)")
    world_seed: int = Field(0, description="seed of the world generated when data_dir is missing")
    world_transactions: int = Field(50_000, ge=1_000, description="size of the world generated when data_dir is missing")
    grid: str = Field("experiments/recsys_ablation.yaml", description="the ablation grid (YAML)")
    seeds: list[int] = Field(default_factory=lambda: [0, 1], min_length=1, description="one fit of every grid cell per seed")
    max_users: int = Field(2000, ge=10, description="users sampled (with all their interactions) to bound run time")
    epochs: int | None = Field(None, ge=1, description="override every embedding model's epochs (smoke tests)")
    cold_start_max: int = Field(5, ge=0, description="users with at most this many training interactions are 'cold'")
    n_boot: int = Field(1000, ge=50, description="paired bootstrap resamples of the confidence intervals")
    threads: int = Field(1, ge=1, description="torch CPU threads")
