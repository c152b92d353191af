"""Run the model zoo over seeds on one dataset and split; return per-seed and aggregated metrics.

Models (``MODELS``):
``lgbm_tabular`` (own columns only), ``lgbm_graph`` (graph-aggregate features, GADBench-style),
``lgbm_stacked`` (lgbm_graph + neighbours' out-of-fold scores: collective classification),
``lgbm_collective`` (lgbm_graph + label features recomputed on soft labels, leakage-free:
:mod:`bnpl.fraud.collective`),
the GNNs of :mod:`bnpl.fraud.models`, and ``hybrid`` (a direction-aware GNN's embeddings + graph
features -> LightGBM). GNNs get the node inputs, the label-trick channels and (``gnn_features``) the
same graph-aggregate features as the boosters, so every model sees the same information.

Protocol: every model is fitted on the training labels and early-stopped on validation; validation
AUPRC picks the best model and the F1 threshold. Then (``refit``, the default on random splits) each
model is refitted on training + validation labels with the rounds / epochs validation chose, as one
would before deployment, and the test metrics are the refit's; the train-only fit's test AUROC /
AUPRC are kept beside them (``*_no_refit``).
"""
from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field, replace

import numpy as np
import pandas as pd
import torch
from sklearn.metrics import average_precision_score, roc_auc_score

from bnpl import tracking
from bnpl.data.normalised import FraudData
from bnpl.data.splits import Split
from bnpl.errors import BnplError
from bnpl.fraud.boosting import Rounds, fit_lgbm, lgbm_scores, stacked_lgbm_scores
from bnpl.fraud.collective import collective_scores
from bnpl.fraud.features import (
    cached_relations,
    graph_features,
    score_aggregates,
    tabular_features,
    target_relations,
)
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
    # refit on training + validation labels once validation has chosen; None: on random splits only (on the
    # temporal split it lowered test AUROC from 0.940 to 0.903 on S-FFSD, so it stays opt-in there)
    refit: bool | None = None


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


def refit_ids(split: Split, data: FraudData) -> np.ndarray:
    """Labelled nodes of the refit: training plus validation; for a temporal split only the validation
    labels already known when the test period starts (``label_time <= val_cutoff``)."""
    val = np.asarray(split.val)
    if split.method == "temporal" and split.val_cutoff is not None:
        known = data.labels.set_index("node_id")["label_time"].reindex(val).to_numpy(np.float64)
        val = val[known <= split.val_cutoff]
    return np.sort(np.r_[np.asarray(split.train), val]).astype(np.asarray(split.train).dtype)


def _scores(name: str, data: FraudData, cfg: BenchmarkConfig, y, tr, va, seed: int, feats: pd.DataFrame,
            g, extra, done: dict, state: dict, refit: bool, progress: bool, cache: dict) -> np.ndarray:
    """Scores of model ``name`` trained on ``tr``. First fit (``refit=False``): early-stopped on ``va``;
    ``state[name]`` records what validation chose (boosting rounds as a :class:`~bnpl.fraud.boosting.Rounds`
    log, a GNN's best epoch). Refit: the same fits on ``tr`` with those rounds / epochs, ``va`` unread.
    ``done``: this pass's results so far (GNNs are trained once per pass and shared with the hybrid)."""
    causal = cfg.split == "temporal"
    st = state.setdefault(name, {"rounds": Rounds()})
    rounds = st["rounds"].replay() if refit else st["rounds"]
    tcfg = TrainConfig(epochs=cfg.epochs, hidden=cfg.hidden, patience=cfg.patience)

    def gnn(model_name):
        if model_name not in done["gnn"]:
            if refit:       # as many epochs as validation chose, no early stopping
                ep = state[model_name]["epoch"]
                res = train_gnn(model_name, g, y, tr, va[:0], seed, replace(tcfg, epochs=ep + 1), extra=extra,
                                progress=progress)
            else:
                res = train_gnn(model_name, g, y, tr, va, seed, tcfg, extra=extra, progress=progress)
                state.setdefault(model_name, {"rounds": Rounds()})["epoch"] = res.best_epoch
            done["gnn"][model_name] = res
        return done["gnn"][model_name]

    if name == "lgbm_tabular":
        return lgbm_scores(tabular_features(data), y, tr, va, seed, rounds=rounds)
    if name == "lgbm_graph":
        done["lgbm_graph_model"] = fit_lgbm(feats, y, tr, va, seed, rounds=rounds)
        return done["lgbm_graph_model"].predict_proba(feats)[:, 1]
    if name == "lgbm_stacked":
        return stacked_lgbm_scores(feats, y, tr, va, seed, lambda sc: score_aggregates(data, sc), rounds=rounds)
    if name == "lgbm_collective":
        return collective_scores(data, feats, y, tr, va, seed,
                                 lambda ids: graph_features(data, ids, causal=causal, seed=seed, cache=cache),
                                 first_stage=done.get("lgbm_graph"), rounds=rounds,
                                 relations=cached_relations(data, cache))
    if name in MODEL_NAMES:
        return gnn(name).scores
    if name == "hybrid":
        base = gnn(cfg.hybrid_base)
        emb = pd.DataFrame(base.embeddings, columns=[f"gnn_{i}" for i in range(base.embeddings.shape[1])])
        return lgbm_scores(pd.concat([feats, emb], axis=1), y, tr, va, seed, rounds=rounds)
    raise BnplError(f"unknown model {name!r}; expected one of {list(MODELS)}")


def run_seed(data: FraudData, cfg: BenchmarkConfig, seed: int, progress: bool = True,
             started: float | None = None, cache: dict | None = None) -> dict:
    """Scores and metrics of every model for one seed. Returns {model: {metrics..., 'scores': array}}.

    Each model is fitted on the training labels, early-stopped and compared on validation
    (``val_auprc``, the F1 threshold). With ``cfg.refit`` (by default on random splits) it is then
    refitted on training + validation labels (:func:`refit_ids`: label features and the model both see
    them) with the boosting rounds / GNN epochs validation chose; its test metrics come from the refit,
    the train-only fit's test AUROC / AUPRC stay as ``auroc_no_refit`` / ``auprc_no_refit``.
    With ``progress`` a line per model gives its metrics, its seconds and the seconds since ``started``.
    ``cache``: :func:`~bnpl.fraud.features.graph_features`' cache of label-free features, shared by
    seeds, by ``lgbm_collective``'s per-fold rebuilds and by the refit."""
    started = time.time() if started is None else started
    cache = {} if cache is None else cache
    key = data.name.split(":")[0]
    test_size = cfg.test_size or TEST_SIZE.get(key, 0.3)
    split = make_split(data, cfg.split, seed, test_size, cfg.val_size)
    y = label_vector(data)
    tr, va, te = split.train, split.val, split.test
    causal = cfg.split == "temporal"
    need_graph = any(m in MODEL_NAMES or m == "hybrid" for m in cfg.models)
    g = build_homogeneous_graph(data) if need_graph else None
    refit = cfg.refit if cfg.refit is not None else cfg.split == "random"
    passes = [tr] + ([refit_ids(split, data)] if refit and len(va) else [])
    feats, feat_time, extra = [], [], []
    for ids in passes:
        t0 = time.time()
        feats.append(graph_features(data, ids, causal=causal, seed=seed, cache=cache))
        feat_time.append(time.time() - t0)
        extra.append(scale_features(feats[-1].to_numpy(np.float64)) if cfg.gnn_features else None)
    done = [{"gnn": {}} for _ in passes]
    state: dict = {}
    out: dict = {"_split": split, "_y": y, "_features": feats[0], "_refit_ids": passes[-1],
                 "_refitted": len(passes) > 1}
    for name in cfg.models:
        t = time.time()
        for p, ids in enumerate(passes):
            done[p][name] = _scores(name, data, cfg, y, ids, va, seed, feats[p], g, extra[p], done[p], state,
                                    p > 0, progress, cache)
        first, final = done[0][name], done[-1][name]
        m = fraud_metrics(y[te], final[te], y[va], first[va], cfg.budget)
        if len(passes) > 1:
            m.update(auroc_no_refit=float(roc_auc_score(y[te], first[te])),
                     auprc_no_refit=float(average_precision_score(y[te], first[te])))
        m["seconds"] = time.time() - t + (sum(feat_time) if name not in ("lgbm_tabular",) + MODEL_NAMES else 0)
        m["scores"] = final
        out[name] = m
        line = (f"  seed {seed} {name:15s} AUROC {m['auroc']:.4f} AUPRC {m['auprc']:.4f} "
                f"F1 {m['f1_fraud']:.4f} val AUPRC {m['val_auprc']:.4f} "
                f"({m['seconds']:.0f}s, elapsed {time.time() - started:.0f}s)")
        if progress:
            print(line, flush=True)
        elif tracking.active_run_id():      # under `bnpl run`: to its console, not into the notebook
            tracking.progress(line.strip())
    if "lgbm_graph_model" in done[0]:
        out["_lgbm_graph_model"] = done[0]["lgbm_graph_model"]
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


def typology_metrics(data: FraudData, per_seed: list[dict], models: list[str]) -> dict[str, pd.DataFrame]:
    """Per fraud typology on the test nodes, mean over seeds (rows: typology, columns: model):
    ``recall`` at each model's validation-chosen threshold, and ``auprc`` of that typology's frauds
    against the legit test nodes (the other typologies left out), so each typology's ranking is judged
    on its own. Empty when the data carries no ``typology`` column."""
    if "typology" not in data.labels.columns:
        return {}
    typ = data.labels.set_index("node_id")["typology"]
    rows = []
    for r in per_seed:
        te = r["_split"].test
        t = typ.reindex(te).to_numpy()
        legit = t == "legit"
        for name in models:
            s = r[name]["scores"][te]
            for k in pd.unique(t[~legit]):
                mine = t == k
                keep = mine | legit
                rows.append({"model": name, "typology": k, "recall": float((s[mine] >= r[name]["threshold"]).mean()),
                             "auprc": float(average_precision_score(mine[keep], s[keep])) if legit.any() else np.nan})
    if not rows:
        return {}
    df = pd.DataFrame(rows).groupby(["typology", "model"])[["recall", "auprc"]].mean()
    return {m: df[m].unstack("model") for m in ("recall", "auprc")}


def run_benchmark(data: FraudData, cfg: BenchmarkConfig, progress: bool = True) -> tuple[dict, list[dict]]:
    """All seeds; returns (JSON-ready summary, raw per-seed results with scores)."""
    torch.set_num_threads(2)
    t0 = time.time()
    cache: dict = {}
    per_seed = [run_seed(data, cfg, s, progress, started=t0, cache=cache) for s in cfg.seeds]
    summary = summarise(per_seed, cfg.models)
    summary.update({"dataset": data.name, "config": asdict(cfg), "seconds": time.time() - t0,
                    "data": data.summary()})
    summary["best"]["test_from"] = ("refit on training + validation labels" if all(r["_refitted"] for r in per_seed)
                                    else "fit on training labels")
    for metric, table in typology_metrics(data, per_seed, cfg.models).items():
        summary[f"typology_{metric}"] = table.to_dict()
    return summary, per_seed


def results_table(summary: dict, metrics=("auroc", "auprc", "f1_fraud", "f1_macro", "val_auprc",
                                          "auprc_no_refit")) -> pd.DataFrame:
    """Mean ± std per model as strings, for printing (metrics a run lacks, e.g. ``auprc_no_refit``
    without a refit, are left out)."""
    rows = {}
    for name, r in summary["models"].items():
        rows[name] = {m: f"{r['mean'][m]:.4f} ± {r['std'][m]:.4f}" for m in metrics if m in r["mean"]}
    return pd.DataFrame(rows).T
