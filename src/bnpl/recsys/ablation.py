"""Ablation grids: each cell changes one thing of a full model; report its difference from the full model.

The grid is plain data (``experiments/recsys_ablation.yaml``)::

    protocol: temporal            # split, as in the benchmark
    k: 10
    full: {model: sidegnn, params: {layers: 2, side_features: true, item_edges: true}}
    cells:
      - {name: "layers=0", params: {layers: 0}}          # overrides of the full model's params
      - {name: "EASE", model: ease, params: {l2: 300}}   # or another model altogether
      - {name: "last 50% of train", train_window: 0.5}   # only the latest half of the training period

Every cell is fitted with the same seeds and split as the full model (no per-cell tuning:
hyperparameters are held fixed so that only the ablated switch changes) and evaluated on the
same test users. The difference in a metric from the full model is averaged over (user, seed)
pairs and given a 95% confidence interval by a paired bootstrap over users.
"""
from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from bnpl.data.normalised import InteractionData
from bnpl.errors import BnplError
from bnpl.io import read_yaml_mapping
from bnpl.recsys.benchmark import PROTOCOLS, split_interactions
from bnpl.recsys.evaluate import evaluate, evaluate_per_user
from bnpl.recsys.matrix import interaction_matrix
from bnpl.recsys.models import model_class

FULL = "full model"


def load_grid(path: str | Path) -> dict:
    """Read and check an ablation YAML file; BnplError naming the file and key on a mistake."""
    path = Path(path)
    grid = read_yaml_mapping(path, "ablation grid")
    if "full" not in grid or "cells" not in grid:
        raise BnplError(f"{path}: needs top-level keys 'full' and 'cells'")
    if grid.get("protocol", "temporal") not in PROTOCOLS:
        raise BnplError(f"{path}: protocol {grid.get('protocol')!r} is not one of {', '.join(PROTOCOLS)}")
    model_class(grid["full"].get("model", "sidegnn"))
    for i, cell in enumerate(grid["cells"]):
        if not isinstance(cell, dict) or "name" not in cell:
            raise BnplError(f"{path}: cells[{i}] needs a 'name'")
        unknown = set(cell) - {"name", "model", "params", "train_window"}
        if unknown:
            raise BnplError(f"{path}: cells[{i}] ({cell['name']}): unknown key(s) {sorted(unknown)}")
        model_class(cell.get("model", grid["full"].get("model", "sidegnn")))
    return grid


def cell_specs(grid: dict, overrides: dict[str, Any] | None = None) -> list[dict]:
    """The full model followed by every cell, each as ``{name, model, params, train_window}``.

    ``overrides`` (e.g. fewer epochs for a smoke test) apply to every graph/embedding model's params.
    """
    full_model = grid["full"].get("model", "sidegnn")
    full_params = dict(grid["full"].get("params") or {})
    specs = [{"name": FULL, "model": full_model, "params": full_params, "train_window": 1.0}]
    for cell in grid["cells"]:
        model = cell.get("model", full_model)
        params = (full_params if model == full_model else {}) | dict(cell.get("params") or {})
        specs.append({"name": cell["name"], "model": model, "params": params,
                      "train_window": float(cell.get("train_window", 1.0))})
    for s in specs:
        if overrides and s["model"] in ("bpr", "lightgcn", "sidegnn"):
            s["params"] = s["params"] | overrides
    return specs


def training_window(train: pd.DataFrame, frac: float) -> pd.DataFrame:
    """The latest ``frac`` of the training period (by time span)."""
    if frac >= 1.0:
        return train
    t = train["time"].to_numpy(dtype=float)
    start = t.max() - frac * (t.max() - t.min())
    return train[t >= start]


def run_ablation(data: InteractionData, grid: dict, seeds: Sequence[int] = (0, 1), *, overrides: dict | None = None,
                 cold_start_max: int = 5, on_cell: Callable[[dict, dict], None] | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Fit every cell on every seed. Returns (summary per cell and seed, per-user metrics of every fit).

    ``on_cell(spec, result)`` is called after each fit (the notebook logs an MLflow child run there).
    """
    protocol, k = grid.get("protocol", "temporal"), int(grid.get("k", 10))
    rows, per_user = [], []
    for seed in seeds:
        train, test = split_interactions(data.interactions, protocol, seed)
        for spec in cell_specs(grid, overrides):
            t0 = time.perf_counter()
            window = training_window(train, spec["train_window"])
            model = model_class(spec["model"])(seed=seed, **spec["params"]).fit(window, data.n_users, data.n_items, side=data)
            # mask and judge on the users of the FULL training data, so every cell is judged on the same users
            history = interaction_matrix(train, data.n_users, data.n_items)
            pu = evaluate_per_user(model, test, k, exclude=history)
            summary = evaluate(model, test, k, cold_start_max=cold_start_max, exclude=history)
            result = {"cell": spec["name"], "model": spec["model"], "seed": seed, "seconds": time.perf_counter() - t0,
                      **{m: summary[m] for m in ("ndcg", "recall", "precision", "map", "map_at_k", "coverage", "popularity_bias",
                                                 "cold_ndcg", "cold_recall", "users", "cold_users")}}
            rows.append(result)
            per_user.append(pu.assign(cell=spec["name"], seed=seed).reset_index(names="user_id"))
            if on_cell is not None:
                on_cell(spec, result)
    return pd.DataFrame(rows), pd.concat(per_user, ignore_index=True)


def paired_bootstrap(diff: np.ndarray, groups: np.ndarray, n_boot: int = 1000, seed: int = 0) -> tuple[float, float]:
    """95% CI of the mean of ``diff`` resampling whole groups (users) with replacement."""
    codes, uniq = pd.factorize(groups)
    sums = np.bincount(codes, weights=diff, minlength=len(uniq))
    counts = np.bincount(codes, minlength=len(uniq))
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(uniq), size=(n_boot, len(uniq)))
    means = sums[idx].sum(1) / counts[idx].sum(1)
    lo, hi = np.quantile(means, [0.025, 0.975])
    return float(lo), float(hi)


def ablation_table(summary: pd.DataFrame, per_user: pd.DataFrame, metric: str = "ndcg", n_boot: int = 1000) -> pd.DataFrame:
    """One row per cell: mean ± std over seeds of the main metrics, and the paired difference in
    ``metric`` from the full model with its bootstrap 95% CI (over users, pooled across seeds)."""
    agg = summary.groupby("cell", sort=False)
    table = agg[["ndcg", "recall", "map", "map_at_k", "coverage", "popularity_bias", "cold_ndcg"]].mean()
    table[f"{metric}_std"] = agg[metric].std(ddof=0).fillna(0.0)
    table["seconds"] = agg["seconds"].mean()
    full = per_user[per_user["cell"] == FULL].set_index(["user_id", "seed"])[metric]
    deltas = []
    for cell in table.index:
        other = per_user[per_user["cell"] == cell].set_index(["user_id", "seed"])[metric]
        both = pd.concat([other, full], axis=1, keys=["cell", "full"], join="inner")
        d = (both["cell"] - both["full"]).to_numpy()
        lo, hi = paired_bootstrap(d, both.index.get_level_values("user_id").to_numpy(), n_boot) if len(d) else (np.nan, np.nan)
        deltas.append({"delta": d.mean() if len(d) else np.nan, "ci_low": lo, "ci_high": hi})
    out = table.join(pd.DataFrame(deltas, index=table.index).add_prefix(f"{metric}_"))
    return out
