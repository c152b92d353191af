"""A shop-sized implicit interaction log to develop and time recommenders on (no real data needed).

Users belong to taste clusters; items are drawn from a Zipf popularity law, mostly within the
user's cluster; each next purchase is, with probability ``sequential``, a neighbour of the previous
one in the catalogue (so sequential models have a signal to find). Written as an interactions CSV
(``user_id,item_id,time``) that :func:`bnpl.data.loaders.load_interactions` reads.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from bnpl.errors import BnplError
from bnpl.io import atomic_path


def implicit_log(n_users: int = 30_000, n_items: int = 25_000, n_interactions: int = 290_000, *, clusters: int = 50,
                 zipf: float = 0.8, sequential: float = 0.3, seed: int = 0) -> pd.DataFrame:
    """Interactions ``user_id, item_id, time`` (time = position in the user's history). Every user makes
    at least two draws; repeated (user, item) pairs are dropped, so the result has somewhat fewer than
    ``n_interactions`` rows and not every item need appear."""
    for name, value, low in (("n_users", n_users, 2), ("n_items", n_items, clusters), ("clusters", clusters, 1)):
        if value < low:
            raise BnplError(f"implicit_log: parameter {name!r} must be at least {low} (got {value})")
    if n_interactions < 2 * n_users:
        raise BnplError(f"implicit_log: parameter 'n_interactions' must be at least 2 * n_users (got {n_interactions})")
    rng = np.random.default_rng(seed)
    # history lengths: 2 + geometric tail, scaled to the requested total
    extra = rng.geometric(1.0 / max(1.0, n_interactions / n_users - 1.0), size=n_users) - 1
    lengths = 2 + np.round(extra * (n_interactions - 2 * n_users) / max(1, extra.sum())).astype(np.int64)
    users = np.repeat(np.arange(n_users), lengths)
    pos = np.arange(len(users)) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    per_cluster = n_items // clusters
    popularity = 1.0 / np.arange(1, per_cluster + 1) ** zipf
    popularity /= popularity.sum()
    home = rng.integers(0, clusters, size=n_users)[users]
    other = rng.random(len(users)) < 0.2
    cluster = np.where(other, rng.integers(0, clusters, size=len(users)), home)
    items = cluster * per_cluster + rng.choice(per_cluster, size=len(users), p=popularity)
    # sequential signal: with probability ``sequential`` the next item is a near successor of the previous one
    follow = (rng.random(len(users)) < sequential) & (pos > 0)
    for i in np.flatnonzero(follow):  # sequential dependency: each step reads the previous item
        items[i] = (items[i - 1] + rng.integers(1, 4)) % (clusters * per_cluster)
    df = pd.DataFrame({"user_id": users, "item_id": items, "time": pos})
    return df.drop_duplicates(["user_id", "item_id"]).reset_index(drop=True)


def write_implicit_log(path: str | Path, **kwargs) -> pd.DataFrame:
    """:func:`implicit_log` written atomically to ``path`` (CSV); returns the frame."""
    df = implicit_log(**kwargs)
    with atomic_path(Path(path)) as tmp:
        df.to_csv(tmp, index=False)
    return df
