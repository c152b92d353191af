"""Benchmark every recommender on one dataset and protocol over several seeds.

For each seed: split (per-user random 75/25, global temporal or leave-last-out),
tune each model on a validation carve of the training part (:mod:`bnpl.recsys.tune`),
refit the chosen configuration on the whole training part, evaluate on test
(:mod:`bnpl.recsys.evaluate`). The summary holds, per model, mean and std over
seeds of every metric, and ``best``: the model with the highest mean VALIDATION
NDCG (test numbers never choose anything).

Before anything runs, :mod:`bnpl.recsys.budget` estimates each model's cost on this dataset; a model
over ``time_budget`` seconds (per seed) runs a cheaper variant, one configuration, or is skipped,
with one printed line and a record under ``budget`` in the JSON. With ``jobs`` > 1 every
(seed, model) pair runs in a fresh worker process, so its ``peak_rss_mb`` (the process's
``ru_maxrss``: interpreter, libraries, its copy of the data and the model) is that model's peak.
"""
from __future__ import annotations

import resource
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor

import pandas as pd
from tqdm.auto import tqdm

from bnpl.data.normalised import InteractionData
from bnpl.data.splits import (
    leave_last_out_split,
    per_user_random_split,
    temporal_interaction_split,
)
from bnpl.errors import BnplError
from bnpl.recsys.budget import plan_model
from bnpl.recsys.evaluate import evaluate
from bnpl.recsys.models import MODELS, model_class
from bnpl.recsys.tune import carve_spec, tune

PROTOCOLS = ("random-75-25", "temporal", "leave-last-out")
DEFAULT_MODELS = ("popularity", "itemknn", "rp3beta", "ease", "sease", "bpr", "lightgcn", "sidegnn", "rerank")
DEFAULT_TIME_BUDGET = 300.0  # seconds per model and seed
REPORTED = ("ndcg", "recall", "precision", "map", "map_at_k", "coverage", "popularity_bias", "cold_ndcg", "cold_recall",
            "sampled_hr", "sampled_ndcg")
#: the SASRec paper's sampled metric (test item vs this many sampled negatives), reported under leave-last-out only
SAMPLED_NEGATIVES = 100


def split_interactions(inter: pd.DataFrame, protocol: str, seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(train, test) frames for ``protocol``; the temporal and leave-last-out splits do not depend on the seed."""
    if protocol == "random-75-25":
        return per_user_random_split(inter, test_frac=0.25, seed=seed)
    if protocol == "temporal":
        return temporal_interaction_split(inter, test_frac=0.2)
    if protocol == "leave-last-out":
        return leave_last_out_split(inter)
    raise BnplError(f"unknown protocol {protocol!r}; choose from {', '.join(PROTOCOLS)}")


def run_one(name: str, data: InteractionData, train: pd.DataFrame, test: pd.DataFrame, *, protocol: str,
            k: int, seed: int, fixed: dict | None = None, grid: list[dict] | None = None) -> dict:
    """Tune ``name`` on a carve of ``train``, refit on ``train``, evaluate on ``test``: one result row."""
    cls = model_class(name)
    t0 = time.perf_counter()
    params, table = tune(cls, train, data.n_users, data.n_items, side=data, protocol=protocol, k=k, seed=seed, fixed=fixed,
                         grid=grid)
    model = cls(seed=seed, **params).fit(train, data.n_users, data.n_items, side=data)
    sampled = SAMPLED_NEGATIVES if protocol == "leave-last-out" else 0
    metrics = evaluate(model, test, k, sampled_negatives=sampled, seed=seed)
    return {"model": name, "seed": seed, "params": params, "inputs": cls.inputs, "val_ndcg": float(table["val_ndcg"].max()),
            "configs_tried": len(table), "seconds": time.perf_counter() - t0, **metrics}


def run_benchmark(data: InteractionData, protocol: str = "random-75-25", k: int = 10, seeds: Sequence[int] = (0, 1, 2),
                  models: Sequence[str] = DEFAULT_MODELS, progress: bool = True, jobs: int = 1,
                  time_budget: float = DEFAULT_TIME_BUDGET) -> dict:
    """Run every model on every seed; return the JSON-ready summary (see module docstring).

    ``jobs`` > 1 runs (seed, model) pairs in that many worker processes (one torch thread each, a
    fresh process per pair so that its peak memory is its own).
    """
    if protocol not in PROTOCOLS:
        raise BnplError(f"unknown protocol {protocol!r}; choose from {', '.join(PROTOCOLS)}")
    for m in models:
        model_class(m)
    if k < 1:
        raise BnplError(f"--k must be at least 1 (got {k})")
    if time_budget <= 0:
        raise BnplError(f"--time-budget must be positive (got {time_budget})")
    t0 = time.perf_counter()
    plans = {m: plan_model(m, model_class(m), data.n_users, data.n_items, len(data.interactions), time_budget) for m in models}
    for plan in plans.values():
        if plan.line():
            print(plan.line(), flush=True)
    # slowest models first, so that the worker processes finish together
    tasks = sorted([(data, protocol, k, seed, plans[name]) for seed in seeds for name in models
                    if plans[name].action != "skipped"], key=lambda t: -t[4].estimate_s)
    if jobs > 1:
        with ProcessPoolExecutor(max_workers=jobs, initializer=_one_thread, max_tasks_per_child=1) as pool:
            rows = list(tqdm(pool.map(_task, tasks), total=len(tasks), disable=not progress, desc="benchmark"))
    else:
        rows = [_task(t) for t in tqdm(tasks, disable=not progress, desc="benchmark")]
    if not rows:
        raise BnplError(f"every model is over the time budget of {time_budget:.0f}s; raise --time-budget")
    out = summarise(pd.DataFrame(rows), data=data, protocol=protocol, k=k, seeds=seeds,
                    wall_seconds=time.perf_counter() - t0)
    out["time_budget_s"] = time_budget
    out["budget"] = {m: p.record() for m, p in plans.items()}
    out["memory_measured"] = ("peak RSS of a fresh worker process per (seed, model)" if jobs > 1 else
                              "peak RSS of the one benchmark process so far (a high-water mark over all models)")
    return out


def _one_thread() -> None:
    import torch

    torch.set_num_threads(1)


def _rss_mb() -> float:
    """Current resident memory of this process in MB (Linux /proc; NaN elsewhere)."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * resource.getpagesize() / 2**20
    except OSError:
        return float("nan")


def _task(task) -> dict:
    data, protocol, k, seed, plan = task
    rss_start = _rss_mb()
    name: str = plan.model
    train, test = split_interactions(data.interactions, protocol, seed)
    method, frac = carve_spec(protocol)
    fixed = {"carve": method, "carve_frac": frac} if model_class(name).uses_carve else {}
    fixed |= plan.fixed
    row = run_one(name, data, train, test, protocol=protocol, k=k, seed=seed, fixed=fixed or None, grid=plan.grid)
    return row | {"budget_action": plan.action, "rss_start_mb": rss_start,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def summarise(runs: pd.DataFrame, *, data: InteractionData, protocol: str, k: int, seeds, wall_seconds: float) -> dict:
    """Mean and std over seeds per model, and the best model by mean validation NDCG."""
    cols = [c for c in REPORTED if c in runs.columns] + ["val_ndcg", "seconds"] + \
        [c for c in ("peak_rss_mb",) if c in runs.columns]
    agg = runs.groupby("model", sort=False)[cols]
    mean, std = agg.mean(), agg.std(ddof=0).fillna(0.0)
    lo, hi = agg.min(), agg.max()
    per_model = {m: {"inputs": str(runs.loc[runs["model"] == m, "inputs"].iloc[0]) if "inputs" in runs else "",
                     "mean": mean.loc[m].to_dict(), "std": std.loc[m].to_dict(), "min": lo.loc[m].to_dict(),
                     "max": hi.loc[m].to_dict(), "params": runs.loc[runs["model"] == m, "params"].tolist(),
                     "seeds": sorted(int(x) for x in runs.loc[runs["model"] == m, "seed"])}
                 for m in mean.index}
    best = mean["val_ndcg"].idxmax()
    return {"dataset": data.name, "summary": data.summary(), "protocol": protocol, "k": k, "seeds": list(seeds),
            "sampled_metric": (f"sampled_hr / sampled_ndcg: each test item ranked against {SAMPLED_NEGATIVES} sampled "
                               "items the user never had (SASRec paper); the headline is full ranking"
                               if "sampled_ndcg" in runs.columns else None),
            "models": per_model, "best": {"model": best, "chosen_by": "mean validation ndcg", **per_model[best]},
            "wall_seconds": wall_seconds,
            "runs": runs.drop(columns=["params"]).assign(params=runs["params"].map(str)).to_dict(orient="records")}


def merge_results(previous: dict, new: dict, data: InteractionData) -> dict:
    """``new`` with the (model, seed) runs of ``previous`` that it does not repeat, summarised again: a
    benchmark run in pieces (e.g. one seed per time slot) gives the same JSON as one run. The pieces
    must share dataset, protocol and k; their commands are kept in order and their wall times added."""
    for key in ("dataset", "protocol", "k"):
        if previous.get(key) != new.get(key):
            raise BnplError(f"--append: the earlier results have {key} {previous.get(key)!r}, this run {new.get(key)!r}")
    old, fresh = pd.DataFrame(previous.get("runs", [])), pd.DataFrame(new["runs"])
    if not old.empty:
        repeated = old.set_index(["model", "seed"]).index.isin(fresh.set_index(["model", "seed"]).index)
        fresh = pd.concat([old[~repeated], fresh], ignore_index=True)
    seeds = sorted(set(fresh["seed"].astype(int)))
    out = summarise(fresh, data=data, protocol=new["protocol"], k=new["k"], seeds=seeds,
                    wall_seconds=float(previous.get("wall_seconds", 0.0)) + new["wall_seconds"])
    for key in ("time_budget_s", "memory_measured"):
        out[key] = new.get(key)
    out["budget"] = (previous.get("budget") or {}) | new.get("budget", {})
    out["commands"] = list(previous.get("commands") or [previous.get("command")]) + [new.get("command")]
    return out


def results_table(results: dict) -> pd.DataFrame:
    """Models x 'mean ± std' strings for printing."""
    rows = {}
    for m, r in sorted(results["models"].items(), key=lambda kv: -kv[1]["mean"]["val_ndcg"]):
        rows[m] = {"inputs": r.get("inputs", "")}
        rows[m] |= {c: f"{r['mean'][c]:.4f} ± {r['std'][c]:.4f}" for c in r["mean"] if c not in ("seconds", "peak_rss_mb")}
        rows[m]["seconds"] = f"{r['mean']['seconds']:.1f}"
        if "peak_rss_mb" in r["mean"]:
            rows[m]["peak_rss_mb"] = f"{r['mean']['peak_rss_mb']:.0f}"
    return pd.DataFrame(rows).T


__all__ = ["MODELS", "PROTOCOLS", "merge_results", "run_benchmark", "results_table", "split_interactions"]
