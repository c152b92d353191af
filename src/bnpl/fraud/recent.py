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
from bnpl.fraud.graph import subset_nodes


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
    meta = {**data.meta, "recent_targets": int(n)}
    return subset_nodes(data, keep, name=f"{data.name}:latest{n}", meta=meta)
