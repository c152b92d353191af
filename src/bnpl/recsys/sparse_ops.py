"""Sparse item-item helpers, so that neighbourhood models never build a dense ``n_items^2`` matrix."""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp


def top_k_per_row(m: sp.spmatrix, k: int) -> sp.csr_matrix:
    """``m`` (CSR, float32) keeping only the ``k`` largest entries of each row (ties: lower column first)."""
    m = sp.csr_matrix(m, dtype=np.float32)
    m.sum_duplicates()
    counts = np.diff(m.indptr)
    if counts.max(initial=0) <= k:
        return m
    rows = np.repeat(np.arange(m.shape[0]), counts)
    order = np.lexsort((m.indices, -m.data, rows))  # row, then value descending, then column
    rank = np.arange(len(order)) - np.repeat(m.indptr[:-1], counts)
    keep = order[rank < k]
    keep.sort()  # back to CSR order (row, column)
    out = sp.csr_matrix((m.data[keep], m.indices[keep], np.concatenate([[0], np.cumsum(np.minimum(counts, k))])),
                        shape=m.shape)
    return out


def without_diagonal(m: sp.spmatrix) -> sp.csr_matrix:
    """``m`` with its diagonal entries removed (not just zeroed)."""
    coo = sp.coo_matrix(m)
    off = coo.row != coo.col
    return sp.csr_matrix((coo.data[off], (coo.row[off], coo.col[off])), shape=m.shape, dtype=m.dtype)


def item_gram(x: sp.spmatrix) -> sp.csr_matrix:
    """Sparse ``X^T X`` (float32): co-occurrence counts of item pairs, diagonal = item counts."""
    x = sp.csr_matrix(x, dtype=np.float32)
    return (x.T.tocsr() @ x).tocsr()
