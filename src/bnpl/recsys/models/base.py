"""The interface every recommender implements.

``fit(train_df, n_users, n_items, side=None, validate=None)`` learns from an interaction frame
(``user_id``, ``item_id`` ...); ``validate(model) -> float`` (e.g.
:func:`bnpl.recsys.evaluate.validation_ndcg`) lets iterative models stop early. ``score(user_ids)``
returns a dense ``(len(user_ids), n_items)`` float array (higher = better), and
``recommend(user_ids, k, exclude=None)`` returns the top ``k`` item ids per user with the user's
training items (or the rows of ``exclude``) masked: the API the creative stage uses.
"""
from __future__ import annotations

from collections.abc import Callable
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
    #: what the model reads besides the training (user id, item id) pairs: "ids" = nothing else
    inputs: ClassVar[str] = "ids"
    #: True if ``fit`` carves its own validation part (the benchmark passes the protocol's carve as ``carve``)
    uses_carve: ClassVar[bool] = False

    def __init__(self, seed: int = 0, **params: Any):
        self.seed = seed
        self.params = params
        self.train: sp.csr_matrix | None = None
        #: ``validate`` given to :meth:`fit` (iterative models stop early on it)
        self.validate: Callable[[Recommender], float] | None = None
        #: parameters learned during a validated fit (e.g. the best number of epochs), merged into the refit
        self.tuned: dict[str, Any] = {}

    def fit(self, train_df: pd.DataFrame, n_users: int, n_items: int, side=None,
            validate: Callable[[Recommender], float] | None = None) -> Recommender:
        """Learn from ``train_df``; ``side`` is an optional :class:`~bnpl.data.normalised.InteractionData` for side
        information; ``validate(model)`` scores the model on validation data (higher = better) for early stopping."""
        self.n_users, self.n_items = n_users, n_items
        self.validate = validate
        self.train = interaction_matrix(train_df, n_users, n_items)
        torch.manual_seed(self.seed)
        np.random.seed(self.seed)
        self._fit(train_df, side)
        return self

    def _fit(self, train_df: pd.DataFrame, side) -> None:
        raise NotImplementedError

    def _validation_ndcg(self, finalise=None):
        """A no-argument callable giving ``validate(self)`` (None when :meth:`fit` got no ``validate``).
        ``finalise()`` is run first (e.g. to recompute propagated embeddings)."""
        validate = self.validate
        if validate is None:
            return None

        def ndcg() -> float:
            if finalise is not None:
                finalise()
            return float(validate(self))
        return ndcg

    def score(self, user_ids: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def recommend(self, user_ids, k: int = 10, batch_size: int = 2048, exclude: sp.csr_matrix | None = None) -> np.ndarray:
        """Top ``k`` item ids for each user, best first, never an item the user had in training (or, given
        ``exclude``, a user x item matrix, never an item of the user's row there).

        ``k`` is clipped to the catalogue size; where a user has fewer than ``k`` unseen items the
        row is padded with ``-1``.
        """
        user_ids = np.asarray(user_ids, dtype=np.int64)
        seen = self.train if exclude is None else exclude
        assert seen is not None, "recommend before fit"
        k = min(k, self.n_items)
        out = np.empty((len(user_ids), k), dtype=np.int64)
        for start in range(0, len(user_ids), batch_size):
            users = user_ids[start:start + batch_size]
            top = top_k_unseen(self.score(users), seen[users], k)
            out[start:start + batch_size] = top
        return out
