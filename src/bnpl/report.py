"""``bnpl report``: executed notebooks under ``runs/`` -> an HTML site under ``reports/``.

``reports/index.html`` has one section per stage notebook: the headline numbers of its latest
finished run as cards and the findings sentence the notebook generated (``findings.json``), when
it ran, the git commit, the data it read (``run.json``'s ``data``, see :mod:`bnpl.provenance`), its
parameters in full, and links to its MLflow run and to its full page (``reports/<notebook>.html``,
rendered without code). A stage whose latest run failed shows that run's error, even when an
earlier run succeeded. A warning tops the page when the stages' latest runs read different data.
When ``make bench`` has written ``reports/bench/scaling.json``, a "Scaling benchmark" section follows
(:mod:`bnpl.report_bench`).
``bnpl report benchmarks`` writes the benchmark tables (:mod:`bnpl.benchmark_tables`).
"""
from __future__ import annotations

import argparse
import html
import json
import os
import shutil
from pathlib import Path
from urllib.parse import quote

from bnpl.config import REPORTS_DIR, RUNS_DIR, tracking_uri
from bnpl.findings import FINDINGS_FILE, Findings
from bnpl.io import write_text
from bnpl.provenance import data_label
from bnpl.report_bench import bench_section

MLFLOW_UI_ENV = "BNPL_MLFLOW_UI"


def esc(x) -> str:
    return html.escape(str(x), quote=True)


def href(name: str) -> str:
    """A relative link to a file name, escaped for a URL and an HTML attribute."""
    return esc(quote(name))


def collect_runs(runs_dir: Path = RUNS_DIR) -> dict[str, list[dict]]:
    """``{notebook: [run records, newest first]}`` from the ``run.json`` files the runner writes."""
    out: dict[str, list[dict]] = {}
    for f in sorted(runs_dir.glob("*/*/run.json")):
        try:
            rec = json.loads(f.read_text())
        except (OSError, json.JSONDecodeError):
            continue
        rec["dir"] = f.parent
        out.setdefault(rec["notebook"], []).append(rec)
    for recs in out.values():
        recs.sort(key=lambda r: (r.get("finished_at", ""), r["dir"].name), reverse=True)
    return dict(sorted(out.items()))


def read_findings(run_dir: Path) -> Findings | None:
    try:
        return Findings.from_dict(json.loads((run_dir / FINDINGS_FILE).read_text()))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def data_read(rec: dict) -> dict | None:
    """The data a run read (``input``), or for the data-preparation stage the world it wrote."""
    data = rec.get("data") or {}
    return data.get("input") or data.get("output")


def mlflow_link(rec: dict) -> str | None:
    base = os.environ.get(MLFLOW_UI_ENV, "http://127.0.0.1:5000").rstrip("/")
    if not rec.get("experiment_id"):
        return None
    return f"{base}/#/experiments/{rec['experiment_id']}/runs/{rec['run_id']}"


def data_warning(latest: dict[str, dict]) -> str:
    """A warning box when the latest finished runs of the stages read different data."""
    seen = {nb: d for nb, r in latest.items() if (d := data_read(r))}
    if len({d["hash"] for d in seen.values()}) <= 1:
        return ""
    items = "".join(f"<li><b>{esc(nb)}</b>: {esc(data_label(d))}</li>" for nb, d in seen.items())
    return (f"<div class='warn'><b>The latest runs of these stages read different data</b>, so their numbers "
            f"do not describe the same world; rerun the stages on one dataset (<code>make run</code>).<ul>{items}</ul></div>")


def _cards(f: Findings | None) -> str:
    if f is None:
        return "<p class=muted>This run recorded no findings (a notebook without a findings cell, or an older run).</p>"
    cards = "".join(f"<div class=card><div class=label>{esc(c.label)}</div><div class=value>{esc(c.value)}</div>"
                    f"<div class=detail>{esc(c.detail)}</div></div>" for c in f.cards)
    changes = "".join(f"<li>{esc(c)}</li>" for c in f.changes)
    return (f"<div class=cards>{cards}</div><p class=headline>{esc(f.headline)}</p>"
            + (f"<details><summary>since the previous run</summary><ul>{changes}</ul></details>" if changes else ""))


def _params(params: dict) -> str:
    rows = "".join(f"<tr><th>{esc(k)}</th><td><code>{esc(json.dumps(v) if not isinstance(v, str) else v)}</code></td></tr>"
                   for k, v in params.items())
    return f"<details><summary>parameters ({len(params)})</summary><table class=params>{rows}</table></details>"


def _meta(rec: dict, page: str | None) -> str:
    data = data_read(rec)
    link = mlflow_link(rec)
    items = [("finished", rec.get("finished_at", "?")), ("run time", f"{rec.get('seconds', 0):.0f} s"),
             ("git commit", _commit(rec.get("git_commit"))),
             ("data", esc(data_label(data)) if data else "<span class=muted>not recorded</span>"),
             ("MLflow run", f"<a href='{esc(link)}'>{esc(rec['run_id'])}</a>" if link else f"<code>{esc(rec['run_id'])}</code>")]
    if page:
        items.append(("full page", f"<a href='{href(page)}'>{esc(page)}</a>"))
    out = "".join(f"<tr><th>{k}</th><td>{v if k in ('git commit', 'data', 'MLflow run', 'full page') else esc(v)}</td></tr>"
                  for k, v in items)
    return f"<table class=meta>{out}</table>"


def _commit(commit: str | None) -> str:
    if not commit:
        return "<span class=muted>unknown</span>"
    sha, dirty = commit.removesuffix("-dirty"), commit.endswith("-dirty")
    return f"<code>{esc(sha[:12])}</code>" + (" <span class=bad>with uncommitted changes</span>" if dirty else "")


def _copy_page(rec: dict, reports_dir: Path, name: str) -> str | None:
    if not rec.get("html") or not (rec["dir"] / rec["html"]).exists():
        return None
    shutil.copyfile(rec["dir"] / rec["html"], reports_dir / name)
    return name


def _figures(rec: dict, reports_dir: Path, nb: str) -> str:
    src = rec["dir"] / "figures"
    fig_dir = reports_dir / "figures" / nb
    if fig_dir.exists():
        shutil.rmtree(fig_dir)
    figs = sorted(src.glob("*.png")) if src.exists() else []
    if not figs:
        return ""
    fig_dir.mkdir(parents=True)
    for f in figs:
        shutil.copyfile(f, fig_dir / f.name)
    return "<div class=thumbs>" + "".join(
        f"<a href='figures/{href(nb)}/{href(f.name)}'><img src='figures/{href(nb)}/{href(f.name)}' alt='{esc(f.stem)}' "
        f"title='{esc(f.stem)}'></a>" for f in figs[:8]) + "</div>"


def _stage(nb: str, recs: list[dict], reports_dir: Path) -> tuple[str, dict | None]:
    latest = next((r for r in recs if r["status"] == "FINISHED"), None)
    parts = [f"<section><h2>{esc(nb)}</h2>"]
    if recs[0]["status"] != "FINISHED":
        failed = recs[0]
        page = _copy_page(failed, reports_dir, f"{nb}.failed.html")
        parts.append(f"<div class=fail><b>Latest run {esc(failed['status'])}</b> at {esc(failed.get('finished_at', '?'))}: "
                     f"<code>{esc(failed.get('error') or 'no error recorded')}</code>"
                     + (f" (<a href='{href(page)}'>the failed notebook</a>)" if page else "")
                     + ("<br>Below: the latest run that finished." if latest else "") + "</div>")
    if latest is not None:
        page = _copy_page(latest, reports_dir, f"{nb}.html")
        parts += [_cards(read_findings(latest["dir"])), _meta(latest, page), _params(latest.get("params", {})),
                  _figures(latest, reports_dir, nb)]
    parts.append("</section>")
    return "".join(parts), latest


def build_report(runs_dir: Path = RUNS_DIR, reports_dir: Path = REPORTS_DIR, history: int = 10) -> Path:
    """Write ``reports_dir/index.html`` and the stage pages; returns the index path."""
    runs = collect_runs(runs_dir)
    reports_dir.mkdir(parents=True, exist_ok=True)
    sections, latest, hist = [], {}, []
    for nb, recs in runs.items():
        section, last = _stage(nb, recs, reports_dir)
        sections.append(section)
        if last is not None:
            latest[nb] = last
        for r in recs[:history]:
            cls = "ok" if r["status"] == "FINISHED" else "bad"
            hist.append(f"<tr><td>{esc(nb)}</td><td class={cls}>{esc(r['status'])}</td><td>{esc(r.get('finished_at', ''))}</td>"
                        f"<td>{r.get('seconds', 0):.0f} s</td><td><code>{esc(r['run_id'])}</code></td>"
                        f"<td>{esc(r.get('error') or '')[:200]}</td></tr>")
    body = f"""<!doctype html><html lang=en><head><meta charset="utf-8"><title>bnpl research report</title><style>
body{{font-family:system-ui,sans-serif;margin:2em auto;max-width:1100px;padding:0 1em;color:#222}}
table{{border-collapse:collapse}} td,th{{border-bottom:1px solid #e5e5e5;padding:3px 8px;text-align:left;vertical-align:top}}
section{{border-top:2px solid #ddd;margin-top:1.5em}} .cards{{display:flex;flex-wrap:wrap;gap:10px;margin:10px 0}}
.card{{border:1px solid #ddd;border-radius:8px;padding:8px 12px;min-width:150px;background:#fafafa}}
.card .label{{font-size:80%;color:#666}} .card .value{{font-size:150%;font-weight:600}} .card .detail{{font-size:75%;color:#666}}
.headline{{font-size:110%}} .meta th,.params th{{color:#555;font-weight:500;white-space:nowrap}}
.params code{{white-space:pre-wrap;word-break:break-word}} .ok{{color:#1a7f37}} .bad{{color:#c62828}} .muted{{color:#888}}
.warn{{background:#fff4e5;border:1px solid #f0b429;padding:8px 12px;border-radius:6px}}
.fail{{background:#fdecea;border:1px solid #c62828;padding:8px 12px;border-radius:6px;margin:8px 0}}
.thumbs img{{height:120px;margin:2px;border:1px solid #eee}} .plot{{max-width:100%}}
</style></head><body><h1>bnpl research report</h1>
<p>The latest run of each stage notebook: what it found, on which data, with which settings. Every number is in
MLflow (<code>make mlflow-ui</code>, tracking store <code>{esc(tracking_uri())}</code>); each stage's full page is its
executed notebook rendered without code.</p>
{data_warning(latest)}
{''.join(sections) or '<p>No runs yet: <code>make run</code></p>'}
{bench_section(reports_dir)}
<h2>Recent runs</h2><table><tr><th>notebook</th><th>status</th><th>finished</th><th>time</th><th>MLflow run</th><th>error</th></tr>
{''.join(hist)}</table></body></html>"""
    return write_text(reports_dir / "index.html", body)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("report", help="render the latest runs of every notebook into reports/index.html",
                       description="Render the latest runs of every stage notebook into an HTML site; "
                                   "'bnpl report benchmarks' writes the benchmark tables instead.")
    p.add_argument("--runs-dir", type=Path, default=RUNS_DIR, help="folder of run outputs")
    p.add_argument("--out", type=Path, default=REPORTS_DIR, help="folder of the site")
    p.set_defaults(func=_report)
    what = p.add_subparsers(dest="what", metavar="{benchmarks}")
    from bnpl.benchmark_tables import register as register_tables

    register_tables(what)


def _report(args: argparse.Namespace) -> int:
    from bnpl import stale_runs, store

    killed = stale_runs.reap(store.client(), args.runs_dir)  # runs whose process is gone show as KILLED
    if killed:
        print(f"marked {len(killed)} run(s) KILLED: their bnpl run process is gone")
    index = build_report(args.runs_dir, args.out)
    print(f"report: {index}")
    return 0
