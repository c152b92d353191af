"""``bnpl fraud benchmark``: the model zoo on a dataset and split, table printed and JSON written.
``bnpl fraud latency``: the inductive scorer's p50 / p95 seconds per batch of later target nodes."""
from __future__ import annotations

import argparse

from bnpl.data.datasets import FRAUD_DATASET_NAMES, FRAUD_SPLITS
from bnpl.errors import BnplError
from bnpl.fraud.defaults import DEFAULT_EPOCHS, DEFAULT_HIDDEN, FAST_MODELS


def register(subparsers) -> None:
    p = subparsers.add_parser("fraud", help="fraud detection experiments")
    sub = p.add_subparsers(dest="fraud_command", metavar="SUBCOMMAND")
    sub.required = True
    b = sub.add_parser("benchmark", help="run the model zoo over seeds and write results JSON")
    b.add_argument("--dataset", required=True, choices=FRAUD_DATASET_NAMES)
    b.add_argument("--path", required=True, help="dataset file or folder")
    b.add_argument("--split", default="random", choices=FRAUD_SPLITS,
                   help="random: stratified over the labelled targets (the dataset's protocol); temporal: by time; "
                        "all-rows: the published GTAN / RGTAN code's split, stratified over every target row "
                        "(unlabelled ones included), 60 %% test")
    b.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    b.add_argument("--out", required=True, help="results JSON path")
    b.add_argument("--models", nargs="+", default=None,
                   help=f"default: {' '.join(FAST_MODELS)}, plus lgbm_collective where accounts pay accounts "
                        "(AMLSim); the zoo is bnpl.fraud.models.MODELS")
    b.add_argument("--epochs", type=int, default=DEFAULT_EPOCHS, help="GNN epochs (early stopping on validation AUPRC)")
    b.add_argument("--hidden", type=int, default=DEFAULT_HIDDEN, help="GNN hidden size")
    b.add_argument("--refit", action=argparse.BooleanOptionalAction, default=None,
                   help="refit each model on training + validation labels with the rounds / epochs validation "
                        "chose and test the refit (default: on the random split only)")
    b.set_defaults(func=benchmark)
    lat = sub.add_parser("latency", help="fit the inductive scorer on the past, then time scoring later targets "
                                         "batch by batch without retraining")
    lat.add_argument("--dataset", required=True, choices=FRAUD_DATASET_NAMES)
    lat.add_argument("--path", required=True, help="dataset file or folder")
    lat.add_argument("--cutoff", type=float, default=0.8,
                     help="fit on the targets up to this quantile of their times; score the later ones (default 0.8)")
    lat.add_argument("--batch-size", type=int, default=100)
    lat.add_argument("--batches", type=int, default=20, help="at most this many batches are timed")
    lat.add_argument("--seed", type=int, default=0)
    lat.add_argument("--out", default=None, help="optional JSON path for the timings and metrics")
    lat.set_defaults(func=latency)


def _refit_flag(refit: bool | None) -> str:
    return "" if refit is None else " --refit" if refit else " --no-refit"


def benchmark(args: argparse.Namespace) -> int:
    from bnpl.data.datasets import fraud_dataset
    from bnpl.fraud.benchmark import (
        BenchmarkConfig,
        default_models,
        results_table,
        run_benchmark,
    )
    from bnpl.fraud.models import MODELS
    from bnpl.io import write_json

    bad = [m for m in args.models or [] if m not in MODELS]
    if bad:
        raise BnplError(f"--models: unknown model(s) {bad}; expected some of {list(MODELS)}")
    if args.epochs < 1:
        raise BnplError(f"--epochs must be >= 1 (got {args.epochs})")
    dataset = fraud_dataset(args.dataset)
    data = dataset.load(args.path)
    models = args.models or default_models(data)
    test_size, val_size = dataset.split_sizes(args.split)
    cfg = BenchmarkConfig(split=args.split, seeds=list(args.seeds), models=models, epochs=args.epochs,
                          hidden=args.hidden, refit=args.refit, test_size=test_size, val_size=val_size)
    summary, _ = run_benchmark(data, cfg)
    summary["command"] = (f"bnpl fraud benchmark --dataset {args.dataset} --path {args.path} --split {args.split} "
                          f"--seeds {' '.join(map(str, args.seeds))} --models {' '.join(models)} "
                          f"--epochs {args.epochs}{_refit_flag(args.refit)} --out {args.out}")
    print(results_table(summary).to_string())
    print(f"best by validation AUPRC: {summary['best']['model']}  test AUROC {summary['best']['test']['auroc']:.4f} "
          f"AUPRC {summary['best']['test']['auprc']:.4f}  ({summary['seconds']:.0f}s)")
    import pandas as pd

    for metric, header in (("recall", "test recall per fraud typology at the validation threshold"),
                           ("auprc", "test AUPRC per fraud typology (that typology against the legit test nodes)")):
        if f"typology_{metric}" in summary:
            print(header)
            print(pd.DataFrame(summary[f"typology_{metric}"]).round(3).to_string())
    write_json(args.out, summary)
    return 0


def latency(args: argparse.Namespace) -> int:
    from bnpl.data.datasets import fraud_dataset
    from bnpl.fraud.inductive import latency_report
    from bnpl.io import write_json

    data = fraud_dataset(args.dataset).load(args.path)
    rep = latency_report(data, args.cutoff, args.batch_size, args.batches, args.seed)
    rep.pop("scores")
    quality = (f"; on all {rep['later_labelled']} later labelled targets ({rep['later_fraud']} fraud) AUROC "
               f"{rep['auroc']:.4f}, AUPRC {rep['auprc']:.4f}" if rep["auroc"] is not None else "")
    print(f"{rep['batches']} batches of {rep['batch_size']} after a history of {rep['history']} targets: "
          f"p50 {rep['p50_s']:.3f}s, p95 {rep['p95_s']:.3f}s per batch{quality}")
    if args.out:
        rep["command"] = (f"bnpl fraud latency --dataset {args.dataset} --path {args.path} --cutoff {args.cutoff} "
                          f"--batch-size {args.batch_size} --batches {args.batches} --seed {args.seed} --out {args.out}")
        write_json(args.out, rep)
    return 0
