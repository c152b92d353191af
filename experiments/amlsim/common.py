"""What the AMLSim experiment scripts share: loading the data set for a command line, and one seed's
stage 1 / stage 2 of `lgbm_collective` built by the benchmark's own stages (no refit)."""
from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from bnpl.data.datasets import fraud_dataset
from bnpl.data.normalised import FraudData
from bnpl.data.splits import Split
from bnpl.data.subset import label_vector
from bnpl.errors import BnplError
from bnpl.fraud.benchmark import BenchmarkConfig, make_pass, make_split
from bnpl.fraud.collective import collective_features
from bnpl.fraud.features import LabelFreeFeatures, graph_features, label_free_features
from bnpl.fraud.models.boosters import GraphBooster


def load_amlsim_or_exit(path: str) -> tuple[FraudData, np.ndarray]:
    """The AMLSim folder at ``path`` and its label vector; a bad path or file exits with one line
    (``error: ...``). Silences the UserWarnings of the feature code for a readable console."""
    warnings.filterwarnings("ignore", category=UserWarning)
    try:
        data = fraud_dataset("amlsim").load(path)
    except BnplError as e:
        raise SystemExit(f"error: {e}") from None
    return data, label_vector(data)


@dataclass
class Stages:
    """One seed of `lgbm_collective` without a refit, as the benchmark's first fit builds it."""
    split: Split
    feats: pd.DataFrame            # stage-1 features (label features from the training labels)
    first: np.ndarray              # stage-1 scores (`lgbm_graph`), every account
    stage2_features: Callable[[int], pd.DataFrame]     # fold seed -> stage-1 features + soft-label features
    relations: tuple                                     # the target-to-target relations (label-free structure)


def stages(data: FraudData, y: np.ndarray, seed: int, label_free: LabelFreeFeatures | None = None,
           push: bool = True) -> Stages:
    """The benchmark's random split for ``seed`` (AMLSim protocol), its first pass with the ``push``
    switch, stage 1 (``lgbm_graph``) fitted on the training labels and a builder of stage 2's inputs.
    ``label_free``: :func:`~bnpl.fraud.features.label_free_features` of ``data``, shared across seeds."""
    ds = fraud_dataset("amlsim")
    cfg = BenchmarkConfig(test_size=ds.test_size, val_size=ds.val_size, gnn_features=False, push=push)
    label_free = label_free or label_free_features(data)
    split = make_split(data, "random", seed, cfg.test_size, cfg.val_size)
    tr, va = split.train, split.val
    p = make_pass(data, cfg, seed, tr, va, label_free)
    first = GraphBooster().fit(p)

    def stage2_features(fold_seed: int) -> pd.DataFrame:
        soft = collective_features(
            data, y, tr, va, fold_seed, lambda ids: graph_features(data, ids, seed=seed, label_free=label_free, push=push),
            first, relations=label_free.relations, push=push)
        return pd.concat([p.features, soft], axis=1)

    return Stages(split, p.features, first, stage2_features, label_free.relations)
