"""Benchmark every recommender on one dataset and protocol over several seeds.

For each seed: split (per-user random 75/25, global temporal or leave-last-out),
tune each model on a validation carve of the training part (:mod:`bnpl.recsys.tune`),
refit the chosen configuration on the whole training part, evaluate on test
(:mod:`bnpl.recsys.evaluate`). The summary holds, per model, mean and std over
seeds of every metric, and ``best``: the model with the highest mean VALIDATION
NDCG (test numbers never choose anything).
"""
from __future__ import annotations

import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor

import pandas as pd
from tqdm.auto import tqdm

from bnpl.data.normalised import InteractionData
from bnpl.data.splits import leave_last_out_split, per_user_random_split, temporal_interaction_split
from bnpl.errors import BnplError
from bnpl.recsys.evaluate import evaluate
from bnpl.recsys.models import MODELS, model_class
from bnpl.recsys.tune import carve_spec, tune

PROTOCOLS = ("random-75-25", "temporal", "leave-last-out")
DEFAULT_MODELS = ("popularity", "itemknn", "rp3beta", "ease", "sease", "bpr", "lightgcn", "sidegnn", "rerank")
REPORTED = ("ndcg", "recall", "precision", "map", "coverage", "popularity_bias", "cold_ndcg", "cold_recall")


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
            k: int, seed: int, fixed: dict | None = None) -> dict:
    """Tune ``name`` on a carve of ``train``, refit on ``train``, evaluate on ``test``: one result row."""
    cls = model_class(name)
    t0 = time.perf_counter()
    params, table = tune(cls, train, data.n_users, data.n_items, side=data, protocol=protocol, k=k, seed=seed, fixed=fixed)
    model = cls(seed=seed, **params).fit(train, data.n_users, data.n_items, side=data)
    metrics = evaluate(model, test, k)
    return {"model": name, "seed": seed, "params": params, "val_ndcg": float(table["val_ndcg"].max()),
            "configs_tried": len(table), "seconds": time.perf_counter() - t0, **metrics}


def run_benchmark(data: InteractionData, protocol: str = "random-75-25", k: int = 10, seeds: Sequence[int] = (0, 1, 2),
                  models: Sequence[str] = DEFAULT_MODELS, progress: bool = True, jobs: int = 1) -> dict:
    """Run every model on every seed; return the JSON-ready summary (see module docstring).

    ``jobs`` > 1 runs (seed, model) pairs in that many worker processes (one torch thread each).
    """
    if protocol not in PROTOCOLS:
        raise BnplError(f"unknown protocol {protocol!r}; choose from {', '.join(PROTOCOLS)}")
    for m in models:
        model_class(m)
    if k < 1:
        raise BnplError(f"--k must be at least 1 (got {k})")
    t0 = time.perf_counter()
    # slowest models first, so that the worker processes finish together
    tasks = sorted([(data, protocol, k, seed, name) for seed in seeds for name in models],
                   key=lambda t: -model_class(t[4]).cost)
    if jobs > 1:
        with ProcessPoolExecutor(max_workers=jobs, initializer=_one_thread) as pool:
            rows = list(tqdm(pool.map(_task, tasks), total=len(tasks), disable=not progress, desc="benchmark"))
    else:
        rows = [_task(t) for t in tqdm(tasks, disable=not progress, desc="benchmark")]
    return summarise(pd.DataFrame(rows), data=data, protocol=protocol, k=k, seeds=seeds,
                     wall_seconds=time.perf_counter() - t0)


def _one_thread() -> None:
    import torch

    torch.set_num_threads(1)


def _task(task) -> dict:
    data, protocol, k, seed, name = task
    train, test = split_interactions(data.interactions, protocol, seed)
    method, frac = carve_spec(protocol)
    fixed = {"carve": method, "carve_frac": frac} if model_class(name).uses_carve else None
    return run_one(name, data, train, test, protocol=protocol, k=k, seed=seed, fixed=fixed)


def summarise(runs: pd.DataFrame, *, data: InteractionData, protocol: str, k: int, seeds, wall_seconds: float) -> dict:
    """Mean and std over seeds per model, and the best model by mean validation NDCG."""
    cols = [c for c in REPORTED if c in runs.columns] + ["val_ndcg", "seconds"]
    agg = runs.groupby("model", sort=False)[cols]
    mean, std = agg.mean(), agg.std(ddof=0).fillna(0.0)
    per_model = {m: {"mean": mean.loc[m].to_dict(), "std": std.loc[m].to_dict(),
                     "params": runs.loc[runs["model"] == m, "params"].tolist()} for m in mean.index}
    best = mean["val_ndcg"].idxmax()
    return {"dataset": data.name, "summary": data.summary(), "protocol": protocol, "k": k, "seeds": list(seeds),
            "models": per_model, "best": {"model": best, "chosen_by": "mean validation ndcg", **per_model[best]},
            "wall_seconds": wall_seconds,
            "runs": runs.drop(columns=["params"]).assign(params=runs["params"].map(str)).to_dict(orient="records")}


def results_table(results: dict) -> pd.DataFrame:
    """Models x 'mean ± std' strings for printing."""
    rows = {}
    for m, r in sorted(results["models"].items(), key=lambda kv: -kv[1]["mean"]["val_ndcg"]):
        rows[m] = {c: f"{r['mean'][c]:.4f} ± {r['std'][c]:.4f}" for c in r["mean"] if c != "seconds"}
        rows[m]["seconds"] = f"{r['mean']['seconds']:.1f}"
    return pd.DataFrame(rows).T


__all__ = ["MODELS", "PROTOCOLS", "run_benchmark", "results_table", "split_interactions"]
