"""The steps of the scaling benchmark on one synthetic world, in one process, each timed with its own peak
resident memory (:class:`~bnpl.bench.probe.StepProbe`). :mod:`bnpl.bench.scaling` runs this module once per
size in a fresh process, so the peaks of two sizes never mix:

    python -m bnpl.bench.steps --n 10000 --out size.json

Steps: ``generate`` (the world and its fraud form), ``features`` (``lgbm_graph``'s graph features: the
label-free part and one pass of label features), ``graph`` (the homogeneous PyG graph), ``gnn_epoch`` (one
full-batch training epoch of ``dir_sage``, the main fraud GNN, on torch sparse CSR adjacencies, node inputs
and label channels), ``inductive_fit`` (the inductive scorer and its running state at the 0.9 time
quantile, ``INDUCTIVE_ROUNDS`` boosting rounds at most) and ``inductive_batch`` (median seconds per batch of later transactions, incremental; up to
``RECOMPUTE_MAX`` transactions also one batch of the recomputing scorer, for contrast). Also the
throughput of one ``dir_sage`` aggregation (PyG ``SAGEConv`` on the CSR adjacency) against the fastest raw
``torch.sparse.mm`` of the same adjacency and width (:func:`layer_throughput`).
"""
from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from bnpl.bench.probe import StepProbe
from bnpl.config import THREADS
from bnpl.data.subset import label_vector
from bnpl.fraud.defaults import DEFAULT_HIDDEN

INDUCTIVE_ROUNDS = 50        # boosting rounds of the inductive scorer's LightGBM (fit time; latency barely moves)
RECOMPUTE_MAX = 100_000      # largest world on which the recomputing scorer is timed for contrast
STEPS = ("generate", "features", "graph", "gnn_epoch", "inductive_fit", "inductive_batch")


def interleaved_medians(fns: dict, min_repeats: int = 15, min_seconds: float = 1.0,
                        max_repeats: int = 1000) -> dict[str, float]:
    """Median seconds of each function, timed in turns (one call of each per round, after one warm-up
    round) so that a change in the machine's load hits all of them alike; rounds go on until each has
    ``min_repeats`` calls and ``min_seconds`` have passed (at most ``max_repeats`` rounds)."""
    times: dict[str, list[float]] = {k: [] for k in fns}
    for fn in fns.values():
        fn()                                # warm-up (allocations, lazy CSR conversions, thread pools)
    start = time.perf_counter()
    rounds = 0
    while rounds < min_repeats or (time.perf_counter() - start < min_seconds and rounds < max_repeats):
        for k, fn in fns.items():
            t0 = time.perf_counter()
            fn()
            times[k].append(time.perf_counter() - t0)
        rounds += 1
    return {k: float(np.median(v)) for k, v in times.items()}


def layer_throughput(adj: torch.Tensor, width: int, seed: int = 0, min_repeats: int = 15,
                     min_seconds: float = 1.0) -> dict[str, float]:
    """Seconds of one ``dir_sage`` aggregation (PyG ``SAGEConv(width, width, root_weight=False)``: the mean
    of the neighbours' ``width``-wide inputs over the CSR ``adj``, then its linear map) against the fastest
    raw sparse product of the same adjacency and input (``torch.sparse.mm`` with and without torch's
    reduction kernel), all forward, medians of :func:`interleaved_medians`. ``fraction``: raw / layer
    (1 = the layer runs at the speed of the bare sparse product); ``aggregation_s`` / ``linear_s``: the
    layer's two parts alone, and ``rounds`` of timing."""
    from torch_geometric.nn import SAGEConv

    torch.manual_seed(seed)
    x = torch.randn(adj.shape[1], width)
    conv = SAGEConv(width, width, root_weight=False)
    agg = torch.sparse.mm(adj, x, "mean")
    with torch.no_grad():
        med = interleaved_medians({"layer": lambda: conv(x, adj), "spmm": lambda: torch.sparse.mm(adj, x),
                                   "spmm_reduce": lambda: torch.sparse.mm(adj, x, "sum"),
                                   "aggregation": lambda: conv.propagate(adj, x=(x, x)),
                                   "linear": lambda: conv.lin_l(agg)}, min_repeats, min_seconds)
    raw = min(med["spmm"], med["spmm_reduce"])
    return {"layer_s": med["layer"], "spmm_s": raw, "fraction": raw / med["layer"], "spmm_plain_s": med["spmm"],
            "spmm_reduce_s": med["spmm_reduce"], "aggregation_s": med["aggregation"], "linear_s": med["linear"],
            "width": width, "nnz": int(adj.values().numel())}


def run_size(n: int, seed: int = 0, batch_size: int = 100, batches: int = 10, hidden: int = DEFAULT_HIDDEN,
             save=None) -> dict:
    """Every step of the module docstring on a world of ``n`` transactions; ``save(partial_result)`` after
    each step, so a run cut short by a time limit keeps the steps it finished."""
    from bnpl.data.synthetic import WorldConfig, generate_world, world_to_fraud_data
    from bnpl.fraud.benchmark import make_split
    from bnpl.fraud.features import graph_features, label_free_features
    from bnpl.fraud.graph import build_homogeneous_graph
    from bnpl.fraud.incremental import fit_incremental
    from bnpl.fraud.train import TrainConfig, train_gnn

    torch.set_num_threads(THREADS)
    probe = StepProbe()
    res: dict = {"n": n, "seed": seed, "steps": probe.steps, "complete": False}

    def saved(**more) -> None:
        res.update(more)
        if save is not None:
            save(res)

    with probe.step("generate"):
        data = world_to_fraud_data(generate_world(WorldConfig(seed=seed, n_transactions=n), progress=False))
    split = make_split(data, "random", seed, 0.3, 0.1)
    with probe.step("features"):
        feats = graph_features(data, split.train, seed=seed, label_free=label_free_features(data))
    saved(features=feats.shape[1])
    del feats
    with probe.step("graph"):
        g = build_homogeneous_graph(data)
    with probe.step("gnn_epoch"):
        train_gnn("dir_sage", g, label_vector(data), split.train, split.val, seed,
                  TrainConfig(epochs=1, hidden=hidden, patience=1))
    saved(layer=layer_throughput(g.adj_t("in"), hidden, seed), nodes=int(g.x.shape[0]),
          edges=int(g.edge_index.shape[1]))
    del g
    t = data.nodes[data.target]["time"].to_numpy(float)
    cutoff = float(np.quantile(t, 0.9))
    with probe.step("inductive_fit"):
        scorer = fit_incremental(data, cutoff, seed=seed, n_estimators=INDUCTIVE_ROUNDS)
    saved(history=int((t <= cutoff).sum()))
    later = np.flatnonzero(t > cutoff)
    later = later[np.lexsort((later, t[later]))]
    per_batch = []
    with probe.step("inductive_batch"):
        for b in range(min(batches, len(later) // batch_size)):
            ids = later[b * batch_size:(b + 1) * batch_size]
            t0 = time.perf_counter()
            scorer.score(ids, float(t[ids].max()))
            per_batch.append(time.perf_counter() - t0)
    probe.steps["inductive_batch"]["seconds"] = float(np.median(per_batch)) if per_batch else float("nan")
    recompute = None
    if n <= RECOMPUTE_MAX and per_batch:
        # the recomputing scorer (features over the whole history) on the first batch again, for contrast
        ids = later[:batch_size]
        t0 = time.perf_counter()
        scorer.base.score(data, ids, float(t[ids].max()))
        recompute = time.perf_counter() - t0
    saved(batch_size=batch_size, batches=len(per_batch), recompute_batch_s=recompute, complete=True,
          batch_p95_s=float(np.percentile(per_batch, 95)) if per_batch else None)
    return res


def main(argv: list[str] | None = None) -> int:
    from bnpl.io import write_json

    p = argparse.ArgumentParser(prog="python -m bnpl.bench.steps", description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, required=True, help="transactions in the synthetic world")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--batch-size", type=int, default=100)
    p.add_argument("--batches", type=int, default=10)
    p.add_argument("--out", required=True, help="JSON path for this size's measurements")
    a = p.parse_args(argv)
    run_size(a.n, a.seed, a.batch_size, a.batches, save=lambda res: write_json(a.out, res))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
