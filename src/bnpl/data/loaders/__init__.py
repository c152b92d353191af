"""Real-data loaders: one module per source, each returning a normalised form.

Fraud (:class:`~bnpl.data.normalised.FraudData`): :func:`load_fraud` with ``"s-ffsd"``,
``"amlsim"`` or ``"synthetic"``. Recommendation (:class:`~bnpl.data.normalised.InteractionData`):
:func:`load_interactions`, which recognises a MovieLens folder, an Amazon/ReChorus folder, a
synthetic world folder or a single CSV file. Loaders read in place and never copy data.
"""
from __future__ import annotations

from pathlib import Path

from bnpl.data.normalised import FraudData, InteractionData
from bnpl.errors import DataError

FRAUD_DATASETS = ("s-ffsd", "amlsim", "synthetic")
INTERACTION_DATASETS = ("movielens", "amazon", "csv", "synthetic")


def load_fraud(dataset: str, path: str | Path) -> FraudData:
    """Load fraud dataset ``dataset`` (one of :data:`FRAUD_DATASETS`) from ``path``."""
    name = dataset.strip().lower().replace("_", "-")
    path = _existing(path)
    if name in ("s-ffsd", "sffsd"):
        from bnpl.data.loaders.sffsd import load_sffsd
        return load_sffsd(path)
    if name == "amlsim":
        from bnpl.data.loaders.amlsim import load_amlsim
        return load_amlsim(path)
    if name == "synthetic":
        from bnpl.data.synthetic import load_world, world_to_fraud_data
        return world_to_fraud_data(load_world(path))
    raise DataError(f"unknown fraud dataset {dataset!r}; expected one of {list(FRAUD_DATASETS)}")


def load_interactions(path: str | Path, dataset: str | None = None) -> InteractionData:
    """Load interactions from ``path``; ``dataset`` (one of :data:`INTERACTION_DATASETS`) or detected."""
    path = _existing(path)
    name = (dataset or detect_interactions(path)).strip().lower()
    if name == "movielens":
        from bnpl.data.loaders.movielens import load_movielens
        return load_movielens(path)
    if name == "amazon":
        from bnpl.data.loaders.amazon import load_amazon_grocery
        return load_amazon_grocery(path)
    if name == "csv":
        from bnpl.data.loaders.interactions_csv import load_interactions_csv
        return load_interactions_csv(path)
    if name == "synthetic":
        from bnpl.data.synthetic import load_world, world_to_interactions
        return world_to_interactions(load_world(path))
    raise DataError(f"unknown interaction dataset {dataset!r}; expected one of {list(INTERACTION_DATASETS)}")


def detect_interactions(path: Path) -> str:
    """Name of the interaction format at ``path`` (see :data:`INTERACTION_DATASETS`)."""
    if path.is_file():
        return "csv"
    if any((path / f).is_file() for f in ("u.data", "ratings.dat", "ratings.csv")):
        return "movielens"
    if (path / "interactions.csv").is_file() or (path / "train.csv").is_file():
        return "amazon"
    if any(path.glob("*.parquet")) or any(path.glob("*/*.parquet")):
        return "synthetic"
    raise DataError(f"{path}: cannot tell the interaction format: expected a CSV file, a MovieLens folder (u.data), "
                    f"an Amazon/ReChorus folder (interactions.csv) or a synthetic world folder (Parquet tables)")


def _existing(path: str | Path) -> Path:
    p = Path(path)
    if not p.exists():
        raise DataError(f"{p}: no such file or folder")
    return p
