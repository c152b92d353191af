"""The dataset registry: every fraud dataset by name, with its loader and its evaluation protocol.

The CLI (``--dataset`` choices), the notebooks' parameter models, the data card and the fraud benchmark
read dataset names and protocols from here only.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from bnpl.data.normalised import FraudData
from bnpl.errors import BnplError


@dataclass(frozen=True)
class FraudDataset:
    """A fraud dataset: ``name`` (as the loader knows it) and its protocol: the share of labelled
    targets held out for test (``test_size``) and for validation (``val_size``, carved before test on
    a random split)."""
    name: str
    test_size: float
    val_size: float
    protocol: str

    def load(self, path: str | Path) -> FraudData:
        from bnpl.data.loaders import load_fraud

        return load_fraud(self.name, path)


FRAUD_DATASETS: dict[str, FraudDataset] = {d.name: d for d in (
    FraudDataset("synthetic", 0.3, 0.1, "70/30 of transactions, validation carved from the 70"),
    FraudDataset("s-ffsd", 0.3, 0.1, "70/30 of transactions as published, validation carved from the 70"),
    FraudDataset("amlsim", 0.4, 0.1, "60/40 of accounts, validation carved from the 60"),
)}
FRAUD_DATASET_NAMES = tuple(FRAUD_DATASETS)
#: recommendation datasets the data card knows (the loader's format for each)
INTERACTION_CARD_FORMATS = {"movielens": "movielens", "interactions": "csv", "amazon": "amazon"}
CARD_DATASETS = FRAUD_DATASET_NAMES + tuple(INTERACTION_CARD_FORMATS)


def fraud_dataset(name: str) -> FraudDataset:
    """The fraud dataset called ``name``; BnplError listing the choices otherwise."""
    try:
        return FRAUD_DATASETS[name]
    except KeyError:
        raise BnplError(f"unknown fraud dataset {name!r}; expected one of {list(FRAUD_DATASET_NAMES)}") from None
