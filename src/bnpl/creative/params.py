"""Parameters of notebooks/04_creative_prototypes.ipynb."""
from __future__ import annotations

from typing import Literal

from pydantic import Field

from bnpl.params import NotebookParams


class CreativeParams(NotebookParams):
    """Validated notebook parameters; see the notebook's first markdown cell for their meaning."""

    data_dir: str = Field("data/synthetic/default", description="a saved synthetic world (generated there if missing)")
    world_seed: int = Field(0, description="seed of the world generated when data_dir is missing")
    world_transactions: int = Field(200_000, ge=1_000, description="size of the world generated when data_dir is missing")
    config: str = Field("experiments/creative.yaml", description="the creative config (backends, model ids, guardrails)")
    backend: Literal["offline", "gemini"] = Field("offline", description="offline models, or Gemini / Veo (needs credentials)")
    n_lookbooks: int = Field(2, ge=1, le=200, description="personalised lookbooks built and shown")
    n_segments: int = Field(3, ge=1, le=12, description="customer segments, one campaign message each")
    ab_customers: int = Field(20_000, ge=200, description="customers in the simulated A/B test")
    time_elasticity: float = Field(0.15, ge=0, description="simulation assumption: time in app grows as affinity ** time_elasticity")
    order_elasticity: float = Field(0.35, ge=0, description="simulation assumption: orders grow as affinity ** order_elasticity")
    enrich_images: int = Field(300, ge=1, description="product images enriched at most")
    seed: int = Field(0, description="seed of the sampling and of the simulated A/B test")
    threads: int = Field(2, ge=1, description="torch CPU threads")
