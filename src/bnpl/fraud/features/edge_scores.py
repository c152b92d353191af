"""Edge-level laundering scores for target-to-target transfers, aggregated into account features.

Money laundering is a property of *flows*: a laundering transfer often looks unusual for its sender
and receiver (an amount far from their usual amounts, money passed on quickly, repeated or
returning pairs) even when the accounts' totals look ordinary. So:

1. ``transfer_features``: label-free features of every transfer (amount and its ratio to the
   sender's / receiver's usual amounts and to the global distribution, endpoint degrees,
   reciprocity, repeated pairs, time gaps to the sender's previous and the receiver's next
   transfer, similarity to the amount the receiver sends on next, return paths of length 2-3).
2. ``edge_score_features``: a LightGBM learns, on transfers whose both endpoints are TRAINING
   accounts, whether both endpoints are fraudulent; its scores are aggregated per account (in and
   out separately: max, mean, top-3 mean, counts above thresholds) plus 2-hop propagation and
   score-weighted known-fraud neighbours. Out of fold: a training account's features come from the
   model of its fold, which never saw an edge touching that fold, so no account sees its own label
   (other nodes use the mean of the fold models).

Nothing here depends on a typology: fan-in / fan-out / scatter-gather / cycles all show up as
unusual edges and flows.
"""
from __future__ import annotations

import lightgbm as lgb
import numpy as np
import pandas as pd

from bnpl.config import THREADS
from bnpl.fraud.features.structure import adjacency

#: RNG stream of the edge-model folds: ``default_rng([seed, EDGE_FOLD_STREAM])``, independent of the
#: streams drawn from ``seed`` elsewhere
EDGE_FOLD_STREAM = 101


def _edges(df: pd.DataFrame) -> pd.DataFrame:
    """src, dst, time, amount of a transfer relation (time / amount default to 0 / 1), self-loops kept."""
    return pd.DataFrame({"src": df["src"].to_numpy(np.int64), "dst": df["dst"].to_numpy(np.int64),
                         "time": df["time"].to_numpy(float) if "time" in df.columns else np.zeros(len(df)),
                         "amt": df["amount"].to_numpy(float) if "amount" in df.columns else np.ones(len(df))})


def _side_stats(e: pd.DataFrame, who: str, tag: str, n: int) -> pd.DataFrame:
    """Per-node median / min / max / mean / count of the amounts of its ``who`` (src: sent, dst: received) transfers."""
    g = e.groupby(who)["amt"].agg(["median", "min", "max", "mean", "std", "size"])
    g = g.reindex(range(n))
    g.columns = [f"{tag}_{c}" for c in g.columns]
    return g


def _neighbour_transfer(e: pd.DataFrame, causal: bool) -> dict[str, np.ndarray]:
    """For each edge u->v at t: gap to u's previous outgoing transfer (strictly earlier), gap to and amount
    ratio of u's latest incoming transfer (at or before t: where the money came from); unless causal, gap
    to and amount ratio of v's next outgoing transfer (at or after t: money passed on)."""
    f = {}
    q = pd.DataFrame({"i": np.arange(len(e)), "time": e["time"].to_numpy()})
    specs = [("src_prev_out", "src", "src", "backward", False), ("src_prev_in", "src", "dst", "backward", True)]
    if not causal:
        specs.append(("dst_next_out", "dst", "src", "forward", True))
    for name, q_node, ref_node, direction, exact in specs:
        left = q.assign(node=e[q_node].to_numpy()).sort_values("time", kind="stable")
        ref = pd.DataFrame({"node": e[ref_node].to_numpy(), "time": e["time"].to_numpy(),
                            "ref_time": e["time"].to_numpy(), "ref_amt": e["amt"].to_numpy()})
        ref = ref.sort_values("time", kind="stable")
        m = pd.merge_asof(left, ref, on="time", by="node", direction=direction, allow_exact_matches=exact)
        m = m.sort_values("i")
        f[f"{name}_gap"] = np.abs(m["ref_time"].to_numpy() - e["time"].to_numpy())
        if name != "src_prev_out":
            f[f"{name}_amt_ratio"] = m["ref_amt"].to_numpy() / np.maximum(e["amt"].to_numpy(), 1e-9)
    return f


def transfer_features(df: pd.DataFrame, n: int, causal: bool = False) -> pd.DataFrame:
    """Label-free features of every transfer (one row per row of ``df``)."""
    e = _edges(df)
    amt = e["amt"].to_numpy()
    f: dict[str, np.ndarray] = {"amt": amt, "log_amt": np.log1p(np.abs(amt)), "time": e["time"].to_numpy(),
                                "amt_global_q": e["amt"].rank(pct=True).to_numpy()}
    for who, tag in (("src", "out"), ("dst", "in")):
        for end in ("src", "dst"):
            st = _side_stats(e, who, tag, n).iloc[e[end].to_numpy()].reset_index(drop=True)
            for c in st.columns:
                if c.endswith(("_median", "_min", "_max", "_mean")):
                    f[f"{end}_{c}_ratio"] = amt / np.maximum(st[c].to_numpy(), 1e-9)
            f[f"{end}_{tag}_n"] = st[f"{tag}_size"].fillna(0).to_numpy()
            f[f"{end}_{tag}_z"] = (amt - st[f"{tag}_mean"].to_numpy()) / (st[f"{tag}_std"].fillna(0).to_numpy() + 1e-9)
    for end in ("src", "dst"):
        f[f"{end}_io_ratio"] = (f[f"{end}_out_n"] + 1) / (f[f"{end}_in_n"] + 1)
    cnt = adjacency(e, n, np.ones(len(e)))             # transfers per ordered pair
    a = cnt.copy()
    a.data[:] = 1.0
    s, d = e["src"].to_numpy(), e["dst"].to_numpy()
    f["pair_n"] = np.asarray(cnt[s, d]).ravel()
    f["reverse_n"] = np.asarray(cnt[d, s]).ravel()
    a_d, a_t_s = a[d], a.T.tocsr()[s]
    f["return_2hop"] = np.asarray(a_d.multiply(a_t_s).sum(1)).ravel()        # d -> w -> s
    f["return_3hop"] = np.asarray((a_d @ a).multiply(a_t_s).sum(1)).ravel()   # d -> w -> x -> s
    f["uniq_out_src"] = np.diff(a.indptr)[s].astype(float)
    f["uniq_in_dst"] = np.diff(a.tocsc().indptr)[d].astype(float)
    r = np.round(amt, 2)
    out_keys = pd.MultiIndex.from_arrays([e["src"], r])
    in_keys = pd.MultiIndex.from_arrays([e["dst"], r])
    f["dst_sends_same_amt"] = pd.MultiIndex.from_arrays([e["dst"], r]).isin(out_keys).astype(float)
    f["src_got_same_amt"] = pd.MultiIndex.from_arrays([e["src"], r]).isin(in_keys).astype(float)
    same = pd.Series(1, index=pd.MultiIndex.from_arrays([e["src"], e["time"]])).groupby(level=[0, 1]).size()
    f["src_same_step_n"] = same.reindex(pd.MultiIndex.from_arrays([e["src"], e["time"]])).to_numpy(float)
    f.update(_neighbour_transfer(e, causal))
    return pd.DataFrame(f)


def _fit_edge_model(x: pd.DataFrame, y: np.ndarray, seed: int) -> lgb.LGBMClassifier:
    """A small LightGBM for edges (fixed size: there is no validation set at edge level)."""
    model = lgb.LGBMClassifier(n_estimators=80, learning_rate=0.1, num_leaves=31, subsample=0.8, subsample_freq=1,
                               colsample_bytree=0.8, min_child_samples=20, random_state=seed, n_jobs=THREADS, verbose=-1,
                               deterministic=True, force_row_wise=True)
    model.fit(x, y)
    return model


def _node_aggregates(e: pd.DataFrame, score: np.ndarray, fraud: np.ndarray, n: int, tag: str) -> dict[str, np.ndarray]:
    """Per-node aggregates of edge scores (out: node is sender, in: receiver), 2-hop propagation and
    score-weighted known-fraud counterparts."""
    f: dict[str, np.ndarray] = {}
    sc = pd.DataFrame({"src": e["src"].to_numpy(), "dst": e["dst"].to_numpy(), "s": score})
    mx = {}
    for d, me, other in (("out", "src", "dst"), ("in", "dst", "src")):
        g = sc.groupby(me)["s"]
        mx[d] = g.max().reindex(range(n), fill_value=0).to_numpy(float)
        f[f"{tag}_{d}_max"] = mx[d]
        f[f"{tag}_{d}_mean"] = g.mean().reindex(range(n), fill_value=0).to_numpy(float)
        f[f"{tag}_{d}_sum"] = g.sum().reindex(range(n), fill_value=0).to_numpy(float)
        top = sc.sort_values("s", ascending=False, kind="stable").groupby(me).head(3).groupby(me)["s"].mean()
        f[f"{tag}_{d}_top3"] = top.reindex(range(n), fill_value=0).to_numpy(float)
        for th in (0.1, 0.5):
            f[f"{tag}_{d}_n{int(th * 100)}"] = np.bincount(sc[me], weights=score > th, minlength=n).astype(float)
        f[f"{tag}_{d}_fraud_w"] = np.bincount(sc[me], weights=score * fraud[sc[other].to_numpy()], minlength=n)
    node_max = np.maximum(mx["out"], mx["in"])
    for d, me, other in (("out", "src", "dst"), ("in", "dst", "src")):
        w = sc["s"].to_numpy() * node_max[sc[other].to_numpy()]
        f[f"{tag}_{d}_2hop"] = pd.Series(w).groupby(sc[me].to_numpy()).max().reindex(range(n), fill_value=0).to_numpy()
    return f


def edge_score_features(df: pd.DataFrame, n: int, y: np.ndarray, train_ids: np.ndarray, seed: int = 0,
                        folds: int = 3, causal: bool = False, tag: str = "edge") -> pd.DataFrame:
    """Out-of-fold edge-model scores aggregated per target node (see the module docstring)."""
    x = transfer_features(df, n, causal)
    e = _edges(df)
    s, d = e["src"].to_numpy(), e["dst"].to_numpy()
    train_ids = np.asarray(train_ids)
    fold = np.full(n, -1)
    fold[train_ids] = np.random.default_rng([seed, EDGE_FOLD_STREAM]).integers(0, folds, len(train_ids))
    edge_y = ((y[s] == 1) & (y[d] == 1)).astype(int)
    out = None
    rest = np.ones(n, dtype=bool)
    rest[train_ids] = False
    rest_acc: dict[str, np.ndarray] = {}
    for k in range(folds):
        ok = (fold[s] >= 0) & (fold[d] >= 0) & (fold[s] != k) & (fold[d] != k)
        if len(np.unique(edge_y[ok])) < 2:       # nothing to learn (tiny data): a constant score
            score = np.full(len(e), float(edge_y[ok].mean()) if ok.any() else 0.0)
        else:
            score = _fit_edge_model(x[ok], edge_y[ok], seed + k).predict_proba(x)[:, 1]  # type: ignore[call-overload]  # lightgbm stub: predict_proba's return Union includes list
        known_fraud = ((fold >= 0) & (fold != k) & (y == 1)).astype(float)
        agg = pd.DataFrame(_node_aggregates(e, score, known_fraud, n, tag))
        if out is None:
            out = agg.copy()
        rows = fold == k
        out.loc[rows] = agg.loc[rows].to_numpy()
        for c in agg.columns:
            rest_acc[c] = rest_acc.get(c, 0) + agg[c].to_numpy() / folds
    assert out is not None     # folds >= 1
    out.loc[rest] = pd.DataFrame(rest_acc).loc[rest].to_numpy()
    return out
