"""Run the model zoo over seeds on one dataset and split; return per-seed and aggregated metrics.

Models (``MODELS``):
``lgbm_tabular`` (own columns only), ``lgbm_graph`` (graph-aggregate features, GADBench-style),
``lgbm_stacked`` (lgbm_graph + neighbours' out-of-fold scores: collective classification),
``lgbm_collective`` (lgbm_graph + label features recomputed on soft labels, leakage-free:
:mod:`bnpl.fraud.collective`),
the GNNs of :mod:`bnpl.fraud.models`, and ``hybrid`` (a direction-aware GNN's embeddings + graph
features -> LightGBM). GNNs get the node inputs, the label-trick channels and (``gnn_features``) the
same graph-aggregate features as the boosters, so every model sees the same information.
"""
from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd
import torch

from bnpl.data.normalised import FraudData
from bnpl.errors import BnplError
from bnpl.fraud.boosting import fit_lgbm, lgbm_scores, stacked_lgbm_scores
from bnpl.fraud.collective import collective_scores
from bnpl.fraud.features import graph_features, score_aggregates, tabular_features, target_relations
from bnpl.fraud.graph import build_homogeneous_graph, label_vector, scale_features
from bnpl.fraud.metrics import fraud_metrics
from bnpl.fraud.models import MODEL_NAMES
from bnpl.fraud.train import TrainConfig, train_gnn

BOOSTERS = ("lgbm_tabular", "lgbm_graph", "lgbm_stacked", "lgbm_collective")
MODELS = BOOSTERS + MODEL_NAMES + ("hybrid",)
# Default zoo, sized so a real dataset with 3 seeds fits 10 minutes on 2 cores: the boosters, one GNN
# (direction-aware SAGE) and the hybrid on that GNN's embeddings (reused, not retrained). The full zoo:
# ``--models lgbm_tabular lgbm_graph lgbm_stacked sage gatv2 rgcn ego_neigh dir_sage hybrid``.
FAST_MODELS = ("lgbm_tabular", "lgbm_graph", "dir_sage", "hybrid")
DEFAULT_EPOCHS, DEFAULT_HIDDEN, DEFAULT_PATIENCE = 40, 32, 10
# Protocols: S-FFSD 70/30 as published (validation carved from the 70), AMLSim 60/40 of accounts.
TEST_SIZE = {"s-ffsd": 0.3, "amlsim": 0.4}


@dataclass
class BenchmarkConfig:
    split: str = "random"
    seeds: list = field(default_factory=lambda: [0])
    models: list = field(default_factory=lambda: list(FAST_MODELS))
    test_size: float | None = None
    val_size: float = 0.1
    epochs: int = DEFAULT_EPOCHS
    hidden: int = DEFAULT_HIDDEN
    patience: int = DEFAULT_PATIENCE       # GNN early stopping: epochs without a better validation AUPRC
    gnn_features: bool = True
    hybrid_base: str = "dir_sage"
    budget: float = 0.005


def default_models(data: FraudData) -> list[str]:
    """``FAST_MODELS``, plus ``lgbm_collective`` where targets link to targets (accounts paying accounts),
    the graphs on which neighbours' labels carry the signal; it rebuilds the features once per fold,
    so it is left out where they are costly and targets only share entities (S-FFSD)."""
    extra = ["lgbm_collective"] if target_relations(data) else []
    return list(FAST_MODELS[:2]) + extra + list(FAST_MODELS[2:])


def make_split(data: FraudData, kind: str, seed: int, test_size: float, val_size: float):
    """Random stratified or temporal split of the labelled target nodes (bnpl.data.splits)."""
    from bnpl.data.splits import random_stratified_split, temporal_split

    if kind == "random":
        return random_stratified_split(data, test_size=test_size, val_size=val_size, seed=seed)
    if kind == "temporal":
        return temporal_split(data, val_frac=val_size, test_frac=test_size)
    raise BnplError(f"unknown split {kind!r}; expected 'random' or 'temporal'")


def run_seed(data: FraudData, cfg: BenchmarkConfig, seed: int, progress: bool = True,
             started: float | None = None, cache: dict | None = None) -> dict:
    """Scores and metrics of every model for one seed. Returns {model: {metrics..., 'scores': array}}.
    With ``progress`` a line per model gives its metrics, its seconds and the seconds since ``started``.
    ``cache``: :func:`~bnpl.fraud.features.graph_features`' cache of label-free features, shared by
    seeds and by ``lgbm_collective``'s per-fold rebuilds."""
    started = time.time() if started is None else started
    cache = {} if cache is None else cache
    key = data.name.split(":")[0]
    test_size = cfg.test_size or TEST_SIZE.get(key, 0.3)
    split = make_split(data, cfg.split, seed, test_size, cfg.val_size)
    y = label_vector(data)
    tr, va, te = split.train, split.val, split.test
    causal = cfg.split == "temporal"
    t0 = time.time()
    feats = graph_features(data, tr, causal=causal, seed=seed, cache=cache)
    feat_time = time.time() - t0
    out: dict = {"_split": split, "_y": y, "_features": feats}
    need_graph = any(m in MODEL_NAMES or m == "hybrid" for m in cfg.models)
    g = build_homogeneous_graph(data) if need_graph else None
    extra = scale_features(feats.to_numpy(np.float64)) if cfg.gnn_features else None
    tcfg = TrainConfig(epochs=cfg.epochs, hidden=cfg.hidden, patience=cfg.patience)
    gnn_cache = {}
    for name in cfg.models:
        t = time.time()
        if name == "lgbm_tabular":
            s = lgbm_scores(tabular_features(data), y, tr, va, seed)
        elif name == "lgbm_graph":
            out["_lgbm_graph_model"] = fit_lgbm(feats, y, tr, va, seed)
            s = out["_lgbm_graph_model"].predict_proba(feats)[:, 1]
        elif name == "lgbm_stacked":
            s = stacked_lgbm_scores(feats, y, tr, va, seed, lambda sc: score_aggregates(data, sc))
        elif name == "lgbm_collective":
            s = collective_scores(data, feats, y, tr, va, seed,
                                  lambda ids: graph_features(data, ids, causal=causal, seed=seed, cache=cache),
                                  first_stage=out["lgbm_graph"]["scores"] if "lgbm_graph" in out else None)
        elif name in MODEL_NAMES:
            gnn_cache[name] = train_gnn(name, g, y, tr, va, seed, tcfg, extra=extra, progress=progress)
            s = gnn_cache[name].scores
        elif name == "hybrid":
            base = gnn_cache.get(cfg.hybrid_base) or train_gnn(cfg.hybrid_base, g, y, tr, va, seed, tcfg,
                                                               extra=extra, progress=progress)
            emb = pd.DataFrame(base.embeddings, columns=[f"gnn_{i}" for i in range(base.embeddings.shape[1])])
            s = lgbm_scores(pd.concat([feats, emb], axis=1), y, tr, va, seed)
        else:
            raise BnplError(f"unknown model {name!r}; expected one of {list(MODELS)}")
        m = fraud_metrics(y[te], s[te], y[va], s[va], cfg.budget)
        m["seconds"] = time.time() - t + (feat_time if name not in ("lgbm_tabular",) + MODEL_NAMES else 0)
        m["scores"] = s
        out[name] = m
        if progress:
            print(f"  seed {seed} {name:13s} AUROC {m['auroc']:.4f} AUPRC {m['auprc']:.4f} "
                  f"F1 {m['f1_fraud']:.4f} ({m['seconds']:.0f}s, elapsed {time.time() - started:.0f}s)", flush=True)
    return out


def summarise(per_seed: list[dict], models: list[str]) -> dict:
    """Mean and std over seeds of every metric; ``best`` = highest mean validation AUPRC."""
    table = {}
    for name in models:
        rows = pd.DataFrame([{k: v for k, v in r[name].items() if k != "scores"} for r in per_seed])
        table[name] = {"mean": rows.mean().to_dict(), "std": rows.std(ddof=0).to_dict(),
                       "per_seed": rows.to_dict(orient="records")}
    best = max(models, key=lambda m: table[m]["mean"]["val_auprc"])
    return {"models": table, "best": {"model": best, "selected_by": "mean validation AUPRC",
                                      "test": table[best]["mean"], "test_std": table[best]["std"]}}


def typology_recall(data: FraudData, per_seed: list[dict], models: list[str]) -> pd.DataFrame:
    """Recall per fraud typology on test nodes at each model's validation-chosen threshold (mean over seeds)."""
    if "typology" not in data.labels.columns:
        return pd.DataFrame()
    typ = data.labels.set_index("node_id")["typology"]
    rows = []
    for r in per_seed:
        te = r["_split"].test
        t = typ.reindex(te).to_numpy()
        for name in models:
            flagged = r[name]["scores"][te] >= r[name]["threshold"]
            for k in pd.unique(t):
                if k != "legit":
                    rows.append({"model": name, "typology": k, "recall": flagged[t == k].mean(), "n": (t == k).sum()})
    if not rows:
        return pd.DataFrame()
    df = pd.DataFrame(rows).groupby(["typology", "model"]).agg(recall=("recall", "mean"), n=("n", "mean"))
    return df["recall"].unstack("model")


def run_benchmark(data: FraudData, cfg: BenchmarkConfig, progress: bool = True) -> tuple[dict, list[dict]]:
    """All seeds; returns (JSON-ready summary, raw per-seed results with scores)."""
    torch.set_num_threads(2)
    t0 = time.time()
    cache: dict = {}
    per_seed = [run_seed(data, cfg, s, progress, started=t0, cache=cache) for s in cfg.seeds]
    summary = summarise(per_seed, cfg.models)
    summary.update({"dataset": data.name, "config": asdict(cfg), "seconds": time.time() - t0,
                    "data": data.summary()})
    typ = typology_recall(data, per_seed, cfg.models)
    if len(typ):
        summary["typology_recall"] = typ.to_dict()
    return summary, per_seed


def results_table(summary: dict, metrics=("auroc", "auprc", "f1_fraud", "f1_macro", "val_auprc")) -> pd.DataFrame:
    """Mean ± std per model as strings, for printing."""
    rows = {}
    for name, r in summary["models"].items():
        rows[name] = {m: f"{r['mean'][m]:.4f} ± {r['std'][m]:.4f}" for m in metrics}
    return pd.DataFrame(rows).T
