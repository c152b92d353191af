"""Item-based k-nearest neighbours: cosine similarity with shrinkage, top-k neighbours per item."""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from bnpl.recsys.models.base import Recommender


def cosine_item_similarity(x: sp.csr_matrix, shrink: float, neighbours: int) -> sp.csr_matrix:
    """``(n_items, n_items)`` cosine similarity ``x_i.x_j / (|x_i||x_j| + shrink)``, keeping the top
    ``neighbours`` entries of each column (diagonal removed)."""
    xt = x.T.tocsr().astype(np.float32)
    co = (xt @ xt.T).toarray()
    norms = np.sqrt(np.diag(co)).copy()
    sim = co / (np.outer(norms, norms) + shrink + 1e-9)
    np.fill_diagonal(sim, 0.0)
    n = sim.shape[0]
    if neighbours < n:
        drop = np.argpartition(-sim, neighbours, axis=0)[neighbours:]
        np.put_along_axis(sim, drop, 0.0, axis=0)
    return sp.csr_matrix(sim)


class ItemKNN(Recommender):
    """Score(u, j) = sum over the user's items i of sim(i, j)."""

    name = "itemknn"
    grid = [{"neighbours": 50, "shrink": 10.0}, {"neighbours": 200, "shrink": 10.0}, {"neighbours": 200, "shrink": 100.0}]

    def _fit(self, train_df, side) -> None:
        p = {"neighbours": 100, "shrink": 50.0} | self.params
        self.sim = cosine_item_similarity(self.train, p["shrink"], p["neighbours"])

    def score(self, user_ids):
        return (self.train[user_ids] @ self.sim).toarray()
