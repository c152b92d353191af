"""The "Scaling benchmark" section of the report site: when ``make bench`` has written
``<reports>/bench/scaling.json`` (with ``scaling.md`` and ``scaling.png`` beside it, see
:mod:`bnpl.bench.scaling`), the index shows its table (seconds and peak memory per step and size, the GNN
layer's fraction of a raw sparse product, inductive latency per batch), the log-log slopes, the targets
met or missed, the plot, and links to the files. Without the JSON the section is left out.
"""
from __future__ import annotations

import json
from html import escape
from pathlib import Path

BENCH_DIR = "bench"        # under the reports folder, where `make bench` writes by default (BENCH_OUT)


def _esc(x) -> str:
    return escape(str(x), quote=True)


def _num(v, fmt: str, unit: str = "") -> str:
    return "n/a" if v is None else f"{format(v, fmt)}{unit}"


def _verdict(met) -> str:
    return "<span class=muted>not measured</span>" if met is None else ("<span class=ok>met</span>" if met
                                                                        else "<span class=bad>missed</span>")


def bench_section(reports_dir: Path) -> str:
    """HTML of the section (empty when there is no ``bench/scaling.json``; a one-line note when it is not
    a scaling result)."""
    folder = reports_dir / BENCH_DIR
    path = folder / "scaling.json"
    if not path.exists():
        return ""
    try:
        res = json.loads(path.read_text())
        runs, slopes, targets = res["runs"], res["slopes"], res["targets"]
        steps_order = list(slopes)          # the benchmark's steps, in order (bnpl.bench.steps.STEPS)
    except (OSError, ValueError, KeyError, TypeError) as e:
        return (f"<section><h2>Scaling benchmark</h2><p class=bad>{_esc(BENCH_DIR)}/scaling.json is not a "
                f"<code>make bench</code> result ({_esc(e.__class__.__name__)}): rerun <code>make bench</code>.</p></section>")
    head = "".join(f"<th>{_esc(s)}</th>" for s in steps_order)
    rows = []
    for r in runs:
        steps = r.get("steps", {})
        cells = "".join(f"<td>{_num(steps[s]['seconds'], '.3g', ' s')}<br><span class=muted>"
                        f"{_num(steps[s]['peak_mb'], ',.0f', ' MB')}</span></td>" if s in steps else "<td>not reached</td>"
                        for s in steps_order)
        layer = r.get("layer", {}).get("fraction")
        rows.append(f"<tr><th>{r['n']:,}</th>{cells}<td>{_num(layer, '.2f')}</td><td>{r.get('history', 0):,}</td>"
                    f"<td>{_num(r.get('batch_p95_s'), '.3g', ' s')}</td></tr>")
    slope_rows = "".join(
        f"<tr><th>{label}</th>" + "".join(f"<td>{_num(slopes.get(s, {}).get(key), '.2f')}</td>" for s in steps_order)
        + "<td></td><td></td><td></td></tr>" for label, key in (("slope of seconds", "seconds"), ("slope of peak MB", "peak_mb")))
    goals = (f"<ul><li>log-log slope of seconds &le; {targets.get('slope_max')} for every step: "
             f"{_verdict(targets.get('slopes_met'))}</li>"
             f"<li>peak memory at 10<sup>6</sup> transactions under {_num(targets.get('peak_mb_at_1e6'), ',.0f', ' MB')}: "
             f"{_verdict(targets.get('peak_met'))}</li>"
             f"<li>GNN layer at &ge; {targets.get('layer_fraction')} of a raw sparse product: "
             f"{_verdict(targets.get('layer_met'))}</li></ul>")
    files = [f for f in ("scaling.md", "scaling.json", "scaling.png") if (folder / f).exists()]
    links = ", ".join(f"<a href='{BENCH_DIR}/{f}'>{f}</a>" for f in files)
    plot = (f"<p><a href='{BENCH_DIR}/scaling.png'><img class=plot src='{BENCH_DIR}/scaling.png' "
            f"alt='log-log seconds per step'></a></p>" if "scaling.png" in files else "")
    return (f"<section><h2>Scaling benchmark</h2><p>The fraud pipeline on synthetic worlds of growing size, one "
            f"process per size: seconds (peak resident memory) per step; <code>inductive_batch</code> is the "
            f"median seconds per batch, its 95th percentile beside it. Command: <code>{_esc(res.get('command', '?'))}</code>."
            f"</p><table><tr><th>transactions</th>{head}<th>GNN layer / spmm</th><th>history</th><th>batch p95</th></tr>"
            f"{''.join(rows)}{slope_rows}</table>{goals}{plot}<p>Files: {links}</p></section>")
