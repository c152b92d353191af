"""What the AMLSim experiment scripts share: loading the data set for a command line, and one seed's
stage 1 / stage 2 of `lgbm_collective` as the benchmark's first fit builds them."""
from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from bnpl.data.loaders import load_fraud
from bnpl.data.normalised import FraudData
from bnpl.data.splits import Split
from bnpl.errors import BnplError
from bnpl.fraud.benchmark import TEST_SIZE, make_split
from bnpl.fraud.boosting import lgbm_scores
from bnpl.fraud.collective import collective_features
from bnpl.fraud.features import cached_relations, graph_features
from bnpl.fraud.graph import label_vector


def load_amlsim_or_exit(path: str) -> tuple[FraudData, np.ndarray]:
    """The AMLSim folder at ``path`` and its label vector; a bad path or file exits with one line
    (``error: ...``). Silences the UserWarnings of the feature code for a readable console."""
    warnings.filterwarnings("ignore", category=UserWarning)
    try:
        data = load_fraud("amlsim", path)
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


def stages(data: FraudData, y: np.ndarray, seed: int, cache: dict) -> Stages:
    """The benchmark's random split for ``seed``, stage 1 fitted on its training labels (early-stopped on
    validation) and a builder of stage 2's inputs; ``cache``: :func:`~bnpl.fraud.features.graph_features`'
    cache, shared across seeds."""
    split = make_split(data, "random", seed, TEST_SIZE["amlsim"], 0.1)
    tr, va = split.train, split.val
    feats = graph_features(data, tr, seed=seed, cache=cache).reset_index(drop=True)
    first = lgbm_scores(feats, y, tr, va, seed)

    def stage2_features(fold_seed: int) -> pd.DataFrame:
        soft = collective_features(data, y, tr, va, fold_seed, lambda ids: graph_features(data, ids, seed=seed, cache=cache),
                                   first, relations=cached_relations(data, cache))
        return pd.concat([feats, soft], axis=1)

    return Stages(split, feats, first, stage2_features)
