"""Inductive scoring: score target nodes that arrive after training, without retraining.

The scorer keeps the LightGBM fitted on causal graph features (every per-entity statistic and label
rate uses only earlier events and training labels). A batch of new transactions is appended to the
known history; features of the new rows depend only on the past, so they are computed exactly as at
training time and scored by the frozen model.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.metrics import average_precision_score, roc_auc_score

from bnpl.data.normalised import FraudData
from bnpl.data.subset import label_vector, restrict_to_time
from bnpl.errors import BnplError
from bnpl.fraud.boosting import fit_lgbm
from bnpl.fraud.features import graph_features


@dataclass
class InductiveScorer:
    model: Any              # a fitted LGBMClassifier (Any: lightgbm's predict_proba stub returns a Union with list)
    columns: list
    train_ids: np.ndarray    # ids in the full dataset's numbering
    seed: int

    def score(self, data: FraudData, new_ids: np.ndarray, now: float) -> np.ndarray:
        """Fraud probabilities for ``new_ids`` (full-dataset ids), using only what is known at ``now``.
        The training nodes' out-of-fold label passes are skipped (``label_folds=0``): the new nodes are not
        training nodes, so their features are the same without them, at a fraction of the cost."""
        new_ids = np.asarray(new_ids)
        if np.isin(new_ids, self.train_ids).any():
            raise BnplError("InductiveScorer.score: new_ids include nodes the scorer was trained on")
        kept = _kept(data, now)
        view = restrict_to_time(data, now)
        x = graph_features(view, np.searchsorted(kept, self.train_ids), causal=True, seed=self.seed, label_folds=0)
        return self.model.predict_proba(x.iloc[np.searchsorted(kept, new_ids)][self.columns])[:, 1]


def _kept(data: FraudData, cutoff: float) -> np.ndarray:
    """Full-dataset ids of the target nodes that ``restrict_to_time(data, cutoff)`` keeps, in its order."""
    return np.flatnonzero(data.nodes[data.target]["time"].to_numpy() <= cutoff)


def fit_inductive(data: FraudData, cutoff: float, val_frac: float = 0.2, seed: int = 0,
                  **lgbm_params) -> InductiveScorer:
    """Fit on the graph as known at ``cutoff`` (labels known by then; the latest ``val_frac`` of them
    for early stopping). ``lgbm_params``: LightGBM settings for :func:`~bnpl.fraud.boosting.fit_lgbm`."""
    past = restrict_to_time(data, cutoff)
    y = label_vector(past)
    lab = past.labels.sort_values("label_time")["node_id"].to_numpy()
    n_val = max(1, int(len(lab) * val_frac))
    train, val = np.sort(lab[:-n_val]), np.sort(lab[-n_val:])
    if len(np.unique(y[train])) < 2 or not (y[val] == 1).any():
        raise BnplError(f"{data.name}: at cutoff {cutoff}, {len(lab)} labels are known ({int(y[lab].sum())} fraud); "
                        f"the inductive scorer needs both classes among its training labels and a fraud among the "
                        f"latest {val_frac:.0%} for early stopping. Choose a later cutoff")
    x = graph_features(past, train, causal=True, seed=seed)
    return InductiveScorer(fit_lgbm(x, y, train, val, seed, **lgbm_params), list(x.columns), _kept(data, cutoff)[train],
                           seed)


def measure_latency(scorer: InductiveScorer, data: FraudData, new_ids: np.ndarray, batch_size: int = 100,
                    max_batches: int = 20) -> dict:
    """Score ``new_ids`` in time order, batch by batch (each batch sees history up to its last arrival).
    Returns scores and p50/p95 seconds per batch."""
    times, scores = [], []
    t_col = data.nodes[data.target]["time"].to_numpy()
    new_ids = np.asarray(new_ids)[np.argsort(t_col[new_ids], kind="stable")]
    for b in range(min(max_batches, int(np.ceil(len(new_ids) / batch_size)))):
        ids = new_ids[b * batch_size:(b + 1) * batch_size]
        t0 = time.perf_counter()
        scores.append(pd.Series(scorer.score(data, ids, float(t_col[ids].max())), index=ids))
        times.append(time.perf_counter() - t0)
    return {"p50_s": float(np.percentile(times, 50)), "p95_s": float(np.percentile(times, 95)),
            "batches": len(times), "batch_size": batch_size, "scores": pd.concat(scores)}


def latency_report(data: FraudData, cutoff_quantile: float = 0.8, batch_size: int = 100, max_batches: int = 20,
                   seed: int = 0) -> dict:
    """Fit the inductive scorer on the graph as known at the ``cutoff_quantile`` of the target nodes' times,
    then score the later targets in time order, batch by batch (:func:`measure_latency`: p50 / p95 seconds
    per batch over at most ``max_batches``). Quality: every later target is scored once with the history up
    to the last arrival (a target's score does not depend on later rows, so this equals batch-by-batch
    scoring) and AUROC / AUPRC are taken over the labelled ones (None where they hold one class only).
    Also returns the cutoff and the history size (targets known at the cutoff)."""
    if data.nodes[data.target].get("time") is None:
        raise BnplError(f"{data.name}: target nodes have no 'time' column; inductive scoring needs arrival times")
    if not 0 < cutoff_quantile < 1:
        raise BnplError(f"cutoff_quantile must be in (0, 1) (got {cutoff_quantile})")
    if batch_size < 1 or max_batches < 1:
        raise BnplError(f"batch_size and max_batches must be >= 1 (got {batch_size}, {max_batches})")
    t = data.nodes[data.target]["time"].to_numpy(np.float64)
    cutoff = float(np.quantile(t, cutoff_quantile))
    new = np.flatnonzero(t > cutoff)
    if len(new) == 0:
        raise BnplError(f"{data.name}: no target node arrives after the {cutoff_quantile} time quantile ({cutoff})")
    scorer = fit_inductive(data, cutoff, seed=seed)
    lat = measure_latency(scorer, data, new, batch_size, max_batches)
    s = scorer.score(data, new, float(t[new].max()))
    y = label_vector(data)[new]
    lab = y >= 0
    both = len(np.unique(y[lab])) == 2
    lat.update(cutoff=cutoff, history=int((t <= cutoff).sum()), later=len(new), later_labelled=int(lab.sum()),
               later_fraud=int((y == 1).sum()),
               auroc=float(roc_auc_score(y[lab], s[lab])) if both else None,
               auprc=float(average_precision_score(y[lab], s[lab])) if both else None)
    return lat
