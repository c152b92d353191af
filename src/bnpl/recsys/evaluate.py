"""Evaluate a fitted recommender on held-out interactions: full ranking, training items masked.

``exclude`` (default: the model's training matrix) is the user x item matrix of what each user had
before the test: those items are masked from the ranking, and only users with at least one of them
are scored. The ablation passes the whole training part here when a cell was fitted on a window.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import scipy.sparse as sp

from bnpl.recsys.matrix import interaction_matrix
from bnpl.recsys.metrics import (
    catalogue_coverage,
    per_user_metrics,
    popularity_bias,
    sampled_rank_metrics,
)

if TYPE_CHECKING:
    from bnpl.recsys.models.base import Recommender

SAMPLED_STREAM = 16  # RNG stream of the sampled negatives: default_rng([seed, SAMPLED_STREAM])


def evaluate(model: Recommender, test_df: pd.DataFrame, k: int = 10, cold_start_max: int = 5,
             exclude: sp.csr_matrix | None = None, sampled_negatives: int = 0, seed: int = 0) -> dict:
    """Mean ranking metrics at ``k`` over users with test items (users unseen in training are skipped),
    plus ``coverage``, ``popularity_bias``, the number of users and the same metrics for cold-start
    users (at most ``cold_start_max`` training interactions) as ``cold_<metric>``.

    ``sampled_negatives`` > 0 adds the SASRec paper's sampled metric, labelled apart from the full
    ranking: ``sampled_hr`` and ``sampled_ndcg`` at ``k`` of each test interaction ranked against that
    many items the user never interacted with (see :func:`sampled_metrics`).
    """
    seen = model.train if exclude is None else exclude
    assert seen is not None, "evaluated before fit"
    per_user, top = _per_user_and_top(model, test_df, k, seen)
    out = per_user.drop(columns="n_train").mean().to_dict()
    cold = per_user[per_user["n_train"] <= cold_start_max]
    out |= {f"cold_{m}": (cold[m].mean() if len(cold) else float("nan")) for m in ("precision", "recall", "ndcg", "map")}
    users = per_user.index.to_numpy()
    out |= {"coverage": catalogue_coverage(top, model.n_items), "popularity_bias": popularity_bias(top, seen),
            "users": int(len(users)), "cold_users": int(len(cold))}
    if sampled_negatives > 0:
        sampled = sampled_metrics(model, test_df, k, sampled_negatives, seed=seed, exclude=seen)
        out |= {f"sampled_{m}": v for m, v in sampled.items()}
    return out


def evaluate_per_user(model: Recommender, test_df: pd.DataFrame, k: int = 10,
                      exclude: sp.csr_matrix | None = None) -> pd.DataFrame:
    """Per-user precision/recall/NDCG/MAP (index = user id) and the user's training count ``n_train``."""
    return _per_user_and_top(model, test_df, k, model.train if exclude is None else exclude)[0]


def validation_ndcg(val_df: pd.DataFrame, k: int):
    """A ``validate`` callable for :meth:`Recommender.fit`: the model's mean NDCG@k on ``val_df``."""
    def ndcg(model: Recommender) -> float:
        return float(evaluate_per_user(model, val_df, k)["ndcg"].mean())
    return ndcg


def sampled_metrics(model: Recommender, test_df: pd.DataFrame, k: int = 10, n_negatives: int = 100, seed: int = 0,
                    exclude: sp.csr_matrix | None = None, batch_size: int = 2048) -> dict[str, float]:
    """HR@k and NDCG@k with each test interaction ranked against ``n_negatives`` items drawn uniformly
    from those the user has in neither ``exclude`` (default: training) nor test, as in the SASRec
    paper (Kang & McAuley 2018). Users without training items are skipped, as in :func:`evaluate`. NaN
    when some user has fewer than ``n_negatives`` such items (a catalogue too small for the protocol)."""
    seen = model.train if exclude is None else exclude
    assert seen is not None, "evaluated before fit"
    test_df = test_df[(test_df["user_id"] < model.n_users) & (test_df["item_id"] < model.n_items)]
    test_df = test_df[np.diff(seen.indptr)[test_df["user_id"].to_numpy()] > 0]
    if test_df.empty:
        return {"hr": float("nan"), "ndcg": float("nan")}
    users, items = test_df["user_id"].to_numpy(np.int64), test_df["item_id"].to_numpy(np.int64)
    known = (seen + interaction_matrix(test_df, model.n_users, model.n_items)).tocsr()
    if model.n_items - np.diff(known.indptr)[users].max() < n_negatives:
        return {"hr": float("nan"), "ndcg": float("nan")}
    negatives = _sample_unseen(known, users, n_negatives, np.random.default_rng([seed, SAMPLED_STREAM]))
    pos, neg = np.empty(len(users)), np.empty((len(users), n_negatives))
    uniq, inverse = np.unique(users, return_inverse=True)
    for start in range(0, len(uniq), batch_size):
        block = uniq[start:start + batch_size]
        scores = model.score(block)
        rows = np.flatnonzero((inverse >= start) & (inverse < start + len(block)))
        local = inverse[rows] - start
        pos[rows] = scores[local, items[rows]]
        neg[rows] = scores[local[:, None], negatives[rows]]
    return sampled_rank_metrics(pos, neg, k)


def _sample_unseen(known: sp.csr_matrix, users: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """``(len(users), n)`` item ids, each row drawn uniformly without replacement from items not in that user's row."""
    n_items = known.shape[1]
    out = np.empty((len(users), n), dtype=np.int64)
    for r, u in enumerate(users):
        banned = known.indices[known.indptr[u]:known.indptr[u + 1]]
        draw = rng.choice(n_items, size=n + len(banned), replace=False)
        out[r] = draw[~np.isin(draw, banned)][:n]
    return out


def _per_user_and_top(model: Recommender, test_df: pd.DataFrame, k: int, seen: sp.csr_matrix
                      ) -> tuple[pd.DataFrame, np.ndarray]:
    """:func:`evaluate_per_user` and the top-k lists of its users (rows in the same order); one ranking pass."""
    n_train = np.diff(seen.indptr)
    test_df = test_df[(test_df["user_id"] < model.n_users) & (test_df["item_id"] < model.n_items)]
    users = np.unique(test_df["user_id"].to_numpy())
    users = users[n_train[users] > 0]
    rel = interaction_matrix(test_df, model.n_users, model.n_items)[users]
    top = model.recommend(users, k, exclude=seen)
    m = per_user_metrics(top, rel, k)
    m.index = users[m.index.to_numpy()]
    m["n_train"] = n_train[m.index.to_numpy()]
    return m, top[np.diff(rel.indptr) > 0]
