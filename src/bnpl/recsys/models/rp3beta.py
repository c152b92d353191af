"""RP3beta (Paudel et al. 2017; Dacrema et al. 2019): item similarity from a 3-step random walk
item -> user -> item on the interaction graph, with popular destination items penalised.

``W[i, j] = sum_u P(i->u)^alpha P(u->j)^alpha / popularity(j)^beta`` where the transition
probabilities are the row-normalised interaction matrix and its transpose; each row keeps its
``neighbours`` largest entries and ``score(u, j) = sum over the user's items i of W[i, j]``.
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from bnpl.recsys.models.base import Recommender
from bnpl.recsys.sparse_ops import top_k_per_row, without_diagonal


def rp3beta_similarity(x: sp.csr_matrix, alpha: float = 1.0, beta: float = 0.5, neighbours: int = 200) -> sp.csr_matrix:
    """Sparse ``(n_items, n_items)`` RP3beta similarity (no diagonal, top ``neighbours`` per row)."""
    x = sp.csr_matrix(x, dtype=np.float32)
    deg_u = np.asarray(x.sum(1)).ravel()
    deg_i = np.asarray(x.sum(0)).ravel()
    p_ui = sp.diags(1.0 / np.maximum(deg_u, 1.0)) @ x  # user -> item
    p_iu = sp.diags(1.0 / np.maximum(deg_i, 1.0)) @ x.T.tocsr()  # item -> user
    if alpha != 1.0:
        p_ui, p_iu = p_ui.power(alpha), p_iu.power(alpha)
    w = without_diagonal(p_iu @ p_ui).tocsr()
    w.data /= (np.maximum(deg_i, 1.0) ** beta)[w.indices]
    return top_k_per_row(w.astype(np.float32), neighbours)


class RP3beta(Recommender):
    name = "rp3beta"
    grid = [{"beta": 0.3}, {"beta": 0.5}, {"beta": 0.7}]

    def _fit(self, train_df, side) -> None:
        p = {"alpha": 1.0, "beta": 0.5, "neighbours": 200} | self.params
        self.w = rp3beta_similarity(self.train, p["alpha"], p["beta"], p["neighbours"])

    def score(self, user_ids):
        return (self.train[user_ids] @ self.w).toarray()
