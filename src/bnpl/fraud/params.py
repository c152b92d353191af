"""Parameters of notebooks/02_fraud_gnn.ipynb."""
from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from bnpl.data.datasets import FRAUD_DATASET_NAMES
from bnpl.fraud.defaults import DEFAULT_EPOCHS, DEFAULT_HIDDEN
from bnpl.params import NotebookParams


class FraudParams(NotebookParams):
    dataset: str = Field("synthetic", description="a fraud dataset of the registry (bnpl.data.datasets)")
    data_dir: str = Field("data/synthetic/default", description="file or folder of the dataset")
    split: Literal["random", "temporal"] = Field("random", description="random stratified or temporal split")
    models: list[str] = Field(default_factory=lambda: ["lgbm_tabular", "lgbm_graph", "sage"],
                              description="models of bnpl.fraud.models.MODELS to compare")
    seeds: list[int] = Field(default_factory=lambda: [0, 1, 2], min_length=1,
                             description="one split and one fit of every model per seed")
    epochs: int = Field(DEFAULT_EPOCHS, ge=1, description="GNN epochs (early-stopped on validation AUPRC)")
    hidden: int = Field(DEFAULT_HIDDEN, ge=4, description="GNN hidden size")
    refit: bool | None = Field(None, description="test the models refitted on training + validation labels "
                                                 "(None: on the random split only)")
    n_transactions: int = Field(20000, ge=1000, description="size of the world generated when data_dir is missing")
    recent_targets: int | None = Field(20000, ge=100, description="keep the latest N target nodes (None: all)")
    explain: bool = Field(True, description="SHAP explanations of the graph booster")
    inductive_batches: int = Field(3, ge=0, description="batches of later targets scored without retraining "
                                                        "(0: skip)")
    # a window longer than the label delay, so that legit labels (confirmed 30 days after the order in the
    # synthetic world) are known at its cutoff
    inductive_targets: int | None = Field(100000, ge=100, description="the latest N targets for inductive "
                                                                      "scoring (None: all)")

    @field_validator("dataset")
    @classmethod
    def _known_dataset(cls, v: str) -> str:
        if v not in FRAUD_DATASET_NAMES:
            raise ValueError(f"unknown dataset {v!r}; expected one of {list(FRAUD_DATASET_NAMES)}")
        return v

    @field_validator("models")
    @classmethod
    def _known_models(cls, v: list[str]) -> list[str]:
        from bnpl.fraud.models import MODELS

        bad = [m for m in v if m not in MODELS]
        if bad:
            raise ValueError(f"unknown model(s) {bad}; expected some of {list(MODELS)}")
        if not v:
            raise ValueError("at least one model")
        return v
