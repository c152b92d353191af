"""EASE (Steck 2019): closed-form shallow autoencoder ``B = I - P / diag(P)``, ``P = (X^T X + Lambda)^-1``.

``Lambda = l2 * I`` is plain EASE; ``dropout`` p > 0 adds ``p / (1 - p) * diag(X^T X)``, the
item-specific penalty of EDLAE (Steck 2020, "Autoencoders that don't overfit towards the
identity": emphasised denoising with dropout rate p, same zero-diagonal closed form).

Large catalogues (``neighbours`` set): the closed form is the same as one ridge regression per
item ``j`` of its column on all other columns, ``B[-j, j] = (G[-j, -j] + Lambda)^-1 G[-j, j]``.
Restricting each regression to the ``neighbours`` items that co-occur most with ``j`` (a pruned,
sparse Gram) gives a sparse ``B`` at cost ``n_items * neighbours^3`` instead of ``n_items^3``, and
memory ``n_items * neighbours``. When every item co-occurs with every other and all are neighbours it
is exact EASE (``tests/test_recsys_scale.py``).
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp
import torch
from tqdm.auto import tqdm

from bnpl.errors import BnplError
from bnpl.recsys.models.base import Recommender
from bnpl.recsys.sparse_ops import item_gram, top_k_per_row, without_diagonal

MAX_ITEMS = 40_000  # a dense n_items^2 matrix beyond this does not fit in memory
DENSE_GATHER_ITEMS = 12_000  # below this the Gram is densified to gather neighbourhood blocks quickly


def _check(l2: float, dropout: float, model: str) -> None:
    if not 0.0 <= dropout < 1.0:
        raise BnplError(f"{model}: parameter 'dropout' must be in [0, 1) (got {dropout})")
    if l2 <= 0:
        raise BnplError(f"{model}: parameter 'l2' must be positive (got {l2})")


def ease_weights(gram: np.ndarray, l2: float, dropout: float = 0.0, model: str = "EASE") -> np.ndarray:
    """EASE/EDLAE item-item weights from an item Gram matrix (dense, float32): zero diagonal."""
    _check(l2, dropout, model)
    g = torch.from_numpy(np.array(gram, dtype=np.float32))  # float32: G + Lambda is well conditioned, twice as fast
    g.diagonal().add_(l2 + dropout / (1.0 - dropout) * g.diagonal())
    p = torch.linalg.inv(g)
    b = -p / p.diagonal()
    b.fill_diagonal_(0.0)
    return b.numpy()


def ease_neighbourhood_weights(gram: sp.spmatrix, l2: float, dropout: float = 0.0, neighbours: int = 200,
                               model: str = "EASE", chunk: int = 256, progress: bool = False) -> sp.csr_matrix:
    """Sparse EASE weights: column ``j`` regressed on its ``neighbours`` strongest co-occurring items only.
    ``gram`` must be symmetric."""
    _check(l2, dropout, model)
    if neighbours < 1:
        raise BnplError(f"{model}: parameter 'neighbours' must be at least 1 (got {neighbours})")
    g = sp.csr_matrix(gram, dtype=np.float32)
    n = g.shape[0]
    diag = g.diagonal().astype(np.float64)
    penalty = (l2 + dropout / (1.0 - dropout) * diag).astype(np.float32)
    hood = top_k_per_row(without_diagonal(g), neighbours)  # row j: j's neighbours
    m = int(np.diff(hood.indptr).max(initial=0))
    dense = g.toarray() if n <= DENSE_GATHER_ITEMS else None
    rows, cols, vals = [], [], []
    for start in tqdm(range(0, n, chunk), disable=not progress, desc=f"{model} neighbourhoods", leave=False):
        items = np.arange(start, min(n, start + chunk))
        idx = np.zeros((len(items), m), dtype=np.int64)
        mask = np.zeros((len(items), m), dtype=bool)
        rhs = np.zeros((len(items), m), dtype=np.float32)
        for r, j in enumerate(items):
            span = slice(hood.indptr[j], hood.indptr[j + 1])
            nb = hood.indices[span]
            idx[r, :len(nb)], mask[r, :len(nb)] = nb, True
            rhs[r, :len(nb)] = hood.data[span]  # G[j, nb] = G[nb, j]: the Gram is symmetric
        if dense is not None:
            a = dense[idx[:, :, None], idx[:, None, :]]
        else:
            a = np.stack([g[i][:, i].toarray() for i in idx])
        both = mask[:, :, None] & mask[:, None, :]
        a = np.where(both, a, 0.0).astype(np.float32)
        diag_idx = np.arange(m)
        a[:, diag_idx, diag_idx] = np.where(mask, a[:, diag_idx, diag_idx] + penalty[idx], 1.0)
        rhs = np.where(mask, rhs, 0.0).astype(np.float32)
        chol = torch.linalg.cholesky(torch.from_numpy(a))  # G_NN + Lambda is symmetric positive definite
        b = torch.cholesky_solve(torch.from_numpy(rhs)[:, :, None], chol)[:, :, 0].numpy()
        rows.append(idx[mask])
        cols.append(np.repeat(items, mask.sum(1)))
        vals.append(b[mask])
    if not rows:
        return sp.csr_matrix((n, n), dtype=np.float32)
    return sp.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(n, n), dtype=np.float32)


class EASE(Recommender):
    name = "ease"
    grid = [{"l2": 100.0}, {"l2": 1000.0}, {"l2": 300.0, "dropout": 0.25}]
    #: the cheaper variant the benchmark runs when the closed form's cost exceeds the time budget
    cheaper = {"neighbours": 100}
    scales_with = "items_cubed"

    def _fit(self, train_df, side) -> None:
        assert self.train is not None     # set by fit before _fit
        x = self.train.astype(np.float32)
        l2, dropout = float(self.params.get("l2", 500.0)), float(self.params.get("dropout", 0.0))
        if self.params.get("neighbours"):
            self.b = ease_neighbourhood_weights(item_gram(x), l2, dropout, int(self.params["neighbours"]), model=self.name)
            return
        if self.n_items > MAX_ITEMS:
            raise BnplError(f"EASE: {self.n_items} items is too many for a dense item-item model (max {MAX_ITEMS}); "
                            "set parameter 'neighbours' for the sparse approximation")
        self.b = ease_weights((x.T @ x).toarray(), l2, dropout, model=self.name)

    def score(self, user_ids):
        s = self.train[user_ids] @ self.b
        return s.toarray() if sp.issparse(s) else s
