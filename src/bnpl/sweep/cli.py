"""``bnpl sweep EXP.yaml [--workers N] [--storage URL]``: run or resume a sweep file."""
from __future__ import annotations

import argparse
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("sweep", help="run or resume a sweep (grid or Optuna) of notebook executions",
                       description="Run the sweep in EXP (a YAML sweep file, see docs/sweeps.md): trials are notebook "
                                   "executions in parallel processes, child MLflow runs of one parent run. Running it "
                                   "again skips finished trials and retries failed ones.")
    p.add_argument("exp", type=Path, help="sweep file, e.g. experiments/smoke.yaml")
    p.add_argument("--workers", type=int, default=None, help="trials at once (default: half the CPU cores)")
    p.add_argument("--storage", default=None,
                   help="Optuna storage: a journal file path (default runs/sweeps/<name>-<hash>/optuna.journal) or "
                        "postgresql://user@host/db for workers on several machines")
    p.add_argument("--out-root", type=Path, default=None, help="folder for run outputs (default: runs/)")
    p.set_defaults(func=_sweep)


def _sweep(args: argparse.Namespace) -> int:
    from bnpl.sweep.run import run_sweep
    from bnpl.sweep.spec import load_sweep

    sweep = load_sweep(args.exp)
    r = run_sweep(sweep, workers=args.workers, storage=args.storage, out_root=args.out_root)
    s = r.summary
    print(f"sweep {r.name}: {r.executed} trial(s) run this time ({r.failed} failed), {r.reused} reused; "
          f"{s['complete']}/{s['n_trials']} complete, {s['running']} running elsewhere, {s['pending']} pending")
    if "best_trial" in s:
        print(f"best: trial {s['best_trial']}  {s['objective']} = {s['best_value']:.4f}  params {s['best_params']}")
    print(f"MLflow parent run {r.parent_run_id} (experiment sweep-{r.name});  outputs in {r.folder}")
    return 0 if s["pending"] == 0 else 1
