"""Evaluate a fitted recommender on held-out interactions: full ranking, training items masked."""
from __future__ import annotations

import numpy as np
import pandas as pd

from bnpl.recsys.matrix import interaction_matrix
from bnpl.recsys.metrics import catalogue_coverage, per_user_metrics, popularity_bias
from bnpl.recsys.models.base import Recommender


def evaluate(model: Recommender, test_df: pd.DataFrame, k: int = 10, cold_start_max: int = 5) -> dict:
    """Mean ranking metrics at ``k`` over users with test items (users unseen in training are skipped),
    plus ``coverage``, ``popularity_bias``, the number of users and the same metrics for cold-start
    users (at most ``cold_start_max`` training interactions) as ``cold_<metric>``."""
    per_user, top = _per_user_and_top(model, test_df, k)
    out = per_user.drop(columns="n_train").mean().to_dict()
    cold = per_user[per_user["n_train"] <= cold_start_max]
    out |= {f"cold_{m}": (cold[m].mean() if len(cold) else float("nan")) for m in ("precision", "recall", "ndcg", "map")}
    users = per_user.index.to_numpy()
    out |= {"coverage": catalogue_coverage(top, model.n_items), "popularity_bias": popularity_bias(top, model.train),
            "users": int(len(users)), "cold_users": int(len(cold))}
    return out


def evaluate_per_user(model: Recommender, test_df: pd.DataFrame, k: int = 10) -> pd.DataFrame:
    """Per-user precision/recall/NDCG/MAP (index = user id) and the user's training count ``n_train``."""
    return _per_user_and_top(model, test_df, k)[0]


def _per_user_and_top(model: Recommender, test_df: pd.DataFrame, k: int) -> tuple[pd.DataFrame, np.ndarray]:
    """:func:`evaluate_per_user` and the top-k lists of its users (rows in the same order); one ranking pass."""
    n_train = np.diff(model.train.indptr)
    test_df = test_df[(test_df["user_id"] < model.n_users) & (test_df["item_id"] < model.n_items)]
    users = np.unique(test_df["user_id"].to_numpy())
    users = users[n_train[users] > 0]
    rel = interaction_matrix(test_df, model.n_users, model.n_items)[users]
    top = model.recommend(users, k)
    m = per_user_metrics(top, rel, k)
    m.index = users[m.index.to_numpy()]
    m["n_train"] = n_train[m.index.to_numpy()]
    return m, top[np.diff(rel.indptr) > 0]
