"""The GNN networks on the homogeneous projection (``HomGraph``), built from PyG layers.

Every model maps node inputs ``x`` (N, F) to one fraud logit per node and exposes ``embed`` (the
hidden representation used by the hybrid GNN -> LightGBM model). A model runs on the graph it was
built on, or on any other ``HomGraph`` with the same relations (a mini-batch subgraph) when its
``structure(subgraph)`` is passed as the second argument of ``forward`` / ``embed``.

* ``sage``       GraphSAGE (mean aggregation, root weight).
* ``gatv2``      GATv2 attention.
* ``rgcn``       relational: one SAGE aggregation per (relation, direction), summed (R-GCN with mean norm).
* ``ego_neigh``  heterophily-aware, H2GCN-style: ego, 1-hop and 2-hop representations kept separate
                 and concatenated, so camouflaging legit neighbours cannot wash out a node's own signal.
* ``dir_sage``   direction-aware (Dir-GNN / Multi-GNN reverse message passing): separate aggregations
                 over incoming and outgoing edges, for money flows.
"""
from __future__ import annotations

import torch
from torch import nn
from torch_geometric.nn import GATv2Conv, SAGEConv, SimpleConv

from bnpl.fraud.graph import HomGraph

GNN_NAMES = ("sage", "gatv2", "rgcn", "ego_neigh", "dir_sage")


class Head(nn.Module):
    def __init__(self, hidden: int, dropout: float):
        super().__init__()
        self.net = nn.Sequential(nn.ReLU(), nn.Dropout(dropout), nn.Linear(hidden, 1))

    def forward(self, h):
        return self.net(h).squeeze(-1)


class FraudGNN(nn.Module):
    """A network of the zoo: ``embed(x, structure)`` gives the hidden representation, ``head`` one logit per node."""

    head: Head

    def embed(self, x, structure=None):
        raise NotImplementedError

    def forward(self, x, structure=None):
        return self.head(self.embed(x, structure))


class SAGE(FraudGNN):
    def __init__(self, g: HomGraph, in_dim: int, hidden: int, layers: int = 2, dropout: float = 0.2):
        super().__init__()
        self.adj = self.structure(g)
        self.convs = nn.ModuleList(SAGEConv(in_dim if i == 0 else hidden, hidden) for i in range(layers))
        self.drop, self.head = nn.Dropout(dropout), Head(hidden, dropout)

    @staticmethod
    def structure(g: HomGraph):
        return g.adj_t("both")

    def embed(self, x, structure=None):
        adj = self.adj if structure is None else structure
        for i, conv in enumerate(self.convs):
            x = conv(self.drop(x) if i else x, adj)
            x = x.relu() if i < len(self.convs) - 1 else x
        return x


class GATv2(FraudGNN):
    def __init__(self, g: HomGraph, in_dim: int, hidden: int, layers: int = 2, dropout: float = 0.2, heads: int = 2):
        super().__init__()
        self.edge_index = self.structure(g)
        dims = [in_dim] + [hidden] * layers
        self.convs = nn.ModuleList(GATv2Conv(dims[i], hidden // heads, heads=heads, add_self_loops=True)
                                   for i in range(layers))
        self.drop, self.head = nn.Dropout(dropout), Head(hidden, dropout)

    @staticmethod
    def structure(g: HomGraph):
        return torch.cat([g.edge_index, g.edge_index.flip(0)], 1)

    def embed(self, x, structure=None):
        edge_index = self.edge_index if structure is None else structure
        for i, conv in enumerate(self.convs):
            x = conv(self.drop(x) if i else x, edge_index)
            x = nn.functional.elu(x) if i < len(self.convs) - 1 else x
        return x


class RelationalSAGE(FraudGNN):
    """Sum over (relation, direction) of mean-aggregated messages plus a root transform."""

    def __init__(self, g: HomGraph, in_dim: int, hidden: int, layers: int = 2, dropout: float = 0.2):
        super().__init__()
        self.adjs = self.structure(g)
        dims = [in_dim] + [hidden] * layers
        self.root = nn.ModuleList(nn.Linear(dims[i], hidden) for i in range(layers))
        self.convs = nn.ModuleList(nn.ModuleList(SAGEConv(dims[i], hidden, root_weight=False, bias=False)
                                                 for _ in self.adjs) for i in range(layers))
        self.drop, self.head = nn.Dropout(dropout), Head(hidden, dropout)

    @staticmethod
    def structure(g: HomGraph):
        return [g.adj_t(d, r) for r in range(len(g.relations)) for d in ("in", "out")]

    def embed(self, x, structure=None):
        adjs = self.adjs if structure is None else structure
        for i, (root, convs) in enumerate(zip(self.root, self.convs, strict=True)):
            x = self.drop(x) if i else x
            x = root(x) + sum(conv(x, a) for conv, a in zip(convs, adjs, strict=True))
            x = x.relu() if i < len(self.convs) - 1 else x
        return x


class EgoNeigh(FraudGNN):
    """H2GCN-style: h0 = MLP(x); r_k = mean over k-hop neighbours without self; out = [h0 || r1 || r2]."""

    def __init__(self, g: HomGraph, in_dim: int, hidden: int, layers: int = 2, dropout: float = 0.2):
        super().__init__()
        self.adj = self.structure(g)
        self.hops = layers
        self.ego = nn.Sequential(nn.Linear(in_dim, hidden), nn.ReLU(), nn.Dropout(dropout), nn.Linear(hidden, hidden))
        self.agg = SimpleConv(aggr="mean")
        self.mix = nn.Linear(hidden * (layers + 1), hidden)
        self.drop, self.head = nn.Dropout(dropout), Head(hidden, dropout)

    @staticmethod
    def structure(g: HomGraph):
        return g.adj_t("both")

    def embed(self, x, structure=None):
        adj = self.adj if structure is None else structure
        parts = [self.ego(x)]
        for _ in range(self.hops):
            parts.append(self.agg(parts[-1], adj))
        return self.mix(self.drop(torch.cat(parts, -1)))


class DirSAGE(FraudGNN):
    """Separate SAGE aggregations over incoming and outgoing edges (reverse message passing)."""

    def __init__(self, g: HomGraph, in_dim: int, hidden: int, layers: int = 2, dropout: float = 0.2):
        super().__init__()
        self.adjs = self.structure(g)
        dims = [in_dim] + [hidden] * layers
        self.root = nn.ModuleList(nn.Linear(dims[i], hidden) for i in range(layers))
        self.conv_in = nn.ModuleList(SAGEConv(dims[i], hidden, root_weight=False) for i in range(layers))
        self.conv_out = nn.ModuleList(SAGEConv(dims[i], hidden, root_weight=False) for i in range(layers))
        self.drop, self.head = nn.Dropout(dropout), Head(hidden, dropout)

    @staticmethod
    def structure(g: HomGraph):
        return g.adj_t("in"), g.adj_t("out")

    def embed(self, x, structure=None):
        a_in, a_out = self.adjs if structure is None else structure
        for i in range(len(self.root)):
            x = self.drop(x) if i else x
            x = self.root[i](x) + self.conv_in[i](x, a_in) + self.conv_out[i](x, a_out)
            x = x.relu() if i < len(self.root) - 1 else x
        return x


def build_model(name: str, g: HomGraph, in_dim: int, hidden: int = 64, layers: int = 2,
                dropout: float = 0.2) -> nn.Module:
    """Instantiate a model of the zoo by name."""
    cls = {"sage": SAGE, "gatv2": GATv2, "rgcn": RelationalSAGE, "ego_neigh": EgoNeigh, "dir_sage": DirSAGE}
    if name not in cls:
        from bnpl.errors import BnplError
        raise BnplError(f"unknown GNN model {name!r}; expected one of {list(cls)}")
    return cls[name](g, in_dim, hidden, layers=layers, dropout=dropout)
