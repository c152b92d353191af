"""The interface every recommender implements.

``fit(train_df, n_users, n_items, side=None)`` learns from an interaction frame
(``user_id``, ``item_id`` ...), ``score(user_ids)`` returns a dense
``(len(user_ids), n_items)`` float array (higher = better), and
``recommend(user_ids, k)`` returns the top ``k`` item ids per user with the
user's training items masked: the API the creative stage uses.
"""
from __future__ import annotations

from typing import Any, ClassVar

import numpy as np
import pandas as pd
import scipy.sparse as sp
import torch

from bnpl.recsys.matrix import interaction_matrix
from bnpl.recsys.topk import top_k_unseen


class Recommender:
    """Base class: subclasses implement ``_fit`` and ``score``."""

    name: ClassVar[str] = "base"
    #: small hyperparameter grid searched on validation (same size for every model: the tuning budget)
    grid: ClassVar[list[dict[str, Any]]] = [{}]
    #: rough relative fitting cost (the benchmark starts expensive models first)
    cost: ClassVar[float] = 1.0
    #: True if ``fit`` carves its own validation part (the benchmark passes the protocol's carve as ``carve``)
    uses_carve: ClassVar[bool] = False

    def __init__(self, seed: int = 0, **params: Any):
        self.seed = seed
        self.params = params
        self.train: sp.csr_matrix | None = None
        #: (validation frame, k) set by :func:`bnpl.recsys.tune.tune` so that iterative models can stop early
        self.validation: tuple[pd.DataFrame, int] | None = None
        #: parameters learned during a validated fit (e.g. the best number of epochs), merged into the refit
        self.tuned: dict[str, Any] = {}

    def fit(self, train_df: pd.DataFrame, n_users: int, n_items: int, side=None) -> Recommender:
        """Learn from ``train_df``; ``side`` is an optional :class:`~bnpl.data.normalised.InteractionData` for side information."""
        self.n_users, self.n_items = n_users, n_items
        self.train = interaction_matrix(train_df, n_users, n_items)
        torch.manual_seed(self.seed)
        np.random.seed(self.seed)
        self._fit(train_df, side)
        return self

    def _fit(self, train_df: pd.DataFrame, side) -> None:
        raise NotImplementedError

    def _validation_ndcg(self, finalise=None):
        """A callable giving NDCG@k on ``self.validation`` (None when no validation frame was set).
        ``finalise()`` is run first (e.g. to recompute propagated embeddings)."""
        if self.validation is None:
            return None
        from bnpl.recsys.evaluate import evaluate_per_user

        val_df, k = self.validation

        def ndcg() -> float:
            if finalise is not None:
                finalise()
            return float(evaluate_per_user(self, val_df, k)["ndcg"].mean())
        return ndcg

    def score(self, user_ids: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def recommend(self, user_ids, k: int = 10, batch_size: int = 2048) -> np.ndarray:
        """Top ``k`` item ids for each user, best first, never an item the user had in training.

        ``k`` is clipped to the catalogue size; where a user has fewer than ``k`` unseen items the
        row is padded with ``-1``.
        """
        user_ids = np.asarray(user_ids, dtype=np.int64)
        k = min(k, self.n_items)
        out = np.empty((len(user_ids), k), dtype=np.int64)
        for start in range(0, len(user_ids), batch_size):
            users = user_ids[start:start + batch_size]
            top = top_k_unseen(self.score(users), self.train[users], k)
            out[start:start + batch_size] = top
        return out
