"""Features of (user, candidate item) pairs for the two-stage recommender (:mod:`bnpl.recsys.models.rerank`).

Everything is computed from ONE interaction frame (the data the first stage was fitted on), so
the same code builds the ranker's training rows (from a carve of train) and its scoring rows
(from the full training data). Features are made scale-free where the amount of data differs
between those two uses (ranks, shares, per-user normalised scores).

Time-aware features (only when the frame has a non-constant ``time`` column; otherwise zeros):
users tend to interact in sessions, so an item whose activity falls inside the user's own
active period is more likely to be among the user's held-out interactions.

* ``time_local``: share of the item's interactions that fall in time bins where the user was
  active (user's bin histogram, smoothed by one bin, dotted with the item's histogram);
* ``time_local_count``: the same before dividing by the item's count, relative to the mean count;
* ``in_window``: share of the item's interactions inside [first, last] of the user's times;
* ``first_vs_user_end`` / ``first_vs_user_start``: the item's first interaction time relative
  to the user's last / first interaction, in units of the whole time span;
* ``user_span``: the user's active span as a share of the whole span.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp

N_BINS = 64


def time_profiles(df: pd.DataFrame, n_users: int, n_items: int, n_bins: int = N_BINS) -> dict | None:
    """Per-user and per-item time summaries (None when ``df`` has no usable time column)."""
    if "time" not in df.columns:
        return None
    t = pd.to_numeric(df["time"], errors="coerce").to_numpy(dtype=np.float64)
    ok = np.isfinite(t)
    if ok.sum() == 0 or np.nanmax(t) <= np.nanmin(t):
        return None
    u, i, t = df["user_id"].to_numpy()[ok], df["item_id"].to_numpy()[ok], t[ok]
    t0, span = t.min(), t.max() - t.min()
    b = np.minimum(((t - t0) / span * n_bins).astype(np.int64), n_bins - 1)
    ub = sp.csr_matrix((np.ones(len(u), np.float32), (u, b)), shape=(n_users, n_bins)).toarray()
    ib = sp.csr_matrix((np.ones(len(i), np.float32), (i, b)), shape=(n_items, n_bins)).toarray()
    ub_smooth = ub.copy()
    ub_smooth[:, 1:] += 0.5 * ub[:, :-1]
    ub_smooth[:, :-1] += 0.5 * ub[:, 1:]
    active = (ub_smooth > 0).astype(np.float32)
    s = pd.DataFrame({"u": u, "i": i, "t": (t - t0) / span})
    umin = s.groupby("u")["t"].min().reindex(range(n_users)).to_numpy()
    umax = s.groupby("u")["t"].max().reindex(range(n_users)).to_numpy()
    ifirst = s.groupby("i")["t"].min().reindex(range(n_items)).to_numpy()
    # items' times sorted, to count interactions inside any window with searchsorted
    order = np.lexsort((s["t"].to_numpy(), s["i"].to_numpy()))
    return {"active": active, "item_bins": ib, "umin": umin, "umax": umax, "ifirst": ifirst,
            "item_sorted_t": s["t"].to_numpy()[order], "item_ptr": np.searchsorted(s["i"].to_numpy()[order], np.arange(n_items + 1))}


def time_features(prof: dict | None, users: np.ndarray, items: np.ndarray, item_count: np.ndarray) -> dict[str, np.ndarray]:
    """Time-aware features of the pairs (``users[j]``, ``items[j]``); zeros without time profiles."""
    names = ("time_local", "time_local_count", "in_window", "first_vs_user_end", "first_vs_user_start", "user_span")
    if prof is None:
        return {n: np.zeros(len(users), np.float32) for n in names}
    local = (prof["active"][users] * prof["item_bins"][items]).sum(1)
    cnt = np.maximum(item_count[items], 1.0)
    lo, hi = prof["umin"][users], prof["umax"][users]
    flat, ptr = prof["item_sorted_t"], prof["item_ptr"]
    # items' times are concatenated per item; offset each window into the item's own slice
    key = items.astype(np.float64) * 4.0  # times are in [0, 1]: item blocks never overlap when shifted by 4
    shifted = flat + np.repeat(np.arange(len(ptr) - 1) * 4.0, np.diff(ptr))
    inside = np.searchsorted(shifted, key + np.nan_to_num(hi, nan=-1.0), side="right") - \
        np.searchsorted(shifted, key + np.nan_to_num(lo, nan=2.0), side="left")
    first = prof["ifirst"][items]
    return {"time_local": local / cnt, "time_local_count": local / max(item_count.mean(), 1e-9),
            "in_window": np.maximum(inside, 0) / cnt,
            "first_vs_user_end": np.nan_to_num(first - hi, nan=0.0), "first_vs_user_start": np.nan_to_num(first - lo, nan=0.0),
            "user_span": np.nan_to_num(hi - lo, nan=0.0)}


def score_features(name: str, scores: np.ndarray, seen: sp.csr_matrix, rows: np.ndarray, items: np.ndarray) -> dict[str, np.ndarray]:
    """A first-stage score as features (raw scores shift with the amount of data, so not those): divided by the user's best unseen score, and rank among unseen items."""
    s = np.array(scores, dtype=np.float32, copy=True)
    s[np.repeat(np.arange(s.shape[0]), np.diff(seen.indptr)), seen.indices] = -np.inf
    best = np.max(s, axis=1, keepdims=True)
    rank = (-s).argsort(1).argsort(1)
    v = s[rows, items]
    return {f"{name}_rel": v / np.where(np.abs(best[rows, 0]) > 0, np.abs(best[rows, 0]), 1.0),
            f"{name}_rank": rank[rows, items].astype(np.float32)}
