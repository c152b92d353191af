"""Features that read labels, from the training labels only and never a node's own label.

* ``train_label_channels``: (is known fraud, is known label) per target node;
* ``entity_label_block`` / ``window_block`` / ``delayed_label_block``: an entity's known fraud among its
  other targets, all of them, the nearest ``k`` in time, or (causal) only labels at least ``delay`` old;
* ``flow_label_block``: known fraud among in/out neighbours at 1 and 2 hops, the pushed fraud mass
  (``push``) and the direction-free community block (reciprocal partners, triangles, label propagation);
* ``out_of_fold_label_features``: all of them, where a training node's own fold never contributes.
"""
from __future__ import annotations

from typing import cast

import numpy as np
import pandas as pd
import scipy.sparse as sp

from bnpl.data.normalised import FraudData
from bnpl.data.subset import label_vector, target_time
from bnpl.fraud.features.blocks import column_block, column_frame
from bnpl.fraud.features.sequence import delayed_window_sums, window_sums
from bnpl.fraud.features.structure import Relation, entity_links, flow_structure


def train_label_channels(data: FraudData, train_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(is known fraud, is known label) per target node, from training labels only."""
    y = label_vector(data)
    known = np.zeros(len(y), dtype=np.float64)
    known[train_ids] = 1.0
    fraud = known * (y == 1)
    return fraud, known


def entity_label_block(name: str, ent: np.ndarray, fraud: np.ndarray, known: np.ndarray,
                       prior: float) -> dict[str, np.ndarray]:
    """Known fraud count and smoothed fraud rate of the entity's other targets."""
    n_ent = int(ent.max()) + 1
    fr_sum = np.bincount(ent, weights=fraud, minlength=n_ent)[ent] - fraud
    kn_sum = np.bincount(ent, weights=known, minlength=n_ent)[ent] - known
    return {f"{name}_train_fraud": fr_sum, f"{name}_train_known": kn_sum,
            f"{name}_fraud_rate": (fr_sum + prior) / (kn_sum + 1.0)}


def delayed_label_block(name: str, ent: np.ndarray, time: np.ndarray, fraud: np.ndarray, known: np.ndarray,
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


def window_block(name: str, ent: np.ndarray, time: np.ndarray, fraud: np.ndarray, known: np.ndarray,
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


def flow_label_block(name: str, a: sp.csr_matrix, fraud: np.ndarray, known: np.ndarray,
                     structure: dict | None = None, push: bool = True) -> dict[str, np.ndarray]:
    """Known-fraud counts and rates among in/out neighbours at 1 and 2 hops (own label excluded), with
    ``push`` the fraud mass pushed from neighbours (each fraud neighbour's unit spread over its edges),
    and :func:`community_label_block`; ``structure``: :func:`flow_structure` of ``a`` (computed here
    when not given)."""
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
    if push:
        # fraud mass pushed to the node: each known fraud neighbour spreads one unit over its edges, so a
        # low-degree fraud partner (a ring member) counts more than a busy fraud hub
        f[f"{name}_out_push"] = st["out"] @ (fraud / np.maximum(st["in_deg"], 1))   # share of j's payers that is i
        f[f"{name}_in_push"] = st["in"] @ (fraud / np.maximum(st["out_deg"], 1))    # share of j's payees that is i
        f[f"{name}_und_push"] = st["u"] @ (fraud / np.maximum(st["und_deg"], 1))
    f.update(community_label_block(name, a, fraud, known, structure=st))
    return f


def community_label_block(name: str, a: sp.csr_matrix, fraud: np.ndarray, known: np.ndarray,
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


def label_features(data: FraudData, known_ids: np.ndarray, windows: tuple[int, ...], causal: bool,
                   relations: tuple[Relation, ...], delay: float = 0.0, push: bool = True) -> pd.DataFrame:
    """Every feature that reads labels, computed from the labels of ``known_ids`` only (in causal mode
    with ``delay > 0``, per-entity label features only use labels at least ``delay`` old)."""
    return column_frame(label_columns(data, known_ids, windows, causal, relations, delay, push),
                        data.num_nodes(data.target))


def label_columns(data: FraudData, known_ids: np.ndarray, windows: tuple[int, ...], causal: bool,
                  relations: tuple[Relation, ...], delay: float = 0.0, push: bool = True) -> dict[str, np.ndarray]:
    """The columns of :func:`label_features`, by name in column order."""
    fraud, known = train_label_channels(data, known_ids)
    prior = float(fraud.sum() / max(known.sum(), 1))
    time = target_time(data)
    n = data.num_nodes(data.target)
    f: dict[str, np.ndarray] = {}
    delayed = causal and delay > 0 and time is not None
    for name, _, ent in entity_links(data) + [("all", None, np.zeros(n, dtype=np.int64))]:
        if delayed:
            f.update(delayed_label_block(name, ent, cast(np.ndarray, time), fraud, known, windows, delay, prior))
            continue
        if name != "all":
            f.update(entity_label_block(name, ent, fraud, known, prior))
        if time is not None and windows:
            f.update(window_block(name, ent, time, fraud, known, windows, causal, prior))
    for rel in relations:
        f.update(flow_label_block(rel.name, rel.adjacency, fraud, known, rel.structure, push=push))
    return f


def out_of_fold_label_features(data: FraudData, train_ids: np.ndarray, seed: int = 0, folds: int = 5,
                               **kw) -> pd.DataFrame:
    """Label features where a training node's own fold never contributes (no self-label leakage,
    not even the anti-correlation of leave-one-out encodings); other nodes use all training labels.
    ``folds=0`` skips the out-of-fold passes: training nodes then see their own labels, so this is only
    for scoring nodes outside ``train_ids`` (their values are the same either way). ``kw``: see
    :func:`label_features`."""
    if folds == 0:
        return label_features(data, train_ids, **kw)
    out, names = column_block(label_columns(data, train_ids, **kw), data.num_nodes(data.target))
    rng = np.random.default_rng(seed)
    fold = rng.integers(0, folds, len(train_ids))
    for k in range(folds):
        rows = train_ids[fold == k]
        # one fold's columns at a time into the rows of that fold: never a second full frame
        for j, v in enumerate(label_columns(data, train_ids[fold != k], **kw).values()):
            out[rows, j] = v[rows]
    return pd.DataFrame(out, columns=names, copy=False)


def default_label_delay(time: np.ndarray | None, train_ids: np.ndarray, fraction: float = 1 / 3) -> float:
    """Label age to simulate in causal mode: ``fraction`` of the training period's time span (with the
    usual 60/10/30 temporal split this is about the mean age of the newest known label when the test
    period is scored). It depends on the training nodes' times only, so a node's features do not change
    as later nodes arrive (inductive scoring)."""
    if time is None or len(train_ids) == 0:
        return 0.0
    t = time[train_ids]
    return float(np.nanmax(t) - np.nanmin(t)) * fraction
