"""Label-free structure of the target nodes: own columns, the entities they share (payer, merchant,
device ...), target-to-target flows (transfers between accounts) and neighbourhood aggregates.

* ``entity_links``: which entity each target links to, per relation;
* ``entity_block``: an entity's statistics over its targets (counts, amount stats, the amount against
  the entity's earlier targets);
* ``cross_counts``: distinct co-linked entities;
* ``flow_block`` / ``pass_through_block``: in/out flow statistics, closed walks (cycles), money passed on;
* ``relation_structures``: per target-to-target relation its 0/1 adjacency and the matrices the label
  features reuse per fold (:class:`Relation`);
* ``neighbour_aggregates`` / ``homogeneous_aggregates``: neighbours' structural features and inputs.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

from bnpl.data.normalised import FraudData, feature_columns
from bnpl.fraud.features.blocks import merged_frames
from bnpl.fraud.features.sequence import past_order
from bnpl.fraud.graph import build_homogeneous_graph

_HOM_BLOCK = 8          # input columns walked at a time by homogeneous_aggregates

@dataclass(frozen=True)
class Relation:
    """One target-to-target relation: its name, edge table, 0/1 adjacency (rows = senders, self-loops
    dropped) and :func:`flow_structure` of that adjacency."""
    name: str
    edges: pd.DataFrame
    adjacency: sp.csr_matrix
    structure: dict


def tabular_features(data: FraudData) -> pd.DataFrame:
    """The target node's own feature columns (never a label-derived column)."""
    df = data.nodes[data.target]
    return df[feature_columns(df)].astype(float).reset_index(drop=True)


def entity_links(data: FraudData) -> list[tuple[str, str, np.ndarray]]:
    """(name, entity type, entity id per target node) for every relation target <-> other type
    in which each target has exactly one such entity (transaction -> payer, merchant ...)."""
    out = []
    n = data.num_nodes(data.target)
    for (s, r, d), df in data.relations.items():
        if (s == data.target) == (d == data.target):
            continue
        tcol, ecol, et = ("src", "dst", d) if s == data.target else ("dst", "src", s)
        t = df[tcol].to_numpy()
        if len(t) == n and np.array_equal(np.sort(t), np.arange(n)):
            ent = np.empty(n, dtype=np.int64)
            ent[t] = df[ecol].to_numpy()
            out.append((r, et, ent))
    return out


def target_relations(data: FraudData) -> list[tuple[tuple[str, str, str], pd.DataFrame]]:
    """Relations whose both ends are the target type (e.g. account -> account transfers)."""
    return [(k, df) for k, df in data.relations.items() if k[0] == data.target and k[2] == data.target]


def adjacency(df: pd.DataFrame, n: int, weights: np.ndarray | None = None) -> sp.csr_matrix:
    """``n x n`` adjacency of an edge table (rows = ``src``), self-loops dropped, duplicates summed:
    0/1 without ``weights``, else the summed ``weights`` (one per row of ``df``)."""
    src, dst = df["src"].to_numpy(), df["dst"].to_numpy()
    keep = src != dst
    w = np.ones(keep.sum()) if weights is None else np.asarray(weights)[keep]
    a = sp.csr_matrix((w, (src[keep], dst[keep])), shape=(n, n))
    if weights is None:
        a.data[:] = 1.0
    return a


def entity_block(name: str, ent: np.ndarray, own: pd.DataFrame, time: np.ndarray | None,
                 past: dict[str, np.ndarray] | None, causal: bool) -> dict[str, np.ndarray]:
    """Statistics of one entity (e.g. the payer) over the targets it links to. ``past``: the entity's
    :func:`~bnpl.fraud.features.sequence.sequence_features` at ``time`` (its prior count and gap are taken
    from there); both None without time."""
    f: dict[str, np.ndarray] = {}
    g = own.groupby(ent)                 # grouped by the key array: no copy of the frame per entity
    if not causal:
        f[f"{name}_count"] = np.bincount(ent)[ent].astype(float)
        for c in own.columns:
            m = g[c].transform("mean").to_numpy(float)
            f[f"{name}_{c}_mean"] = m
            f[f"{name}_{c}_std"] = g[c].transform("std").fillna(0).to_numpy(float)
            f[f"{name}_{c}_diff"] = own[c].to_numpy(float) - m
    if time is not None and past is not None:
        rank = past[f"{name}_prior_count"]
        f[f"{name}_prior_count"] = rank
        f[f"{name}_gap_prev"] = past[f"{name}_gap_prev"]
        # the amount vs the entity's earlier mean (left out in causal mode: on validation it fits the
        # training period and transfers worse than the windowed deviations of sequence_features)
        if not causal:
            order = past_order(ent, time)
            r_s = rank[order]
            for c in own.columns:
                v = own[c].to_numpy(float)[order]
                cs = pd.Series(v).groupby(ent[order]).cumsum().to_numpy()
                prev_mean = np.empty(len(v))
                prev_mean[order] = np.where(r_s > 0, (cs - v) / np.maximum(r_s, 1), np.nan)
                f[f"{name}_{c}_prev_mean"] = prev_mean
                f[f"{name}_{c}_vs_prev"] = own[c].to_numpy(float) - prev_mean
    return f


def cross_counts(links: list[tuple[str, str, np.ndarray]]) -> dict[str, np.ndarray]:
    """Number of distinct entities of type B co-occurring with this target's entity of type A."""
    f = {}
    for na, _, a in links:
        for nb, _, b in links:
            if na != nb:
                pairs = pd.DataFrame({"a": a, "b": b})
                f[f"{na}_n_{nb}"] = pairs.groupby("a")["b"].transform("nunique").to_numpy(float)
    return f


def flow_block(name: str, a: sp.csr_matrix, amt: sp.csr_matrix, max_cycle: int) -> dict[str, np.ndarray]:
    """Direction-aware features of target-to-target edges ``a`` (binary, rows = senders)."""
    f: dict[str, np.ndarray] = {}
    a_t = a.T.tocsr()
    cnt = amt.copy()
    cnt.data = np.ones_like(cnt.data)
    for d, m, mc in (("out", amt, cnt), ("in", amt.T.tocsr(), cnt.T.tocsr())):
        s = np.asarray(m.sum(1)).ravel()
        c = np.asarray(mc.sum(1)).ravel()
        sq = np.asarray(m.multiply(m).sum(1)).ravel()
        f[f"{name}_{d}_n"] = c
        f[f"{name}_{d}_amount_sum"] = s
        f[f"{name}_{d}_amount_mean"] = s / np.maximum(c, 1)
        f[f"{name}_{d}_amount_std"] = np.sqrt(np.maximum(sq / np.maximum(c, 1) - (s / np.maximum(c, 1)) ** 2, 0))
    f[f"{name}_out_uniq"] = np.diff(a.indptr).astype(float)
    f[f"{name}_in_uniq"] = np.diff(a_t.indptr).astype(float)
    f[f"{name}_flow_ratio"] = f[f"{name}_out_amount_sum"] / (f[f"{name}_in_amount_sum"] + 1.0)
    # closed walks of length k through each node: diag(A^k) as row sums of (A^i o (A^(k-i))^T)
    powers = {1: a}
    for k in range(2, max_cycle // 2 + 2):
        powers[k] = (powers[k - 1] @ a).tocsr()
        powers[k].data = np.minimum(powers[k].data, 1e6)
    for k in range(2, max_cycle + 1):
        i, j = k // 2, k - k // 2
        f[f"{name}_cycles_{k}"] = np.asarray(powers[i].multiply(powers[j].T).sum(1)).ravel()
    return f


def flow_structure(a: sp.csr_matrix) -> dict:
    """The label-free matrices that :func:`~bnpl.fraud.features.labels.flow_label_block` reads, computed
    once per adjacency ``a`` (the label features are rebuilt per fold on the same graph): transpose,
    returns, undirected, reciprocal, 2-hop reach and random-walk matrices."""
    u = ((a + a.T) > 0).astype(np.float64).tocsr()
    reach2 = ((u @ u + u) > 0).astype(np.float64).tolil()
    reach2.setdiag(0)                                                # not the node itself
    a_t = a.T.tocsr()
    und_deg = np.asarray(u.sum(1)).ravel()
    return {"out": a, "in": a_t, "u": u, "recip": a.multiply(a.T).tocsr(), "reach2": reach2.tocsr(),
            "p": sp.diags(1.0 / np.maximum(und_deg, 1)) @ u,
            "out_deg": np.diff(a.indptr).astype(np.float64), "in_deg": np.diff(a_t.indptr).astype(np.float64),
            "und_deg": und_deg,
            "out_returns": np.asarray(a.multiply(a.T).sum(1)).ravel(),
            "in_returns": np.asarray(a_t.multiply(a_t.T).sum(1)).ravel()}


def relation_structures(data: FraudData) -> tuple[Relation, ...]:
    """Every target-to-target relation as a :class:`Relation`, computed once for repeated label
    features (per-fold rebuilds, soft-label features)."""
    n = data.num_nodes(data.target)
    out = []
    for (_, r, _), df in target_relations(data):
        a = adjacency(df, n)
        out.append(Relation(r, df, a, flow_structure(a)))
    return tuple(out)


def pass_through_block(name: str, df: pd.DataFrame, n: int) -> dict[str, np.ndarray]:
    """Laundering signals on transfer edges: amounts an account both receives and sends on (money
    passing through), edges whose amount is passed on by the receiver / was received by the sender,
    and bursts of repeated transfers between one pair in one time step."""
    f: dict[str, np.ndarray] = {}
    e = pd.DataFrame({"src": df["src"].to_numpy(), "dst": df["dst"].to_numpy(),
                      "amt": np.round(df["amount"].to_numpy(float), 2) if "amount" in df.columns else 0.0,
                      "time": df["time"].to_numpy(float) if "time" in df.columns else 0.0})
    ins = e[["dst", "amt"]].drop_duplicates().rename(columns={"dst": "node"})
    outs = e[["src", "amt"]].drop_duplicates().rename(columns={"src": "node"})
    both = ins.merge(outs, on=["node", "amt"])
    n_match = np.bincount(both["node"].to_numpy(), minlength=n).astype(float)
    n_in = np.bincount(ins["node"].to_numpy(), minlength=n).astype(float)
    n_out = np.bincount(outs["node"].to_numpy(), minlength=n).astype(float)
    f[f"{name}_in_distinct_amounts"] = n_in
    f[f"{name}_out_distinct_amounts"] = n_out
    f[f"{name}_pass_amounts"] = n_match
    f[f"{name}_pass_in_share"] = n_match / np.maximum(n_in, 1)
    f[f"{name}_pass_out_share"] = n_match / np.maximum(n_out, 1)
    key_out = pd.MultiIndex.from_frame(outs[["node", "amt"]])
    key_in = pd.MultiIndex.from_frame(ins[["node", "amt"]])
    fwd = pd.MultiIndex.from_arrays([e["dst"], e["amt"]]).isin(key_out)    # receiver sends this amount on
    rcv = pd.MultiIndex.from_arrays([e["src"], e["amt"]]).isin(key_in)     # sender got this amount before
    f[f"{name}_out_forwarded"] = np.bincount(e["src"], weights=fwd, minlength=n)
    f[f"{name}_in_sourced"] = np.bincount(e["dst"], weights=rcv, minlength=n)
    f[f"{name}_out_forwarded_share"] = f[f"{name}_out_forwarded"] / np.maximum(np.bincount(e["src"], minlength=n), 1)
    f[f"{name}_in_sourced_share"] = f[f"{name}_in_sourced"] / np.maximum(np.bincount(e["dst"], minlength=n), 1)
    pair = e.groupby(["src", "amt"]).size().rename("k").reset_index().sort_values(["src", "k"])
    mode = pair.drop_duplicates("src", keep="last").set_index("src")["amt"]
    off = (e["amt"].to_numpy() != e["src"].map(mode).to_numpy()).astype(float)   # not the sender's usual amount
    f[f"{name}_out_offmode"] = np.bincount(e["src"], weights=off, minlength=n)
    f[f"{name}_in_offmode"] = np.bincount(e["dst"], weights=off, minlength=n)
    pairs = e.groupby(["src", "dst"]).agg(k=("amt", "size"), namt=("amt", "nunique")).reset_index()
    rep = pairs[pairs["k"] > 1]                         # counterparties paid more than once
    f[f"{name}_out_repeat_pairs"] = np.bincount(rep["src"], minlength=n).astype(float)
    f[f"{name}_in_repeat_pairs"] = np.bincount(rep["dst"], minlength=n).astype(float)
    f[f"{name}_out_repeat_max"] = pairs.groupby("src")["k"].max().reindex(range(n), fill_value=0).to_numpy(float)
    f[f"{name}_in_repeat_max"] = pairs.groupby("dst")["k"].max().reindex(range(n), fill_value=0).to_numpy(float)
    burst = e.groupby(["src", "dst", "time"]).size().rename("m").reset_index()
    for side in ("src", "dst"):
        g = burst.groupby(side)["m"]
        f[f"{name}_{side}_burst_max"] = g.max().reindex(range(n), fill_value=0).to_numpy(float)
        f[f"{name}_{side}_burst_mean"] = g.mean().reindex(range(n), fill_value=0).to_numpy(float)
        f[f"{name}_{side}_steps"] = e.groupby(side)["time"].nunique().reindex(range(n), fill_value=0).to_numpy(float)
    return f


def neighbour_aggregates(name: str, df: pd.DataFrame, base: pd.DataFrame, n: int) -> dict[str, np.ndarray]:
    """Max and mean of neighbours' structural features, separately over out- and in-neighbours."""
    e = pd.DataFrame({"src": df["src"].to_numpy(), "dst": df["dst"].to_numpy()}).drop_duplicates()
    e = e[e["src"] != e["dst"]]
    f = {}
    for d, me, nb in (("out", "src", "dst"), ("in", "dst", "src")):
        vals = base.iloc[e[nb].to_numpy()].reset_index(drop=True)
        vals["_me"] = e[me].to_numpy()
        g = vals.groupby("_me")
        for agg in ("max", "mean"):
            a = getattr(g, agg)().reindex(range(n), fill_value=0)
            for c in base.columns:
                f[f"{name}_{d}nb_{agg}_{c}"] = a[c].to_numpy(float)
    return f


def homogeneous_aggregates(data: FraudData, hops: int = 2) -> pd.DataFrame:
    """Mean of neighbours' (scaled) inputs over the homogeneous projection, 1..hops hops, for target rows:
    columns ``hom_hop{k}_{input}`` hop by hop, inputs constant over the target rows left out."""
    h = build_homogeneous_graph(data)
    ei = h.edge_index.numpy()
    n, width = h.x.shape
    a = sp.coo_matrix((np.ones(ei.shape[1] * 2), (np.r_[ei[1], ei[0]], np.r_[ei[0], ei[1]])), shape=(n, n)).tocsr()
    a.data[:] = 1.0
    deg = np.asarray(a.sum(1)).ravel()
    p = sp.diags(1.0 / np.maximum(deg, 1)) @ a
    # one preallocated block per hop, written column by column (pages of columns left out are never
    # touched); a few input columns at a time: every column's walk is independent (the same sums in the
    # same order as the whole matrix at once), and only the target rows are kept
    blocks = [np.empty((h.n_target, width), dtype=np.float64, order="F") for _ in range(hops)]
    names: list[list[str]] = [[] for _ in range(hops)]
    for lo in range(0, width, _HOM_BLOCK):
        x = h.x[:, lo:lo + _HOM_BLOCK].numpy().astype(np.float64)
        for k in range(hops):
            x = p @ x
            for j in range(x.shape[1]):
                if x[: h.n_target, j].std() > 0:
                    blocks[k][:, len(names[k])] = x[: h.n_target, j]
                    names[k].append(f"hom_hop{k + 1}_{lo + j}")
    return merged_frames([pd.DataFrame(b[:, :len(c)], columns=c, copy=False) for b, c in zip(blocks, names, strict=True)],
                         h.n_target)
