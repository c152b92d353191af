"""Side information as graph nodes: one node per attribute value (category, brand, price band,
merchant, genre flag, age band ...), linked to the items or users that have it.

Column handling (``attribute_matrix``): 0/1 columns give one node (the rows with 1); integer
columns with at most ``max_levels`` values give one node per value (negative = missing, no
edge); anything else (prices, ages, high-cardinality codes) is cut into ``bins`` quantile bands.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp


def attribute_matrix(features: pd.DataFrame | None, n_rows: int, max_levels: int = 2000, bins: int = 5) -> sp.csr_matrix:
    """``(n_rows, n_attribute_nodes)`` 0/1 membership matrix built from ``features`` (empty if None)."""
    blocks = []
    for col in ([] if features is None else features.columns):
        assert features is not None
        v = pd.to_numeric(features[col], errors="coerce").to_numpy(dtype=np.float64)
        ok = np.isfinite(v)
        levels = np.unique(v[ok])
        if set(levels) <= {0.0, 1.0}:
            codes = np.where(v == 1.0, 0, -1)
        elif np.all(levels == np.round(levels)) and len(levels) <= max_levels:
            codes = np.where(ok & (v >= 0), np.searchsorted(levels, v), -1)
        else:
            edges = np.unique(np.nanquantile(v[ok], np.linspace(0, 1, bins + 1)[1:-1])) if ok.any() else np.array([])
            codes = np.where(ok, np.searchsorted(edges, v, side="right"), -1)
        rows = np.flatnonzero(codes >= 0)
        width = int(codes.max()) + 1 if len(rows) else 0
        if width:
            blocks.append(sp.csr_matrix((np.ones(len(rows), np.float32), (rows, codes[rows])), shape=(n_rows, width)))
    return sp.hstack(blocks).tocsr() if blocks else sp.csr_matrix((n_rows, 0), dtype=np.float32)


def item_item_matrix(relations: pd.DataFrame | None, n_items: int, until: float | None = None) -> sp.csr_matrix:
    """Symmetric 0/1 item-item matrix from ``item_relations``. If the relations carry a ``time``
    column, only those known by ``until`` (the end of training) are kept, so test-period
    co-purchases cannot leak into training; rows with a missing time are static facts (e.g. same
    brand) and always kept."""
    if relations is None or len(relations) == 0:
        return sp.csr_matrix((n_items, n_items), dtype=np.float32)
    rel = relations
    if until is not None and "time" in rel.columns:
        t = pd.to_numeric(rel["time"], errors="coerce").to_numpy(dtype=np.float64)
        rel = rel[np.isnan(t) | (t <= until)]
    s, d = rel["src_item"].to_numpy(), rel["dst_item"].to_numpy()
    keep = (s >= 0) & (s < n_items) & (d >= 0) & (d < n_items) & (s != d)
    m = sp.csr_matrix((np.ones(keep.sum(), np.float32), (s[keep], d[keep])), shape=(n_items, n_items))
    m = ((m + m.T) > 0).astype(np.float32)
    return m.tocsr()
