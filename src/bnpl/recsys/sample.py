"""Bound run time by keeping a random subset of users (with all their interactions)."""
from __future__ import annotations

import numpy as np

from bnpl.data.normalised import InteractionData


def sample_users(data: InteractionData, max_users: int, seed: int = 0) -> InteractionData:
    """``data`` restricted to at most ``max_users`` random users, re-numbered 0..n-1; items untouched."""
    users = np.unique(data.interactions["user_id"].to_numpy())
    if len(users) <= max_users:
        return data
    keep = np.sort(np.random.default_rng(seed).choice(users, size=max_users, replace=False))
    new_id = np.full(data.n_users, -1, dtype=np.int64)
    new_id[keep] = np.arange(len(keep))
    inter = data.interactions[new_id[data.interactions["user_id"].to_numpy()] >= 0].copy()
    inter["user_id"] = new_id[inter["user_id"].to_numpy()]
    uf = data.user_features.iloc[keep].reset_index(drop=True) if data.user_features is not None else None
    return InteractionData(name=f"{data.name} ({len(keep)} users)", interactions=inter.reset_index(drop=True),
                           n_users=len(keep), n_items=data.n_items, user_features=uf,
                           item_features=data.item_features, item_relations=data.item_relations,
                           user_index=data.user_index[keep] if data.user_index is not None else None,
                           item_index=data.item_index, meta=dict(data.meta))
