"""LightGBM on tabular, graph-aggregate and GNN-embedding features (the hybrid blueprint design)."""
from __future__ import annotations

from typing import cast

import lightgbm as lgb
import numpy as np
import pandas as pd

from bnpl.config import THREADS


class Rounds:
    """Boosting rounds of successive LightGBM fits, in call order. A recording log (the default) notes the
    round early stopping chose at each fit; :meth:`replay` gives a log that makes the same sequence of
    fits use those rounds without early stopping, for the refit on training + validation labels once
    validation has done its job (model selection, stopping)."""

    def __init__(self, replay: list[int] | None = None):
        self._replay = None if replay is None else list(replay)
        self.log: list[int] = []

    @property
    def replaying(self) -> bool:
        return self._replay is not None

    def replay(self) -> Rounds:
        return Rounds(self.log)

    def next(self) -> int:
        if not self._replay:
            raise RuntimeError("Rounds: the refit made more LightGBM fits than the recorded first fit")
        n = self._replay.pop(0)
        self.log.append(n)
        return n


def fit_lgbm(x: pd.DataFrame, y: np.ndarray, train: np.ndarray, val: np.ndarray, seed: int,
             n_estimators: int = 500, learning_rate: float = 0.08, num_leaves: int = 31,
             early_stopping: int = 30, rounds: Rounds | None = None, **params) -> lgb.LGBMClassifier:
    """Gradient boosting with early stopping on validation average precision. ``rounds``: a
    :class:`Rounds` log; when it replays, the fit uses its next round count and ignores ``val``.
    ``params``: other LightGBM settings, overriding the defaults (e.g. ``scale_pos_weight``, ``reg_lambda``)."""
    fixed = rounds is not None and rounds.replaying
    model = lgb.LGBMClassifier(**{**dict(n_estimators=cast(Rounds, rounds).next() if fixed else n_estimators,
                                         learning_rate=learning_rate, num_leaves=num_leaves, subsample=0.8,
                                         subsample_freq=1, colsample_bytree=0.8, min_child_samples=20,
                                         scale_pos_weight=1.0, random_state=seed, n_jobs=THREADS, verbose=-1,
                                         metric="average_precision"), **params})
    if fixed:
        model.fit(x.iloc[train], y[train])
        return model
    model.fit(x.iloc[train], y[train], eval_X=(x.iloc[val],), eval_y=(y[val],), eval_metric="average_precision",
              callbacks=[lgb.early_stopping(early_stopping, first_metric_only=True, verbose=False)])
    if rounds is not None:
        rounds.log.append(int(model.best_iteration_ or n_estimators))
    return model


def lgbm_scores(x: pd.DataFrame, y: np.ndarray, train: np.ndarray, val: np.ndarray, seed: int,
                **kw) -> np.ndarray:
    """Fraud probability for every row of ``x`` from a LightGBM fitted on ``train`` (early-stopped on ``val``)."""
    model = fit_lgbm(x, y, train, val, seed, **kw)
    return model.predict_proba(x)[:, 1]  # type: ignore[call-overload]  # lightgbm stub: predict_proba's return Union includes list


def out_of_fold_scores(x: pd.DataFrame, y: np.ndarray, train: np.ndarray, val: np.ndarray, seed: int,
                       folds: int = 3, **kw) -> np.ndarray:
    """Scores where every training row is predicted by a model that did not see it (K-fold);
    other rows get the mean of the fold models."""
    rng = np.random.default_rng(seed)
    fold = rng.integers(0, folds, len(train))
    out = np.zeros(len(x))
    rest = np.setdiff1d(np.arange(len(x)), train)
    for k in range(folds):
        m = fit_lgbm(x, y, train[fold != k], val, seed + k, **kw)
        out[train[fold == k]] = m.predict_proba(x.iloc[train[fold == k]])[:, 1]  # type: ignore[call-overload]  # lightgbm stub: predict_proba's return Union includes list
        out[rest] += m.predict_proba(x.iloc[rest])[:, 1] / folds  # type: ignore[call-overload]  # lightgbm stub: predict_proba's return Union includes list
    return out


def stacked_lgbm_scores(x: pd.DataFrame, y: np.ndarray, train: np.ndarray, val: np.ndarray, seed: int,
                        neighbour_features, folds: int = 3, **kw) -> np.ndarray:
    """Two-stage collective classification: out-of-fold stage-1 scores, then LightGBM on ``x`` plus
    ``neighbour_features(stage1_scores)`` (neighbours' scores aggregated over the graph)."""
    s1 = out_of_fold_scores(x, y, train, val, seed, folds, **kw)
    x2 = pd.concat([x.reset_index(drop=True), neighbour_features(s1).add_prefix("s1_")], axis=1)
    return lgbm_scores(x2, y, train, val, seed, **kw)

