"""A smaller dataset for quick runs: the latest ``n`` target nodes and the entities around them.

``latest_targets`` keeps the ``n`` most recent target nodes (by ``time``, ties by id), every edge that
touches them, and the other nodes reached from them hop by hop over the node-type schema (an entity type
at schema distance k keeps only the nodes linked to kept nodes of types at distance < k), so a
customer -> device link survives while the rest of the world's devices are dropped. Ids are renumbered.
"""
from __future__ import annotations

import numpy as np

from bnpl.data.normalised import FraudData
from bnpl.errors import BnplError


def _type_distances(data: FraudData) -> dict[str, int]:
    """Hops from the target type to every node type over the relation schema (unreachable types absent)."""
    dist, frontier = {data.target: 0}, [data.target]
    while frontier:
        nxt = []
        for s, _, d in data.relations:
            for a, b in ((s, d), (d, s)):
                if a in frontier and b not in dist:
                    dist[b] = dist[a] + 1
                    nxt.append(b)
        frontier = nxt
    return dist


def latest_targets(data: FraudData, n: int | None) -> FraudData:
    """The latest ``n`` target nodes and their neighbourhood (``data`` itself when ``n`` is None or covers all)."""
    tdf = data.nodes[data.target]
    if n is None or n >= len(tdf):
        return data
    if "time" not in tdf.columns:
        raise BnplError(f"recent_targets={n}: the {data.target!r} nodes of {data.name} have no time column")
    order = np.lexsort((np.arange(len(tdf)), tdf["time"].to_numpy()))
    keep = {nt: np.zeros(len(df), dtype=bool) for nt, df in data.nodes.items()}
    keep[data.target][order[-n:]] = True
    dist = _type_distances(data)
    for k in range(1, max(dist.values(), default=0) + 1):
        for (s, _, d), df in data.relations.items():
            for near, far, near_col, far_col in ((s, d, "src", "dst"), (d, s, "dst", "src")):
                if dist.get(far) == k and dist.get(near, k) < k:
                    keep[far][df[far_col].to_numpy()[keep[near][df[near_col].to_numpy()]]] = True
    remap = {}
    for nt, k in keep.items():
        m = np.full(len(k), -1, dtype=np.int64)
        m[k] = np.arange(int(k.sum()))
        remap[nt] = m
    nodes = {nt: df[keep[nt]].assign(node_id=np.arange(int(keep[nt].sum()))).reset_index(drop=True)
             for nt, df in data.nodes.items()}
    rels = {}
    for (s, r, d), df in data.relations.items():
        src, dst = remap[s][df["src"].to_numpy()], remap[d][df["dst"].to_numpy()]
        ok = (src >= 0) & (dst >= 0)
        rels[(s, r, d)] = df[ok].assign(src=src[ok], dst=dst[ok]).reset_index(drop=True)
    lab = data.labels
    new_id = remap[data.target][lab["node_id"].to_numpy()]
    labels = lab[new_id >= 0].assign(node_id=new_id[new_id >= 0]).reset_index(drop=True)
    meta = {**data.meta, "recent_targets": int(n)}
    return FraudData(f"{data.name}:latest{n}", nodes, rels, data.target, labels, data.time_unit, meta)
