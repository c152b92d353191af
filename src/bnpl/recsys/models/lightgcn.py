"""LightGCN (He et al. 2020) with PyG's :class:`torch_geometric.nn.models.LightGCN`.

The symmetric-normalised user-item adjacency is built once as a ``torch.sparse_csr``
matrix (several times faster than ``edge_index`` message passing on CPU) and the
whole graph is propagated each step (full batch). The propagation is PyG's
``LightGCN.get_embedding`` (layer sum weighted by the model's ``alpha``), written out
with a sparse product whose backward reuses the symmetric adjacency: torch's own
backward of a CSR product transposes the matrix on every step, which made training
about four times slower (``tests/test_recsys_models.py`` checks both give the same embeddings).
"""
from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import scipy.sparse as sp
import torch
from torch_geometric.nn.models import LightGCN as PygLightGCN

from bnpl.recsys.models.base import Recommender
from bnpl.recsys.models.checkpoint import open_checkpoint
from bnpl.recsys.models.pairwise import train_pairwise

DEFAULTS: dict[str, Any] = {"dim": 64, "layers": 2, "epochs": 40, "lr": 5e-2, "l2": 1e-4, "batch_size": 16384, "loss": "bpr",
            "negatives": "uniform", "n_negatives": 1, "eval_every": 4}


def normalised_adjacency(blocks: sp.spmatrix) -> torch.Tensor:
    """``D^-1/2 A D^-1/2`` of a symmetric scipy matrix as a ``torch.sparse_csr`` tensor."""
    a = sp.csr_matrix(blocks, dtype=np.float32)
    deg = np.asarray(a.sum(1)).ravel()
    inv = (1.0 / np.sqrt(np.maximum(deg, 1e-12))) * (deg > 0)
    a = (sp.diags(inv) @ a @ sp.diags(inv)).tocsr().astype(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "sparse CSR support is in beta"
        return torch.sparse_csr_tensor(torch.from_numpy(a.indptr.astype(np.int64)),
                                       torch.from_numpy(a.indices.astype(np.int64)), torch.from_numpy(a.data), size=a.shape)


class SymmetricSpMM(torch.autograd.Function):
    """``A @ H`` for a SYMMETRIC sparse ``A``; the gradient wrt ``H`` is ``A @ G`` (as ``A^T = A``)."""

    @staticmethod
    def forward(ctx, adj: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
        ctx.adj = adj
        return adj @ h

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        return None, ctx.adj @ grad


def propagate(model: PygLightGCN, adj: torch.Tensor) -> torch.Tensor:
    """``model.get_embedding(adj)`` for a symmetric, pre-normalised ``adj`` (``normalize=False``)."""
    h = model.embedding.weight
    out = h * model.alpha[0]
    for layer in range(model.num_layers):
        h = SymmetricSpMM.apply(adj, h)
        out = out + h * model.alpha[layer + 1]
    return out


def bipartite(train: sp.csr_matrix) -> sp.csr_matrix:
    """Users then items as one symmetric adjacency matrix."""
    return sp.bmat([[None, train], [train.T, None]]).tocsr()


class LightGCN(Recommender):
    name = "lightgcn"
    cost = 8
    grid = [{"layers": 2}, {"layers": 3}]  # two configurations: the costliest models get the smaller share of the <=3 budget
    #: full rankings per tuning fit (validation every ``eval_every`` epochs): on 30,000 users x 25,760 items they,
    #: not the training, are most of a fit
    rankings_per_fit = DEFAULTS["epochs"] // DEFAULTS["eval_every"]

    def _fit(self, train_df, side) -> None:
        p = DEFAULTS | self.params
        assert self.train is not None     # set by fit before _fit
        graph = self._graph(train_df, side)
        self.adj = normalised_adjacency(graph)
        self.model = PygLightGCN(graph.shape[0], p["dim"], p["layers"], normalize=False)
        self.history, best_epochs = train_pairwise(
            self._embed, self.model.parameters(), self.train,
            epochs=p["epochs"], lr=p["lr"], l2=p["l2"], batch_size=p["batch_size"], loss=p["loss"], negatives=p["negatives"],
            n_negatives=p["n_negatives"], seed=self.seed, validate=self._validation_ndcg(self._finalise),
            eval_every=p["eval_every"], checkpoint=open_checkpoint(self, self.train.nnz))
        self.tuned = {"epochs": best_epochs}
        self._finalise()

    @torch.no_grad()
    def _finalise(self) -> None:
        """Propagate once more and keep the final user and item embeddings for scoring."""
        self.user_final, self.item_final = self._embed()

    def _graph(self, train_df, side) -> sp.csr_matrix:
        """The graph to propagate on (users first, then items, then any extra nodes)."""
        return bipartite(self.train)

    def _embed(self):
        emb = propagate(self.model, self.adj)
        return emb[: self.n_users], emb[self.n_users:self.n_users + self.n_items]

    @torch.no_grad()
    def score(self, user_ids):
        return (self.user_final[torch.tensor(user_ids, dtype=torch.long)] @ self.item_final.T).numpy()
