"""LightGCN (He et al. 2020) with PyG's :class:`torch_geometric.nn.models.LightGCN`.

The symmetric-normalised user-item adjacency is built once as a ``torch.sparse_csr``
matrix (several times faster than ``edge_index`` message passing on CPU) and the
whole graph is propagated each step (full batch).
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp
import torch
from torch_geometric.nn.models import LightGCN as PygLightGCN

from bnpl.recsys.models.base import Recommender
from bnpl.recsys.models.pairwise import train_pairwise

DEFAULTS = {"dim": 64, "layers": 2, "epochs": 40, "lr": 5e-3, "l2": 1e-4, "loss": "bpr",
            "negatives": "uniform", "n_negatives": 1}


def normalised_adjacency(blocks: sp.spmatrix) -> torch.Tensor:
    """``D^-1/2 A D^-1/2`` of a symmetric scipy matrix as a ``torch.sparse_csr`` tensor."""
    a = sp.csr_matrix(blocks, dtype=np.float32)
    deg = np.asarray(a.sum(1)).ravel()
    inv = np.where(deg > 0, deg ** -0.5, 0.0).astype(np.float32)
    a = sp.diags(inv) @ a @ sp.diags(inv)
    a = a.tocsr()
    return torch.sparse_csr_tensor(torch.from_numpy(a.indptr.astype(np.int64)), torch.from_numpy(a.indices.astype(np.int64)),
                                   torch.from_numpy(a.data), size=a.shape)


def bipartite(train: sp.csr_matrix) -> sp.csr_matrix:
    """Users then items as one symmetric adjacency matrix."""
    return sp.bmat([[None, train], [train.T, None]]).tocsr()


class LightGCN(Recommender):
    name = "lightgcn"
    grid = [{"layers": 2, "l2": 1e-4, "lr": 5e-3}, {"layers": 3, "l2": 1e-4, "lr": 5e-3},
            {"layers": 2, "l2": 1e-3, "lr": 5e-3}, {"layers": 3, "l2": 1e-5, "lr": 2e-3}]

    def _fit(self, train_df, side) -> None:
        p = DEFAULTS | self.params
        self.adj = normalised_adjacency(bipartite(self.train))
        self.model = PygLightGCN(self.n_users + self.n_items, p["dim"], p["layers"], normalize=False)
        self.history = train_pairwise(
            self._embed, self.model.parameters(), self.train,
            epochs=p["epochs"], lr=p["lr"], l2=p["l2"], loss=p["loss"], negatives=p["negatives"],
            n_negatives=p["n_negatives"], seed=self.seed)
        with torch.no_grad():
            self.user_final, self.item_final = self._embed()

    def _embed(self):
        emb = self.model.get_embedding(self.adj)
        return emb[: self.n_users], emb[self.n_users:]

    @torch.no_grad()
    def score(self, user_ids):
        return (self.user_final[torch.as_tensor(user_ids)] @ self.item_final.T).numpy()
