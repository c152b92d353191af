"""Tabular and graph-aggregate features of target nodes, for gradient boosting (GADBench's RF/XGB-Graph idea).

* ``tabular_features``: the target node's own columns only.
* ``graph_features``: own columns, plus for every entity the target shares (payer, merchant, device ...)
  that entity's statistics over its other targets (counts, amount stats, time since its previous
  target, number of distinct co-linked entities) and its leave-one-out TRAINING fraud rate; for
  target-to-target relations (transfers between accounts) in/out flow statistics, closed-walk counts
  (cycle participation) and training-label rates of 1- and 2-hop in/out neighbours, direction-free
  community label features (reciprocal / undirected / 2-hop known fraud, fraud triangles, label
  propagation) and out-of-fold edge-model scores (:mod:`bnpl.fraud.edge_scores`); past-only velocity
  of every entity and entity pair (:func:`sequence_features`); and mean 1/2-hop aggregates over the
  homogeneous projection.

Only training labels enter features, and a node never sees its own label. With ``causal=True``
per-entity statistics use only earlier targets (for temporal evaluation), raw time is left out, and
per-entity label features use only labels at least ``label_delay`` old (:func:`default_label_delay`),
and the past-only context of every shared entity is added (:mod:`bnpl.fraud.context`: its age, burst
speed and share of newcomer customers, the early sign of a fraud campaign).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp

from bnpl.data.normalised import FraudData, feature_columns
from bnpl.fraud.edge_scores import edge_score_features
from bnpl.fraud.graph import build_homogeneous_graph, label_vector


def tabular_features(data: FraudData) -> pd.DataFrame:
    """The target node's own feature columns (never a label-derived column)."""
    df = data.nodes[data.target]
    return df[feature_columns(df)].astype(float).reset_index(drop=True)


def train_label_channels(data: FraudData, train_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(is known fraud, is known label) per target node, from training labels only."""
    y = label_vector(data)
    known = np.zeros(len(y), dtype=np.float64)
    known[train_ids] = 1.0
    fraud = known * (y == 1)
    return fraud, known


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


def _entity_block(name: str, ent: np.ndarray, own: pd.DataFrame, time: np.ndarray | None,
                  causal: bool) -> dict[str, np.ndarray]:
    """Statistics of one entity (e.g. the payer) over the targets it links to."""
    f: dict[str, np.ndarray] = {}
    df = own.copy()
    df["_e"] = ent
    g = df.groupby("_e")
    num = [c for c in own.columns]
    if not causal:
        f[f"{name}_count"] = g["_e"].transform("size").to_numpy(float)
        for c in num:
            m = g[c].transform("mean").to_numpy(float)
            f[f"{name}_{c}_mean"] = m
            f[f"{name}_{c}_std"] = g[c].transform("std").fillna(0).to_numpy(float)
            f[f"{name}_{c}_diff"] = own[c].to_numpy(float) - m
    if time is not None:
        order = np.lexsort((np.arange(len(ent)), time, ent))
        e_s, t_s = ent[order], time[order]
        first = np.r_[True, e_s[1:] != e_s[:-1]]
        rank = np.arange(len(e_s)) - np.maximum.accumulate(np.where(first, np.arange(len(e_s)), 0))
        gap = np.where(first, np.nan, np.r_[np.nan, np.diff(t_s)])
        inv = np.empty_like(order)
        inv[order] = np.arange(len(order))
        f[f"{name}_prior_count"] = rank[inv].astype(float)
        f[f"{name}_gap_prev"] = gap[inv]
        # the amount vs the entity's earlier mean (left out in causal mode: on validation it fits the
        # training period and transfers worse than the windowed deviations of sequence_features)
        for c in ([] if causal else num):
            v = own[c].to_numpy(float)[order]
            cs = pd.Series(v).groupby(e_s).cumsum().to_numpy()
            prev_mean = np.where(rank > 0, (cs - v) / np.maximum(rank, 1), np.nan)
            f[f"{name}_{c}_prev_mean"] = prev_mean[inv]
            f[f"{name}_{c}_vs_prev"] = (v - prev_mean)[inv]
    return f


def sequence_features(name: str, key: np.ndarray, time: np.ndarray, value: np.ndarray | None = None,
                      spans: tuple[int, ...] = (3, 10)) -> dict[str, np.ndarray]:
    """Past-only velocity of a key's event sequence (an entity, or a pair of entities): events before
    this one, time since the previous one, time spanned by the last ``k`` events (burst speed) and,
    given ``value`` (e.g. log amount), its deviation from the mean of the previous ``k`` values."""
    order = np.lexsort((np.arange(len(key)), time, key))
    k_s, t_s = key[order], time[order]
    n = len(k_s)
    first = np.r_[True, k_s[1:] != k_s[:-1]]
    start = np.maximum.accumulate(np.where(first, np.arange(n), 0))
    rank = np.arange(n) - start
    f = {f"{name}_prior_count": rank.astype(float),
         f"{name}_gap_prev": np.where(first, np.nan, np.r_[np.nan, np.diff(t_s)])}
    cs = np.r_[0.0, np.cumsum(value[order])] if value is not None else None
    for k in spans:
        back = np.arange(n) - k
        ok = back >= start
        f[f"{name}_span{k}"] = np.where(ok, t_s - t_s[np.maximum(back, 0)], np.nan)
        if cs is not None:
            lo = np.maximum(back, start)
            cnt = np.arange(n) - lo
            mean = np.where(cnt > 0, (cs[np.arange(n)] - cs[lo]) / np.maximum(cnt, 1), np.nan)
            f[f"{name}_dev{k}"] = value[order] - mean
    inv = np.empty_like(order)
    inv[order] = np.arange(n)
    return {c: v[inv] for c, v in f.items()}


def _pair_sequences(links: list[tuple[str, str, np.ndarray]], time: np.ndarray) -> dict[str, np.ndarray]:
    """Velocity of every pair of linked entities (e.g. the same payer at the same merchant)."""
    f = {}
    for i, (na, _, a) in enumerate(links):
        for nb, _, b in links[i + 1:]:
            key = a.astype(np.int64) * (int(b.max()) + 1) + b
            seq = sequence_features(f"{na}_{nb}", key, time, spans=(3,))
            f.update({c: v for c, v in seq.items() if not c.endswith("_dev3")})
    return f


def entity_label_block(name: str, ent: np.ndarray, fraud: np.ndarray, known: np.ndarray,
                       prior: float) -> dict[str, np.ndarray]:
    """Known fraud count and smoothed fraud rate of the entity's other targets."""
    n_ent = int(ent.max()) + 1
    fr_sum = np.bincount(ent, weights=fraud, minlength=n_ent)[ent] - fraud
    kn_sum = np.bincount(ent, weights=known, minlength=n_ent)[ent] - known
    return {f"{name}_train_fraud": fr_sum, f"{name}_train_known": kn_sum,
            f"{name}_fraud_rate": (fr_sum + prior) / (kn_sum + 1.0)}


def window_sums(group: np.ndarray, time: np.ndarray, values: np.ndarray, k: int, causal: bool) -> np.ndarray:
    """For each row: sum of ``values`` over the ``k`` rows before and (unless causal) ``k`` after it
    in time within the same group, excluding the row itself."""
    order = np.lexsort((np.arange(len(group)), time, group))
    g, v = group[order], values[order]
    n = len(g)
    start = np.r_[0, np.flatnonzero(g[1:] != g[:-1]) + 1]
    gid = np.cumsum(np.r_[True, g[1:] != g[:-1]]) - 1
    lo_bound = start[gid]
    hi_bound = np.r_[start[1:], n][gid] - 1
    cs = np.r_[0.0, np.cumsum(v)]
    pos = np.arange(n)
    lo = np.maximum(pos - k, lo_bound)
    hi = pos if causal else np.minimum(pos + k, hi_bound)
    out = cs[hi + 1] - cs[lo] - v
    res = np.empty(n)
    res[order] = out
    return res


def delayed_window_sums(group: np.ndarray, time: np.ndarray, values: np.ndarray, k: int | None,
                        delay: float) -> np.ndarray:
    """For each row: sum of ``values`` over the ``k`` latest rows of the same group (all of them when
    ``k`` is None) whose time is at most ``time - delay``: labels as known ``delay`` after each event,
    so training rows see label ages like those a later test period sees (``delay > 0`` also keeps the
    row's own value out)."""
    order = np.lexsort((np.arange(len(group)), time, group))
    g, t, v = group[order], time[order], values[order]
    n = len(g)
    gid = np.cumsum(np.r_[True, g[1:] != g[:-1]]) - 1
    start = np.r_[0, np.flatnonzero(g[1:] != g[:-1]) + 1][gid]
    span = float(t.max() - t.min()) + delay + 1.0
    key = gid * span + (t - t.min())
    pos = np.searchsorted(key, key - delay, side="right") - 1     # last row with time <= t - delay
    lo = start if k is None else np.maximum(pos - k + 1, start)
    cs = np.r_[0.0, np.cumsum(v)]
    out = np.where(pos >= start, cs[pos + 1] - cs[np.minimum(lo, pos + 1)], 0.0)
    res = np.empty(n)
    res[order] = out
    return res


def _delayed_label_block(name: str, ent: np.ndarray, time: np.ndarray, fraud: np.ndarray, known: np.ndarray,
                         windows: tuple[int, ...], delay: float, prior: float) -> dict[str, np.ndarray]:
    """Entity fraud rates (all and latest ``k``) from labels at least ``delay`` old (causal mode)."""
    f = {}
    for k in (None,) + tuple(windows):
        fr = delayed_window_sums(ent, time, fraud, k, delay)
        kn = delayed_window_sums(ent, time, known, k, delay)
        tag = "train" if k is None else f"win{k}"
        f[f"{name}_{tag}_fraud"] = fr
        if k is None:
            f[f"{name}_train_known"] = kn
            f[f"{name}_fraud_rate"] = (fr + prior) / (kn + 1.0)
        else:
            f[f"{name}_win{k}_rate"] = (fr + prior) / (kn + 1.0)
    return f


def _window_block(name: str, ent: np.ndarray, time: np.ndarray, fraud: np.ndarray, known: np.ndarray,
                  windows: tuple[int, ...], causal: bool, prior: float) -> dict[str, np.ndarray]:
    """Training fraud rate among the entity's ``k`` previous (and next) targets in time (GTAN-style
    temporal neighbours of a shared entity)."""
    f = {}
    for k in windows:
        fr = window_sums(ent, time, fraud, k, causal)
        kn = window_sums(ent, time, known, k, causal)
        f[f"{name}_win{k}_fraud"] = fr
        f[f"{name}_win{k}_rate"] = (fr + prior) / (kn + 1.0)
    return f


def _cross_counts(links: list[tuple[str, str, np.ndarray]]) -> dict[str, np.ndarray]:
    """Number of distinct entities of type B co-occurring with this target's entity of type A."""
    f = {}
    for na, _, a in links:
        for nb, _, b in links:
            if na != nb:
                pairs = pd.DataFrame({"a": a, "b": b})
                f[f"{na}_n_{nb}"] = pairs.groupby("a")["b"].transform("nunique").to_numpy(float)
    return f


def _flow_block(name: str, a: sp.csr_matrix, amt: sp.csr_matrix, max_cycle: int) -> dict[str, np.ndarray]:
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
    """The label-free matrices that :func:`flow_label_block` reads, computed once per adjacency ``a`` (the
    label features are rebuilt per fold on the same graph): transpose, returns, undirected, reciprocal,
    2-hop reach and random-walk matrices."""
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


def relation_structures(data: FraudData) -> list[tuple[str, sp.csr_matrix, dict]]:
    """Per target-to-target relation: its name, 0/1 adjacency (self-loops dropped) and :func:`flow_structure`,
    computed once for repeated label features (per-fold rebuilds, soft-label features)."""
    n = data.num_nodes(data.target)
    out = []
    for (_, r, _), df in target_relations(data):
        src, dst = df["src"].to_numpy(), df["dst"].to_numpy()
        keep = src != dst
        a = sp.csr_matrix((np.ones(keep.sum()), (src[keep], dst[keep])), shape=(n, n))
        a.data[:] = 1.0
        out.append((r, a, flow_structure(a)))
    return out


def cached_relations(data: FraudData, cache: dict | None = None) -> list[tuple[str, sp.csr_matrix, dict]]:
    """:func:`relation_structures` of ``data``, read from a :func:`graph_features` ``cache`` that already
    holds them (computed here otherwise)."""
    if cache and "label_free" in cache:
        return [(r, a, st) for r, _, a, st in cache["label_free"][2]]
    return relation_structures(data)


def flow_label_block(name: str, a: sp.csr_matrix, fraud: np.ndarray, known: np.ndarray,
                     structure: dict | None = None) -> dict[str, np.ndarray]:
    """Known-fraud counts and rates among in/out neighbours at 1 and 2 hops (own label excluded), fraud
    mass pushed from neighbours (each fraud neighbour's unit spread over its edges);
    ``structure``: :func:`flow_structure` of ``a`` (computed here when not given)."""
    f = {}
    st = structure if structure is not None else flow_structure(a)
    # training-label rates of in/out neighbours, 1 and 2 hops (own label removed from 2-hop returns)
    for d in ("out", "in"):
        m, m2diag = st[d], st[f"{d}_returns"]
        fr1, kn1 = m @ fraud, m @ known
        fr2, kn2 = m @ fr1 - m2diag * fraud, m @ kn1 - m2diag * known
        f[f"{name}_{d}_nb_fraud"] = fr1
        f[f"{name}_{d}_nb_fraud_rate"] = fr1 / np.maximum(kn1, 1)
        f[f"{name}_{d}2_nb_fraud"] = fr2
        f[f"{name}_{d}2_nb_fraud_rate"] = fr2 / np.maximum(kn2, 1)
    # fraud mass pushed to the node: each known fraud neighbour spreads one unit over its edges, so a
    # low-degree fraud partner (a ring member) counts more than a busy fraud hub
    f[f"{name}_out_push"] = st["out"] @ (fraud / np.maximum(st["in_deg"], 1))     # share of j's payers that is i
    f[f"{name}_in_push"] = st["in"] @ (fraud / np.maximum(st["out_deg"], 1))      # share of j's payees that is i
    f[f"{name}_und_push"] = st["u"] @ (fraud / np.maximum(st["und_deg"], 1))
    f.update(_community_label_block(name, a, fraud, known, structure=st))
    return f


def _community_label_block(name: str, a: sp.csr_matrix, fraud: np.ndarray, known: np.ndarray,
                           steps: int = 4, alpha: float = 0.5, structure: dict | None = None) -> dict[str, np.ndarray]:
    """Direction-free closeness to known fraud (fraud rings / communities): known-fraud counterparts
    among reciprocal partners, triangles closed through a known-fraud node, and label propagation
    (discounted random walks of 1..``steps`` hops from known fraud and from all known nodes). The caller
    passes labels without the node's own fold (:func:`out_of_fold_label_features`), so walks that
    return to the start carry no own label."""
    st = structure if structure is not None else flow_structure(a)
    u, recip, reach2, p = st["u"], st["recip"], st["reach2"], st["p"]
    f = {f"{name}_recip_nb_fraud": recip @ fraud, f"{name}_recip_nb_known": recip @ known}
    f[f"{name}_fraud_triangles"] = np.asarray((u @ sp.diags(fraud) @ u).multiply(u).sum(1)).ravel() / 2.0
    f[f"{name}_und_nb_fraud"], f[f"{name}_und_nb_known"] = u @ fraud, u @ known
    f[f"{name}_und_nb_rate"] = f[f"{name}_und_nb_fraud"] / np.maximum(f[f"{name}_und_nb_known"], 1)
    f[f"{name}_reach2_fraud"], f[f"{name}_reach2_known"] = reach2 @ fraud, reach2 @ known
    f[f"{name}_reach2_rate"] = f[f"{name}_reach2_fraud"] / np.maximum(f[f"{name}_reach2_known"], 1)
    for tag, seed_vec in (("fraud", fraud), ("known", known)):
        x, walk = seed_vec.astype(np.float64), np.zeros(len(seed_vec))
        for k in range(1, steps + 1):
            x = p @ x
            walk += alpha ** k * x
        f[f"{name}_lp_{tag}"] = walk
    f[f"{name}_lp_rate"] = f[f"{name}_lp_fraud"] / np.maximum(f[f"{name}_lp_known"], 1e-9)
    return f


def _pass_through_block(name: str, df: pd.DataFrame, n: int) -> dict[str, np.ndarray]:
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


def target_relations(data: FraudData):
    """Relations whose both ends are the target type (e.g. account -> account transfers)."""
    return [(k, df) for k, df in data.relations.items() if k[0] == data.target and k[2] == data.target]


def _homogeneous_aggregates(data: FraudData, hops: int = 2) -> dict[str, np.ndarray]:
    """Mean of neighbours' (scaled) inputs over the homogeneous projection, 1..hops hops, for target rows."""
    h = build_homogeneous_graph(data)
    ei = h.edge_index.numpy()
    n = h.x.shape[0]
    a = sp.coo_matrix((np.ones(ei.shape[1] * 2), (np.r_[ei[1], ei[0]], np.r_[ei[0], ei[1]])), shape=(n, n)).tocsr()
    a.data[:] = 1.0
    deg = np.asarray(a.sum(1)).ravel()
    p = sp.diags(1.0 / np.maximum(deg, 1)) @ a
    x = h.x.numpy().astype(np.float64)
    f = {}
    for k in range(1, hops + 1):
        x = p @ x
        for j in range(x.shape[1]):
            if x[: h.n_target, j].std() > 0:
                f[f"hom_hop{k}_{j}"] = x[: h.n_target, j].copy()
    return f


def _label_features(data: FraudData, known_ids: np.ndarray, windows: tuple[int, ...], causal: bool,
                    adjs: list[tuple[str, sp.csr_matrix, dict]], delay: float = 0.0) -> pd.DataFrame:
    """Every feature that reads labels, computed from the labels of ``known_ids`` only (in causal mode
    with ``delay > 0``, per-entity label features only use labels at least ``delay`` old)."""
    fraud, known = train_label_channels(data, known_ids)
    prior = float(fraud.sum() / max(known.sum(), 1))
    tdf = data.nodes[data.target]
    time = tdf["time"].to_numpy(float) if "time" in tdf.columns else None
    n = data.num_nodes(data.target)
    f: dict[str, np.ndarray] = {}
    delayed = causal and delay > 0 and time is not None
    for name, _, ent in entity_links(data) + [("all", None, np.zeros(n, dtype=np.int64))]:
        if delayed:
            f.update(_delayed_label_block(name, ent, time, fraud, known, windows, delay, prior))
            continue
        if name != "all":
            f.update(entity_label_block(name, ent, fraud, known, prior))
        if time is not None and windows:
            f.update(_window_block(name, ent, time, fraud, known, windows, causal, prior))
    for name, a, structure in adjs:
        f.update(flow_label_block(name, a, fraud, known, structure))
    return pd.DataFrame(f)


def out_of_fold_label_features(data: FraudData, train_ids: np.ndarray, seed: int = 0, folds: int = 5,
                               **kw) -> pd.DataFrame:
    """Label features where a training node's own fold never contributes (no self-label leakage,
    not even the anti-correlation of leave-one-out encodings); other nodes use all training labels.
    ``folds=0`` skips the out-of-fold passes: training nodes then see their own labels, so this is only
    for scoring nodes outside ``train_ids`` (their values are the same either way)."""
    out = _label_features(data, train_ids, **kw)
    if folds == 0:
        return out
    rng = np.random.default_rng(seed)
    fold = rng.integers(0, folds, len(train_ids))
    for k in range(folds):
        rows = train_ids[fold == k]
        out.iloc[rows] = _label_features(data, train_ids[fold != k], **kw).iloc[rows].to_numpy()
    return out


def default_label_delay(time: np.ndarray | None, train_ids: np.ndarray, fraction: float = 1 / 3) -> float:
    """Label age to simulate in causal mode: ``fraction`` of the training period's time span (with the
    usual 60/10/30 temporal split this is about the mean age of the newest known label when the test
    period is scored). It depends on the training nodes' times only, so a node's features do not change
    as later nodes arrive (inductive scoring)."""
    if time is None or len(train_ids) == 0:
        return 0.0
    t = time[train_ids]
    return float(np.nanmax(t) - np.nanmin(t)) * fraction


def _label_free_features(data: FraudData, causal: bool, max_cycle: int, homogeneous_hops: int,
                         use_time: bool | None) -> tuple[pd.DataFrame, dict, list]:
    """The parts of :func:`graph_features` that read no label: own columns, entity / sequence / flow /
    neighbourhood blocks (a dict per section, in column order) and the target-to-target relations
    as ``(name, frame, adjacency, flow_structure)``."""
    own = tabular_features(data)
    tdf = data.nodes[data.target]
    time = tdf["time"].to_numpy(float) if "time" in tdf.columns else None
    feats: dict[str, np.ndarray] = {}
    n = data.num_nodes(data.target)
    links = entity_links(data)
    for name, _, ent in links:
        feats.update(_entity_block(name, ent, own, time, causal))
    if not causal:
        feats.update(_cross_counts(links))
    if time is not None:
        value = np.log1p(np.abs(own["amount"].to_numpy(float))) if "amount" in own.columns else None
        for name, _, ent in links:
            seq = sequence_features(name, ent, time, value)
            feats.update({c: v for c, v in seq.items() if not c.endswith(("_prior_count", "_gap_prev"))})
        feats.update(_pair_sequences(links, time))
        if causal:
            from bnpl.fraud.context import entity_context
            feats.update(entity_context(links, time))
    if use_time is None:
        use_time = not causal          # raw time is out of range after a temporal cutoff: drift, not signal
    if time is not None and use_time:
        feats["time"] = time
    sections = {"nodes": feats}
    rels = []
    for ((_, r, _), df), (_, a, st) in zip(target_relations(data), relation_structures(data), strict=True):
        src, dst = df["src"].to_numpy(), df["dst"].to_numpy()
        keep = src != dst
        w = df["amount"].to_numpy(float)[keep] if "amount" in df.columns else np.ones(keep.sum())
        amt = sp.csr_matrix((w, (src[keep], dst[keep])), shape=(n, n))
        structure = {**_flow_block(r, a, amt, max_cycle), **_pass_through_block(r, df, n)}
        sections[r] = {**structure, **neighbour_aggregates(r, df, pd.DataFrame(structure), n)}
        rels.append((r, df, a, st))
    sections["homogeneous"] = (_homogeneous_aggregates(data, homogeneous_hops)
                               if homogeneous_hops and not causal else {})
    return own, sections, rels


def graph_features(data: FraudData, train_ids: np.ndarray, causal: bool = False, max_cycle: int = 6,
                   homogeneous_hops: int = 2, windows: tuple[int, ...] = (1, 3, 10, 30),
                   use_time: bool | None = None, seed: int = 0, edge_model: bool = True,
                   label_delay: float | None = None, cache: dict | None = None,
                   label_folds: int = 5) -> pd.DataFrame:
    """Own columns plus entity, flow, label-rate and neighbourhood aggregates for every target node;
    with ``edge_model``, out-of-fold transfer-level laundering scores aggregated per node
    (:mod:`bnpl.fraud.edge_scores`). ``cache``: a dict kept between calls on the same ``data`` and
    options (per-fold rebuilds with other training labels); the label-free parts are computed once.
    ``label_folds``: folds of :func:`out_of_fold_label_features`; 0 when only nodes outside ``train_ids``
    are scored (inductive scoring), which gives them the same values without the per-fold passes."""
    args = (causal, max_cycle, homogeneous_hops, use_time)
    if cache is not None and cache.get("args") == args:
        own, sections, rels = cache["label_free"]
    else:
        own, sections, rels = _label_free_features(data, *args)
        if cache is not None:
            cache.update(args=args, label_free=(own, sections, rels))
    n = data.num_nodes(data.target)
    feats: dict[str, np.ndarray] = dict(sections["nodes"])
    for r, df, _, _ in rels:
        feats.update(sections[r])
        if edge_model:
            feats.update(edge_score_features(df, n, label_vector(data), np.asarray(train_ids), seed=seed,
                                             causal=causal, tag=f"{r}_edge").to_dict("series"))
    feats.update(sections["homogeneous"])
    tdf = data.nodes[data.target]
    time = tdf["time"].to_numpy(float) if "time" in tdf.columns else None
    if label_delay is None:
        label_delay = default_label_delay(time, np.asarray(train_ids)) if causal else 0.0
    labels = out_of_fold_label_features(data, np.asarray(train_ids), seed=seed, folds=label_folds, windows=windows,
                                        causal=causal, adjs=[(r, a, st) for r, _, a, st in rels], delay=label_delay)
    return pd.concat([own, pd.DataFrame(feats), labels], axis=1)


def score_aggregates(data: FraudData, score: np.ndarray, windows: tuple[int, ...] = (3, 10)) -> pd.DataFrame:
    """Neighbours' model scores (collective classification, stage 2 of stacking): for each shared entity the
    mean score of its other targets and of its nearest targets in time; for target-to-target relations
    max / mean / sum of in- and out-neighbours' scores at 1 and 2 hops."""
    n = data.num_nodes(data.target)
    tdf = data.nodes[data.target]
    time = tdf["time"].to_numpy(float) if "time" in tdf.columns else None
    ones = np.ones(n)
    f: dict[str, np.ndarray] = {}
    for name, _, ent in entity_links(data):
        tot = np.bincount(ent, weights=score)[ent] - score
        cnt = np.bincount(ent)[ent] - 1.0
        f[f"{name}_nb_score_mean"] = tot / np.maximum(cnt, 1)
        if time is not None:
            for k in windows:
                f[f"{name}_win{k}_score"] = window_sums(ent, time, score, k, False) / np.maximum(
                    window_sums(ent, time, ones, k, False), 1)
    for (_, r, _), df in target_relations(data):
        src, dst = df["src"].to_numpy(), df["dst"].to_numpy()
        keep = src != dst
        a = sp.csr_matrix((np.ones(keep.sum()), (src[keep], dst[keep])), shape=(n, n))
        a.data[:] = 1.0
        for d, m in (("out", a), ("in", a.T.tocsr())):
            deg = np.maximum(np.asarray(m.sum(1)).ravel(), 1)
            s1 = m @ score
            f[f"{r}_{d}nb_score_sum"] = s1
            f[f"{r}_{d}nb_score_mean"] = s1 / deg
            f[f"{r}_{d}nb_score_max"] = np.asarray(m.multiply(score[None, :]).max(1).todense()).ravel()
            f[f"{r}_{d}2nb_score_mean"] = (m @ (s1 / deg)) / deg
    return pd.DataFrame(f)
