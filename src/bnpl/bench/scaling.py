"""The scaling benchmark (``make bench``): :mod:`bnpl.bench.steps` on synthetic worlds of several sizes, one
fresh process per size, then per step the log-log slope of seconds and of peak memory against the number
of transactions (least squares over the sizes), written to ``<out>/scaling.json``, ``scaling.md`` and the
log-log plot ``scaling.png``; the markdown table is printed.

    python -m bnpl.bench.scaling --sizes 10000 100000 1000000 --out reports/bench

Targets (issue 12): slope <= 1.15 for every step's seconds, peak memory under 8 GB at 10^6 transactions,
inductive latency per batch flat as the history grows, the GNN aggregation at >= 0.5 of a raw sparse
product's throughput.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from bnpl.bench.steps import STEPS
from bnpl.errors import BnplError
from bnpl.io import atomic_path, check_output, write_json, write_text

SLOPE_TARGET, PEAK_TARGET_MB, LAYER_TARGET = 1.15, 8000.0, 0.5


def run_sizes(sizes: list[int], seed: int = 0, batches: int = 10, log=print) -> list[dict]:
    """One subprocess of :mod:`bnpl.bench.steps` per size, smallest first."""
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in sorted(sizes):
            path = Path(tmp) / f"{n}.json"
            log(f"bench: {n} transactions ...")
            r = subprocess.run([sys.executable, "-W", "ignore", "-m", "bnpl.bench.steps", "--n", str(n),
                                "--seed", str(seed), "--batches", str(batches), "--out", str(path)],
                               capture_output=True, text=True)
            if r.returncode != 0:
                raise BnplError(f"bench: the {n}-transaction run failed: {(r.stderr.strip().splitlines() or ['?'])[-1]}")
            out.append(json.loads(path.read_text()))
    return out


def slope(x: list[float], y: list[float]) -> float | None:
    """Least-squares slope of log(y) on log(x); None with fewer than two sizes or a non-positive value."""
    xs, ys = np.asarray(x, float), np.asarray(y, float)
    ok = np.isfinite(ys)                              # a step a size did not reach (a run cut short)
    xs, ys = xs[ok], ys[ok]
    if len(xs) < 2 or not (ys > 0).all():
        return None
    return float(np.polyfit(np.log(xs), np.log(ys), 1)[0])


def _value(run: dict, step: str, key: str) -> float:
    """``key`` of ``step`` in one size's run; NaN where the run did not reach the step."""
    return float(run["steps"].get(step, {}).get(key, np.nan))


def summarise(runs: list[dict]) -> dict:
    """Slopes per step (seconds and peak MB), the largest peak per size, the layer fractions, verdicts."""
    n = [r["n"] for r in runs]
    slopes = {s: {"seconds": slope(n, [_value(r, s, "seconds") for r in runs]),
                  "peak_mb": slope(n, [_value(r, s, "peak_mb") for r in runs])} for s in STEPS}
    peak = {r["n"]: max(v["peak_mb"] for v in r["steps"].values()) for r in runs}
    scaled = [s for s in STEPS if s != "inductive_batch" and slopes[s]["seconds"] is not None]
    return {"sizes": n, "slopes": slopes, "peak_mb": peak,
            "layer_fraction": {r["n"]: r["layer"]["fraction"] for r in runs if "layer" in r},
            "targets": {"slope_max": SLOPE_TARGET, "peak_mb_at_1e6": PEAK_TARGET_MB, "layer_fraction": LAYER_TARGET,
                        "slopes_met": all((slopes[s]["seconds"] or 0.0) <= SLOPE_TARGET for s in scaled),
                        "complete": all(r.get("complete", True) for r in runs),
                        "peak_met": peak.get(1_000_000, 0.0) < PEAK_TARGET_MB if 1_000_000 in peak else None,
                        "layer_met": min((r["layer"]["fraction"] for r in runs if "layer" in r), default=0.0) >= LAYER_TARGET}}


def table(runs: list[dict], summary: dict) -> str:
    """Markdown: seconds (peak MB) per step and size, the layer fraction, then the slopes."""
    head = "| transactions | " + " | ".join(STEPS) + " | peak MB | GNN layer / spmm | history | batch p95 s | recomputing batch s |"
    lines = [head, "|" + "---|" * (len(STEPS) + 6)]
    for r in runs:
        cells = [f"{r['steps'][s]['seconds']:.3g} s ({r['steps'][s]['peak_mb']:.0f} MB)" if s in r["steps"]
                 else "not reached" for s in STEPS]
        lines.append(f"| {r['n']:,} | " + " | ".join(cells) + f" | {summary['peak_mb'][r['n']]:.0f} | "
                     f"{r['layer']['fraction'] if 'layer' in r else float('nan'):.2f} | {r.get('history', 0):,} | "
                     f"{r.get('batch_p95_s') or float('nan'):.3g} | "
                     f"{'n/a' if r.get('recompute_batch_s') is None else format(r['recompute_batch_s'], '.3g')} |")
    def fmt(v: float | None) -> str:
        return "n/a" if v is None else f"{v:.2f}"

    lines += ["", "| log-log slope | " + " | ".join(STEPS) + " |", "|" + "---|" * (len(STEPS) + 1),
              "| seconds | " + " | ".join(fmt(summary["slopes"][s]["seconds"]) for s in STEPS) + " |",
              "| peak MB | " + " | ".join(fmt(summary["slopes"][s]["peak_mb"]) for s in STEPS) + " |"]
    return "\n".join(lines) + "\n"


def plot(runs: list[dict], path: Path) -> Path:
    """Seconds per step against transactions, log-log, with the slope in each label."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n = [r["n"] for r in runs]
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for s in STEPS:
        y = [_value(r, s, "seconds") for r in runs]
        k = slope(n, y)
        ax.loglog(n, y, "o-", label=f"{s} (slope {k:.2f})" if k is not None else s)
    ax.set_xlabel("transactions")
    ax.set_ylabel("seconds (inductive_batch: median per batch)")
    ax.set_title("fraud pipeline scaling, synthetic world")
    ax.legend(fontsize=8)
    with atomic_path(path, ".png") as tmp:
        fig.savefig(tmp, dpi=110, bbox_inches="tight", format="png")
    plt.close(fig)
    return path


def _read_run(path: str) -> dict:
    try:
        run = json.loads(Path(path).read_text())
    except (OSError, ValueError) as e:
        raise BnplError(f"--runs: {path}: not a readable JSON file ({e.__class__.__name__})") from None
    if not isinstance(run, dict) or not {"n", "steps"} <= set(run):
        raise BnplError(f"--runs: {path}: not a `python -m bnpl.bench.steps` result (needs n and steps)")
    return run


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bnpl.bench.scaling", description=__doc__.splitlines()[0])
    p.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--batches", type=int, default=10, help="inductive batches timed per size")
    p.add_argument("--out", default="reports/bench", help="folder for scaling.json / .md / .png")
    p.add_argument("--runs", nargs="+", default=None,
                   help="summarise these per-size JSONs of `python -m bnpl.bench.steps` (sizes run separately) "
                        "instead of running --sizes")
    a = p.parse_args(argv)
    if any(s < 1000 for s in a.sizes):
        raise BnplError(f"--sizes: every size must be >= 1000 transactions (got {a.sizes})")
    out = check_output(a.out, folder=True)
    if a.runs:
        runs = sorted((_read_run(f) for f in a.runs), key=lambda r: r["n"])
        command = f"python -m bnpl.bench.scaling --runs {' '.join(a.runs)} --out {a.out}"
    else:
        runs = run_sizes(a.sizes, a.seed, a.batches)
        command = f"python -m bnpl.bench.scaling --sizes {' '.join(map(str, a.sizes))} --seed {a.seed} --out {a.out}"
    summary = summarise(runs)
    md = table(runs, summary)
    write_json(out / "scaling.json", {"command": command, "runs": runs, **summary})
    write_text(out / "scaling.md", f"Command: `{command}`\n\n{md}")
    plot(runs, out / "scaling.png")
    print(md)
    print(f"written: {out / 'scaling.json'}, {out / 'scaling.md'}, {out / 'scaling.png'}")
    return 0


if __name__ == "__main__":
    try:
        raise SystemExit(main())
    except BnplError as e:
        print(f"error: {e}", file=sys.stderr)
        raise SystemExit(2) from None
