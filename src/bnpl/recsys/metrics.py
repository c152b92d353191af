"""Top-K ranking metrics: one implementation for every model.

Definitions follow Microsoft Recommenders' ``python_evaluation`` so our numbers
compare with their benchmark table (binary relevance, every test interaction
relevant):

* ``precision@k`` = hits in the top k / k
* ``recall@k``    = hits in the top k / number of relevant items
* ``ndcg@k``      = sum over hits of 1/log(1+rank) divided by the ideal DCG of
  ``min(n_relevant, k)`` hits
* ``map@k``       = sum over hits of (hits so far / rank) divided by the number of
  relevant items (their ``map_at_k``)

Users without test items are left out of the averages. ``topk`` is an
``(n_users, k)`` array of item ids ranked best first, produced by
:meth:`bnpl.recsys.models.base.Recommender.recommend` with training items masked.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp


def hit_matrix(topk: np.ndarray, relevant: sp.csr_matrix) -> np.ndarray:
    """Boolean ``(n_users, k)``: is the item at each rank relevant for that user (row of ``relevant``).
    Padding entries (``-1``) are never hits."""
    rows = np.repeat(np.arange(topk.shape[0]), topk.shape[1])
    hits = np.asarray(relevant[rows, np.maximum(topk.ravel(), 0)]).ravel() > 0
    return hits.reshape(topk.shape) & (topk >= 0)


def per_user_metrics(topk: np.ndarray, relevant: sp.csr_matrix, k: int) -> pd.DataFrame:
    """Precision, recall, NDCG and MAP at ``k`` for each row of ``topk`` (rows = users of ``relevant``).

    Returns one row per user that has at least one relevant item; the index is the row number.
    """
    topk = np.asarray(topk)[:, :k]
    n_rel = np.diff(relevant.indptr)
    hits = hit_matrix(topk, relevant).astype(float)
    ranks = np.arange(1, topk.shape[1] + 1)
    discount = 1.0 / np.log2(1 + ranks)
    dcg = (hits * discount).sum(1)
    ideal_discount = np.concatenate([[0.0], np.cumsum(1.0 / np.log2(1 + np.arange(1, k + 1)))])
    idcg = ideal_discount[np.minimum(n_rel, k)]
    keep = n_rel > 0
    n = np.maximum(n_rel, 1)
    ap = (hits * np.cumsum(hits, 1) / ranks).sum(1) / n
    out = pd.DataFrame({
        "precision": hits.sum(1) / k,
        "recall": hits.sum(1) / n,
        "ndcg": np.where(keep, dcg / np.maximum(idcg, 1e-12), 0.0),
        "map": ap,
    })
    return out[keep]


def ranking_metrics(topk: np.ndarray, relevant: sp.csr_matrix, k: int) -> dict[str, float]:
    """Mean of :func:`per_user_metrics` over users with test items."""
    return per_user_metrics(topk, relevant, k).mean().to_dict()


def catalogue_coverage(topk: np.ndarray, n_items: int) -> float:
    """Share of the catalogue that appears in at least one user's top k."""
    return float(len(np.unique(topk[topk >= 0])) / n_items)


def popularity_percentile(train: sp.csr_matrix) -> np.ndarray:
    """Each item's popularity percentile in training (0 = least, 1 = most interacted)."""
    counts = np.asarray(train.sum(0)).ravel()
    return pd.Series(counts).rank(pct=True).to_numpy()


def popularity_bias(topk: np.ndarray, train: sp.csr_matrix) -> float:
    """Mean training-popularity percentile of recommended items (0.5 ~ unbiased, 1 = only hits)."""
    return float(popularity_percentile(train)[topk[topk >= 0]].mean())
