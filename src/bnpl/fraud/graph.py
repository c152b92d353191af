"""FraudData -> PyG graphs: a typed ``HeteroData`` with reverse edges, and a homogeneous projection
(``HomGraph``) with sparse adjacencies for PyG convs. Data-level views (subsets, the data as known at a
cutoff, the label vector) are in :mod:`bnpl.data.subset`."""
from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
import torch
from torch_geometric.data import HeteroData

from bnpl.data.normalised import FraudData, feature_columns
from bnpl.data.subset import label_vector

EDGE_META = ("src", "dst", "time")


def scale_features(x: np.ndarray | pd.DataFrame) -> np.ndarray:
    """log1p for non-negative columns, then z-score; constant columns become 0. Computed in float64 one
    column at a time into the float32 result (no full float64 copy of ``x``)."""
    x = x if isinstance(x, pd.DataFrame) else np.asarray(x)
    column = (lambda j: x.iloc[:, j].to_numpy(np.float64)) if isinstance(x, pd.DataFrame) else \
        (lambda j: np.asarray(x[:, j], dtype=np.float64))
    out = np.empty(x.shape, dtype=np.float32)
    for j in range(x.shape[1]):
        col = column(j)
        if np.nanmin(col) >= 0:
            col = np.log1p(col)
        sd = np.nanstd(col)
        col = np.zeros(len(col)) if sd == 0 or not np.isfinite(sd) else (col - np.nanmean(col)) / sd
        out[:, j] = np.nan_to_num(col)
    return out


def _degrees(data: FraudData, nt: str) -> np.ndarray:
    """log-scaled in/out degree of every node of type ``nt`` per relation it touches (structure features)."""
    cols = []
    n = data.num_nodes(nt)
    for (s, _, d), df in data.relations.items():
        if s == nt:
            cols.append(np.bincount(df["src"].to_numpy(), minlength=n))
        if d == nt:
            cols.append(np.bincount(df["dst"].to_numpy(), minlength=n))
    return np.stack(cols, 1).astype(np.float64) if cols else np.zeros((n, 0))


def node_matrix(data: FraudData, nt: str) -> np.ndarray:
    """Scaled model input for one node type: its feature columns plus its degrees."""
    df = data.nodes[nt]
    x = np.concatenate([df[feature_columns(df)].to_numpy(np.float64), _degrees(data, nt)], 1)
    return scale_features(x) if x.shape[1] else np.zeros((len(df), 1), np.float32)


def build_hetero_graph(data: FraudData) -> HeteroData:
    """Typed graph: ``x`` per node type, every relation plus its reverse ``rev_<rel>``,
    ``edge_time`` and ``edge_attr`` (numeric relation columns) on both, ``y`` on the target type."""
    g = HeteroData()
    for nt, df in data.nodes.items():
        g[nt].x = torch.from_numpy(node_matrix(data, nt))
        g[nt].num_nodes = len(df)
        if "time" in df.columns:
            g[nt].time = torch.tensor(df["time"].to_numpy(np.float64))
    for (s, r, d), df in data.relations.items():
        ei = torch.tensor(np.stack([df["src"].to_numpy(), df["dst"].to_numpy()]), dtype=torch.long)
        attrs = [c for c in df.columns if c not in EDGE_META]
        for key, idx in (((s, r, d), ei), ((d, f"rev_{r}", s), ei.flip(0))):
            g[key].edge_index = idx
            if "time" in df.columns:
                g[key].edge_time = torch.tensor(df["time"].to_numpy(np.float64))
            if attrs:
                g[key].edge_attr = torch.from_numpy(scale_features(df[attrs].to_numpy(np.float64)))
    g[data.target].y = torch.from_numpy(label_vector(data))
    return g


@dataclass
class HomGraph:
    """Homogeneous projection: all node types stacked (target type first), features block-padded."""

    x: torch.Tensor            # (N, F) node inputs, a one-hot of the node type first
    edge_index: torch.Tensor   # (2, E) original directions (src -> dst)
    edge_type: torch.Tensor    # (E,) relation index into ``relations``
    relations: list
    node_type: torch.Tensor    # (N,)
    n_target: int              # target nodes are rows 0..n_target-1

    def adj_t(self, direction: str = "both", rel: int | None = None) -> torch.Tensor:
        """Sparse CSR adjacency (rows = receivers) for PyG convs: ``in`` (messages src->dst),
        ``out`` (dst->src) or ``both``; optionally one relation only. Unweighted, duplicates summed."""
        ei = self.edge_index if rel is None else self.edge_index[:, self.edge_type == rel]
        if direction == "in":
            rows, cols = ei[1], ei[0]
        elif direction == "out":
            rows, cols = ei[0], ei[1]
        else:
            rows, cols = torch.cat([ei[1], ei[0]]), torch.cat([ei[0], ei[1]])
        n = self.x.shape[0]
        with warnings.catch_warnings():   # torch's "sparse CSR is beta" notices
            warnings.simplefilter("ignore", UserWarning)
            a = torch.sparse_coo_tensor(torch.stack([rows, cols]), torch.ones(rows.numel()), (n, n)).coalesce()
            a = torch.sparse_coo_tensor(a.indices(), torch.ones(a.indices().shape[1]), (n, n))
            return a.to_sparse_csr()


def build_homogeneous_graph(data: FraudData) -> HomGraph:
    """Stack every node type into one graph (target type first) for homogeneous GNNs."""
    types = [data.target] + [t for t in data.nodes if t != data.target]
    mats = {t: node_matrix(data, t) for t in types}
    offs, o = {}, 0
    for t in types:
        offs[t] = o
        o += mats[t].shape[0]
    width = len(types) + sum(m.shape[1] for m in mats.values())
    x = np.zeros((o, width), np.float32)
    col = len(types)
    for i, t in enumerate(types):
        m = mats[t]
        x[offs[t]:offs[t] + len(m), i] = 1.0
        x[offs[t]:offs[t] + len(m), col:col + m.shape[1]] = m
        col += m.shape[1]
    eis, ets, rels = [], [], []
    for k, ((s, r, d), df) in enumerate(data.relations.items()):
        eis.append(np.stack([df["src"].to_numpy() + offs[s], df["dst"].to_numpy() + offs[d]]))
        ets.append(np.full(len(df), k))
        rels.append((s, r, d))
    ei = np.concatenate(eis, 1) if eis else np.zeros((2, 0), np.int64)
    et = np.concatenate(ets) if ets else np.zeros(0, np.int64)
    nt = np.concatenate([np.full(mats[t].shape[0], i) for i, t in enumerate(types)])
    return HomGraph(torch.from_numpy(x), torch.as_tensor(ei, dtype=torch.long), torch.as_tensor(et, dtype=torch.long),
                    rels, torch.as_tensor(nt, dtype=torch.long), data.num_nodes(data.target))
