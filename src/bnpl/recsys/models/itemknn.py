"""Item-based k-nearest neighbours: cosine similarity with shrinkage, top-k neighbours per item."""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from bnpl.recsys.models.base import Recommender
from bnpl.recsys.sparse_ops import item_gram, top_k_per_row, without_diagonal


def cosine_item_similarity(x: sp.csr_matrix, shrink: float, neighbours: int) -> sp.csr_matrix:
    """``(n_items, n_items)`` cosine similarity ``x_i.x_j / (|x_i||x_j| + shrink)``, keeping the top
    ``neighbours`` entries of each column (diagonal removed). Sparse throughout: only item pairs
    that co-occur are ever stored."""
    co = without_diagonal(item_gram(x)).tocoo()
    norms = np.sqrt(np.asarray(x.multiply(x).sum(0), dtype=np.float32).ravel())
    sim = co.data / (norms[co.row] * norms[co.col] + shrink + 1e-9)
    sim = sp.csr_matrix((sim.astype(np.float32), (co.row, co.col)), shape=co.shape)
    return top_k_per_row(sim.T.tocsr(), neighbours).T.tocsr()  # top per column = top per row of the transpose


class ItemKNN(Recommender):
    """Score(u, j) = sum over the user's items i of sim(i, j)."""

    name = "itemknn"
    grid = [{"neighbours": 50, "shrink": 10.0}, {"neighbours": 200, "shrink": 10.0}, {"neighbours": 200, "shrink": 100.0}]

    def _fit(self, train_df, side) -> None:
        p = {"neighbours": 100, "shrink": 50.0} | self.params
        self.sim = cosine_item_similarity(self.train, p["shrink"], p["neighbours"])

    def score(self, user_ids):
        return (self.train[user_ids] @ self.sim).toarray()
