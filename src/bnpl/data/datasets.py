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

    def split_sizes(self, split: str) -> tuple[float, float]:
        """(test, validation) fractions of ``split`` (one of :data:`FRAUD_SPLITS`): the dataset's own, except
        ``all-rows``, whose 60 % test share is the published RGTAN code's (fractions of all rows there)."""
        return (ALL_ROWS_TEST_SIZE if split == "all-rows" else self.test_size), self.val_size

    def load(self, path: str | Path) -> FraudData:
        from bnpl.data.loaders import load_fraud

        return load_fraud(self.name, path)


#: split protocols of the fraud benchmark (bnpl.fraud.benchmark.make_split): ``random`` (stratified over the
#: labelled targets, the dataset's protocol), ``temporal``, and ``all-rows``: the split of the published GTAN /
#: RGTAN code (AI4Risk/antifraud), stratified over every target row, unlabelled ones included
FRAUD_SPLITS = ("random", "temporal", "all-rows")
#: test share of the ``all-rows`` split: ``test_size=0.6`` in RGTAN's ``loda_rgtan_data`` (GTAN's code uses 0.2)
ALL_ROWS_TEST_SIZE = 0.6

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
