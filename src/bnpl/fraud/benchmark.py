"""Run the model zoo (:mod:`bnpl.fraud.models`) over seeds on one dataset and split; return per-seed
results (:class:`SeedResult`) and aggregated metrics.

Every model sees the same information: GNNs get the node inputs, the label-trick channels and
(``gnn_features``) the same graph features as the boosters.

Protocol: every model is fitted on the training labels and early-stopped on validation; validation
AUPRC picks the best model and the F1 threshold. Then (``refit``, the default on random splits) each
model is refitted on training + validation labels with the rounds / epochs validation chose, as one
would before deployment, and the test metrics are the refit's; the train-only fit's test AUROC /
AUPRC are kept beside them (``*_no_refit``). The split sizes come from the dataset registry
(:mod:`bnpl.data.datasets`) through :class:`BenchmarkConfig`.
"""
from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd
import torch
from sklearn.metrics import average_precision_score, roc_auc_score

from bnpl import tracking
from bnpl.config import THREADS
from bnpl.data.datasets import FRAUD_SPLITS
from bnpl.data.normalised import FraudData
from bnpl.data.splits import (
    Split,
    all_rows_split,
    random_stratified_split,
    temporal_split,
)
from bnpl.data.subset import label_vector
from bnpl.errors import BnplError
from bnpl.fraud.defaults import DEFAULT_EPOCHS, DEFAULT_HIDDEN, DEFAULT_PATIENCE
from bnpl.fraud.features import (
    LabelFreeFeatures,
    graph_features,
    label_free_features,
    target_relations,
)
from bnpl.fraud.graph import build_homogeneous_graph, scale_features
from bnpl.fraud.metrics import fraud_metrics
from bnpl.fraud.models import FAST_MODELS, MODELS, FraudModel, Pass, model_class
from bnpl.fraud.train import TrainConfig


@dataclass
class BenchmarkConfig:
    split: str = "random"
    seeds: list = field(default_factory=lambda: [0])
    models: list = field(default_factory=lambda: list(FAST_MODELS))
    test_size: float = 0.3                 # from the dataset registry (bnpl.data.datasets)
    val_size: float = 0.1
    epochs: int = DEFAULT_EPOCHS
    hidden: int = DEFAULT_HIDDEN
    patience: int = DEFAULT_PATIENCE       # GNN early stopping: epochs without a better validation AUPRC
    gnn_features: bool = True
    hybrid_base: str = "dir_sage"
    budget: float = 0.005
    # refit on training + validation labels once validation has chosen; None: on random splits only (on the
    # temporal split it lowered test AUROC on S-FFSD, so it stays opt-in there)
    refit: bool | None = None
    push: bool = True                      # the pushed fraud mass label features (an ablation switch)

    @property
    def causal(self) -> bool:
        return self.split == "temporal"


@dataclass
class ModelResult:
    metrics: dict[str, float]     # test metrics (of the refit when there is one), val_auprc, threshold, seconds
    scores: np.ndarray            # final scores of every target node


@dataclass
class SeedResult:
    """One seed of the benchmark: the split, labels, first-pass graph features, each model's result and
    the first fit's ``lgbm_graph`` booster (None when it did not run)."""
    seed: int
    split: Split
    y: np.ndarray
    features: pd.DataFrame
    refit_ids: np.ndarray
    refitted: bool
    models: dict[str, ModelResult]
    label_free: LabelFreeFeatures
    graph_booster: object | None = None


def default_models(data: FraudData) -> list[str]:
    """``FAST_MODELS``, plus ``lgbm_collective`` where targets link to targets (accounts paying accounts),
    the graphs on which neighbours' labels carry the signal; it rebuilds the features once per fold,
    so it is left out where they are costly and targets only share entities (S-FFSD)."""
    extra = ["lgbm_collective"] if target_relations(data) else []
    return list(FAST_MODELS[:2]) + extra + list(FAST_MODELS[2:])


def make_split(data: FraudData, kind: str, seed: int, test_size: float, val_size: float) -> Split:
    """The split ``kind`` of the labelled target nodes (bnpl.data.splits): ``random`` (stratified over the
    labelled nodes), ``temporal``, or ``all-rows`` (the published GTAN / RGTAN protocol: stratified over
    every target node, unlabelled ones included)."""
    if kind == "random":
        return random_stratified_split(data, test_size=test_size, val_size=val_size, seed=seed)
    if kind == "temporal":
        return temporal_split(data, val_frac=val_size, test_frac=test_size)
    if kind == "all-rows":
        return all_rows_split(data, test_size=test_size, val_size=val_size, seed=seed)
    raise BnplError(f"unknown split {kind!r}; expected one of {list(FRAUD_SPLITS)}")


def refit_ids(split: Split, data: FraudData) -> np.ndarray:
    """Labelled nodes of the refit: training plus validation; for a temporal split only the validation
    labels already known when the test period starts (``label_time <= val_cutoff``)."""
    val = np.asarray(split.val)
    if split.method == "temporal" and split.val_cutoff is not None:
        known = data.labels.set_index("node_id")["label_time"].reindex(val).to_numpy(np.float64)
        val = val[known <= split.val_cutoff]
    return np.sort(np.r_[np.asarray(split.train), val]).astype(np.asarray(split.train).dtype)


def make_pass(data: FraudData, cfg: BenchmarkConfig, seed: int, ids: np.ndarray, val: np.ndarray,
              label_free: LabelFreeFeatures, graph=None, refit: bool = False, progress: bool = False) -> Pass:
    """A :class:`~bnpl.fraud.models.Pass` fitting on the labels of ``ids``: graph features from those
    labels (with ``cfg.push``) and, with ``cfg.gnn_features`` and a ``graph`` (a GNN runs), their scaled
    copy as GNN inputs."""
    feats = graph_features(data, ids, causal=cfg.causal, seed=seed, label_free=label_free, push=cfg.push)
    extra = scale_features(feats) if cfg.gnn_features and graph is not None else None
    tcfg = TrainConfig(epochs=cfg.epochs, hidden=cfg.hidden, patience=cfg.patience)
    return Pass(data, label_vector(data), ids, val, seed, feats, label_free, tcfg, graph, extra, refit, progress)


def build_models(cfg: BenchmarkConfig) -> dict[str, FraudModel]:
    """A fresh instance of every model of ``cfg.models`` (made once per seed)."""
    return {name: model_class(name)(hybrid_base=cfg.hybrid_base, push=cfg.push) for name in cfg.models}


def run_seed(data: FraudData, cfg: BenchmarkConfig, seed: int, progress: bool = True,
             started: float | None = None, label_free: LabelFreeFeatures | None = None) -> SeedResult:
    """Scores and metrics of every model for one seed.

    Each model is fitted on the training labels, early-stopped and compared on validation
    (``val_auprc``, the F1 threshold). With ``cfg.refit`` (by default on random splits) it is then
    refitted on training + validation labels (:func:`refit_ids`: label features and the model both see
    them) with the boosting rounds / GNN epochs validation chose; its test metrics come from the refit,
    the train-only fit's test AUROC / AUPRC stay as ``auroc_no_refit`` / ``auprc_no_refit``.
    With ``progress`` a line per model gives its metrics, its seconds and the seconds since ``started``.
    ``label_free``: :func:`~bnpl.fraud.features.label_free_features` of ``data`` (computed here when not
    given), shared by seeds, by ``lgbm_collective``'s per-fold rebuilds and by the refit."""
    started = time.time() if started is None else started
    t_lf = time.time()
    label_free = label_free or label_free_features(data, causal=cfg.causal)
    lf_time = time.time() - t_lf
    split = make_split(data, cfg.split, seed, cfg.test_size, cfg.val_size)
    va, te = split.val, split.test
    models = build_models(cfg)
    graph = build_homogeneous_graph(data) if any(m.needs_graph for m in models.values()) else None
    refit = cfg.refit if cfg.refit is not None else not cfg.causal
    ids = [split.train] + ([refit_ids(split, data)] if refit and len(va) else [])
    passes, feat_time = [], lf_time
    for k, pass_ids in enumerate(ids):
        t0 = time.time()
        passes.append(make_pass(data, cfg, seed, pass_ids, va, label_free, graph, refit=k > 0, progress=progress))
        feat_time += time.time() - t0
    y = passes[0].y
    results = {}
    for name, model in models.items():
        t = time.time()
        for p in passes:
            p.scores[name] = model.refit(p) if p.refit else model.fit(p)
        first, final = passes[0].scores[name], passes[-1].scores[name]
        m = fraud_metrics(y[te], final[te], y[va], first[va], cfg.budget)
        if len(passes) > 1:
            m.update(auroc_no_refit=float(roc_auc_score(y[te], first[te])),
                     auprc_no_refit=float(average_precision_score(y[te], first[te])))
        m["seconds"] = time.time() - t + (feat_time if model.reads_graph_features else 0)
        results[name] = ModelResult(m, final)
        line = (f"  seed {seed} {name:15s} AUROC {m['auroc']:.4f} AUPRC {m['auprc']:.4f} "
                f"F1 {m['f1_fraud']:.4f} val AUPRC {m['val_auprc']:.4f} "
                f"({m['seconds']:.0f}s, elapsed {time.time() - started:.0f}s)")
        if progress:
            print(line, flush=True)
        elif tracking.active_run_id():      # under `bnpl run`: to its console, not into the notebook
            tracking.progress(line.strip())
    booster = getattr(models.get("lgbm_graph"), "booster", None)
    return SeedResult(seed, split, y, passes[0].features, ids[-1], len(passes) > 1, results, label_free, booster)


def summarise(per_seed: list[SeedResult], models: list[str]) -> dict:
    """Mean and std over seeds of every metric; ``best`` = highest mean validation AUPRC."""
    table = {}
    for name in models:
        rows = pd.DataFrame([r.models[name].metrics for r in per_seed])
        table[name] = {"mean": rows.mean().to_dict(), "std": rows.std(ddof=0).to_dict(),
                       "per_seed": rows.to_dict(orient="records")}
    best = max(models, key=lambda m: table[m]["mean"]["val_auprc"])
    return {"models": table, "best": {"model": best, "selected_by": "mean validation AUPRC",
                                      "test": table[best]["mean"], "test_std": table[best]["std"]}}


def typology_metrics(data: FraudData, per_seed: list[SeedResult], models: list[str]) -> dict[str, pd.DataFrame]:
    """Per fraud typology on the test nodes, mean over seeds (rows: typology, columns: model):
    ``recall`` at each model's validation-chosen threshold, and ``auprc`` of that typology's frauds
    against the legit test nodes (the other typologies left out), so each typology's ranking is judged
    on its own. Empty when the data carries no ``typology`` column."""
    if "typology" not in data.labels.columns:
        return {}
    typ = data.labels.set_index("node_id")["typology"]
    rows = []
    for r in per_seed:
        te = r.split.test
        t = typ.reindex(te).to_numpy()
        legit = t == "legit"
        for name in models:
            s, threshold = r.models[name].scores[te], r.models[name].metrics["threshold"]
            for k in pd.unique(t[~legit]):
                mine = t == k
                keep = mine | legit
                rows.append({"model": name, "typology": k, "recall": float((s[mine] >= threshold).mean()),
                             "auprc": float(average_precision_score(mine[keep], s[keep])) if legit.any() else np.nan})
    if not rows:
        return {}
    df = pd.DataFrame(rows).groupby(["typology", "model"])[["recall", "auprc"]].mean()
    return {m: df[m].unstack("model") for m in ("recall", "auprc")}


def run_benchmark(data: FraudData, cfg: BenchmarkConfig, progress: bool = True) -> tuple[dict, list[SeedResult]]:
    """All seeds; returns (JSON-ready summary, per-seed results with scores)."""
    torch.set_num_threads(THREADS)
    bad = [m for m in cfg.models if m not in MODELS]
    if bad:
        raise BnplError(f"unknown model(s) {bad}; expected some of {list(MODELS)}")
    t0 = time.time()
    per_seed: list[SeedResult] = []
    for s in cfg.seeds:
        per_seed.append(run_seed(data, cfg, s, progress, started=t0,
                                 label_free=per_seed[0].label_free if per_seed else None))
    summary = summarise(per_seed, cfg.models)
    summary.update({"dataset": data.name, "config": asdict(cfg), "seconds": time.time() - t0,
                    "data": data.summary()})
    summary["best"]["test_from"] = ("refit on training + validation labels" if all(r.refitted for r in per_seed)
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
