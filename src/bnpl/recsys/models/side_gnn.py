"""A graph recommender that uses side information: LightGCN propagation over a heterogeneous
graph of users, items, attribute-value nodes (item category / brand / price band / merchant,
user attributes; see :mod:`bnpl.recsys.side_graph`) and item-item relations (complement,
substitute, same brand).

Every node type gets its own learned embedding; messages flow along all edge types with
symmetric degree normalisation (PyG's LightGCN on the combined graph). Two switches make the
ablations: ``side_features`` (attribute nodes on/off) and ``item_edges`` (item-item edges on/off).
With both off it is exactly :class:`~bnpl.recsys.models.lightgcn.LightGCN`.
"""
from __future__ import annotations

import scipy.sparse as sp

from bnpl.recsys.models.lightgcn import DEFAULTS as LIGHTGCN_DEFAULTS
from bnpl.recsys.models.lightgcn import LightGCN
from bnpl.recsys.side_graph import attribute_matrix, item_item_matrix

DEFAULTS = LIGHTGCN_DEFAULTS | {"side_features": True, "item_edges": True}


class SideGNN(LightGCN):
    inputs = "ids + user/item attributes + item-item relations"
    name = "sidegnn"
    cost = 10
    grid = LightGCN.grid

    def _graph(self, train_df, side) -> sp.csr_matrix:
        p = DEFAULTS | self.params
        nu, ni = self.n_users, self.n_items
        use_side = p["side_features"] and side is not None
        item_attr = attribute_matrix(side.item_features if use_side else None, ni)
        user_attr = attribute_matrix(side.user_features if use_side else None, nu)
        until = float(train_df["time"].max()) if "time" in train_df.columns else None
        ii = item_item_matrix(side.item_relations if (p["item_edges"] and side is not None) else None, ni, until)
        na, nb = item_attr.shape[1], user_attr.shape[1]
        self.n_side_nodes = na + nb
        assert self.train is not None     # set by fit before _graph
        # node order: users | items | item attributes | user attributes
        return sp.bmat([
            [None, self.train, None, user_attr],
            [self.train.T, ii, item_attr, None],
            [None, item_attr.T, sp.csr_matrix((na, na)), None],
            [user_attr.T, None, None, sp.csr_matrix((nb, nb))],
        ]).tocsr()
