"""Data-level views of a :class:`~bnpl.data.normalised.FraudData`: label vector, target times, node
subsets, the dataset as known at a cutoff, and the latest ``n`` targets with their neighbourhood.

``latest_targets`` keeps the ``n`` most recent target nodes (by ``time``, ties by id), every edge that
touches them, and the other nodes reached from them hop by hop over the node-type schema (an entity type
at schema distance k keeps only the nodes linked to kept nodes of types at distance < k), so a
customer -> device link survives while the rest of the world's devices are dropped. Ids are renumbered.
"""
from __future__ import annotations

import numpy as np

from bnpl.data.normalised import FraudData
from bnpl.errors import BnplError


def label_vector(data: FraudData) -> np.ndarray:
    """1/0 per target node, -1 where unlabelled."""
    y = np.full(data.num_nodes(data.target), -1, dtype=np.int64)
    y[data.labels["node_id"].to_numpy()] = data.labels["label"].to_numpy()
    return y


def target_time(data: FraudData) -> np.ndarray | None:
    """The target nodes' ``time`` column as floats, or None when they carry no time."""
    tdf = data.nodes[data.target]
    return tdf["time"].to_numpy(float) if "time" in tdf.columns else None


def subset_nodes(data: FraudData, keep: dict[str, np.ndarray], edge_ok=None, label_ok=None,
                 name: str | None = None, meta: dict | None = None) -> FraudData:
    """Keep the nodes flagged in ``keep`` (one boolean mask per node type), renumbering ids; edges survive
    when both ends do and ``edge_ok(relation_table)`` (if given) holds; labels when their node survives and
    ``label_ok(labels_table)`` (if given) holds."""
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
        if edge_ok is not None:
            ok &= edge_ok(df)
        rels[(s, r, d)] = df[ok].assign(src=src[ok], dst=dst[ok]).reset_index(drop=True)
    lab = data.labels
    new_id = remap[data.target][lab["node_id"].to_numpy()]
    ok = new_id >= 0
    if label_ok is not None:
        ok &= label_ok(lab)
    labels = lab[ok].assign(node_id=new_id[ok]).reset_index(drop=True)
    return FraudData(name or data.name, nodes, rels, data.target, labels, data.time_unit,
                     dict(meta if meta is not None else data.meta))


def restrict_to_time(data: FraudData, cutoff: float) -> FraudData:
    """The dataset as known at ``cutoff``: nodes with ``time > cutoff`` are dropped (ids re-numbered),
    so are edges with ``time > cutoff`` or touching a dropped node, and labels known after the cutoff."""
    keep = {nt: (df["time"].to_numpy() <= cutoff) if "time" in df.columns else np.ones(len(df), dtype=bool)
            for nt, df in data.nodes.items()}
    return subset_nodes(
        data, keep,
        edge_ok=lambda df: df["time"].to_numpy() <= cutoff if "time" in df.columns else np.ones(len(df), bool),
        label_ok=lambda lab: lab["label_time"].to_numpy() <= cutoff)


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
    """The latest ``n`` target nodes and their neighbourhood (``data`` itself when ``n`` is None or covers all).
    The subset is named ``<name>:latest<n>`` and ``meta["recent_targets"]`` records ``n``."""
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
