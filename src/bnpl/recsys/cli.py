"""``bnpl recsys benchmark``: every recommender on one dataset, tuned on validation, mean ± std over seeds."""
from __future__ import annotations

import argparse
from pathlib import Path

from bnpl.recsys.benchmark import DEFAULT_MODELS, DEFAULT_TIME_BUDGET, PROTOCOLS


def register(subparsers) -> None:
    p = subparsers.add_parser("recsys", help="recommendation benchmarks and ablations")
    sub = p.add_subparsers(dest="recsys_command", metavar="SUBCOMMAND")
    sub.required = True
    b = sub.add_parser("benchmark", help="tune (on a carve of train), refit and test every model over seeds")
    b.add_argument("--data", required=True, type=Path, help="MovieLens folder, Amazon Grocery folder or interactions CSV")
    b.add_argument("--protocol", choices=PROTOCOLS, default="random-75-25")
    b.add_argument("--k", type=int, default=10)
    b.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    b.add_argument("--models", nargs="+", default=list(DEFAULT_MODELS))
    b.add_argument("--out", type=Path, help="results JSON (mean/std per model, best by validation NDCG)")
    b.add_argument("--threads", type=int, default=1,
                   help="torch CPU threads per process (1 is fastest for these small models)")
    b.add_argument("--jobs", type=int, default=2, help="worker processes running (seed, model) pairs in parallel")
    b.add_argument("--time-budget", type=float, default=DEFAULT_TIME_BUDGET,
                   help="seconds per model and seed (tuning included); a model estimated above it runs a cheaper "
                        "variant or is skipped, with one line saying so and a record in the JSON")
    b.add_argument("--append", action="store_true",
                   help="add this run's (model, seed) results to those already in --out (same dataset, protocol and k) "
                        "and summarise all of them: a benchmark run in pieces, e.g. one seed at a time")
    b.set_defaults(func=benchmark_command)


#: a ranking cut-off beyond this is a typo (the metrics allocate users x k)
MAX_K = 1000


def check_benchmark_options(args: argparse.Namespace) -> None:
    """Every option of ``bnpl recsys benchmark`` checked before loading anything: one line naming the option."""
    from bnpl import cli_checks
    from bnpl.io import check_output
    from bnpl.recsys.models import model_class

    for m in args.models:
        model_class(m)
    cli_checks.in_range("--k", args.k, 1, MAX_K)
    cli_checks.seeds("--seeds", args.seeds)
    cli_checks.in_range("--threads", args.threads, 1, 256)
    cli_checks.in_range("--jobs", args.jobs, 1, 256)
    cli_checks.in_range("--time-budget", args.time_budget, 1e-3, 7 * 24 * 3600.0)
    if args.out:
        check_output(args.out)


def benchmark_command(args: argparse.Namespace) -> int:
    import torch

    from bnpl.benchmark_tables import load_result
    from bnpl.data.loaders import load_interactions
    from bnpl.errors import BnplError
    from bnpl.io import write_json
    from bnpl.recsys.benchmark import merge_results, results_table, run_benchmark

    check_benchmark_options(args)
    if args.append and not args.out:
        raise BnplError("--append needs --out (the results file to add to)")
    previous = load_result(args.out) if args.append and args.out.exists() else None
    torch.set_num_threads(args.threads)
    data = load_interactions(args.data)
    results = run_benchmark(data, protocol=args.protocol, k=args.k, seeds=args.seeds, models=args.models,
                            jobs=args.jobs, time_budget=args.time_budget)
    results["command"] = f"bnpl recsys benchmark --data {args.data} --protocol {args.protocol} --k {args.k} " \
                         f"--seeds {' '.join(map(str, args.seeds))} --models {' '.join(args.models)} --jobs {args.jobs} " \
                         f"--threads {args.threads} " \
                         f"--time-budget {args.time_budget:g}" + (" --append" if args.append else "")
    if previous is not None:
        results = merge_results(previous, results, data)
    print(f"{data.name}: {data.summary()} | protocol {args.protocol} | k={args.k} | seeds {args.seeds}")
    print(results_table(results).to_string())
    print(f"best by validation NDCG@{args.k}: {results['best']['model']}  "
          f"(test ndcg {results['best']['mean']['ndcg']:.4f}, recall {results['best']['mean']['recall']:.4f}); "
          f"wall {results['wall_seconds']:.0f}s")
    if args.out:
        write_json(args.out, results)
        print(f"wrote {args.out}")
    return 0
