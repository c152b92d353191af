"""``bnpl report``: executed notebooks under ``runs/`` -> an HTML site under ``reports/``.

For each notebook the latest finished run is copied to ``reports/<notebook>.html``;
``reports/index.html`` lists every stage with its status, parameters, run time and
MLflow run id, plus the recent history of runs.
"""
from __future__ import annotations

import argparse
import html
import json
import shutil
from pathlib import Path

from bnpl.config import REPORTS_DIR, RUNS_DIR, tracking_uri
from bnpl.io import write_text


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


def build_report(runs_dir: Path = RUNS_DIR, reports_dir: Path = REPORTS_DIR, history: int = 10) -> Path:
    runs = collect_runs(runs_dir)
    reports_dir.mkdir(parents=True, exist_ok=True)
    rows, hist = [], []
    for nb, recs in runs.items():
        latest = next((r for r in recs if r["status"] == "FINISHED" and r.get("html")), None)
        if latest is not None:
            shutil.copyfile(latest["dir"] / latest["html"], reports_dir / f"{nb}.html")
            figs = sorted((latest["dir"] / "figures").glob("*.png")) if (latest["dir"] / "figures").exists() else []
            fig_dir = reports_dir / "figures" / nb
            if fig_dir.exists():
                shutil.rmtree(fig_dir)
            fig_dir.mkdir(parents=True)
            for fig in figs:
                shutil.copyfile(fig, fig_dir / fig.name)
            thumbs = "".join(f'<a href="figures/{nb}/{f.name}"><img src="figures/{nb}/{f.name}" title="{html.escape(f.name)}"></a>'
                             for f in figs[:6])
            rows.append(f"<tr><td><a href='{nb}.html'><b>{html.escape(nb)}</b></a></td><td class=ok>FINISHED</td>"
                        f"<td>{latest['finished_at']}</td><td>{latest['seconds']:.0f}s</td>"
                        f"<td><code>{latest['run_id']}</code></td><td class=params>{_params(latest['params'])}</td></tr>"
                        f"<tr><td colspan=6 class=thumbs>{thumbs}</td></tr>")
        else:
            r = recs[0]
            rows.append(f"<tr><td><b>{html.escape(nb)}</b></td><td class=bad>{r['status']}</td><td>{r['finished_at']}</td>"
                        f"<td>{r['seconds']:.0f}s</td><td><code>{r['run_id']}</code></td>"
                        f"<td>{html.escape(str(r.get('error') or ''))[:300]}</td></tr>")
        for r in recs[:history]:
            cls = "ok" if r["status"] == "FINISHED" else "bad"
            hist.append(f"<tr><td>{html.escape(nb)}</td><td class={cls}>{r['status']}</td><td>{r['finished_at']}</td>"
                        f"<td>{r['seconds']:.0f}s</td><td><code>{r['run_id']}</code></td>"
                        f"<td><code>{html.escape(str(r['dir']))}</code></td></tr>")
    body = f"""<!doctype html><html><head><meta charset="utf-8"><title>bnpl research report</title><style>
body{{font-family:system-ui,sans-serif;margin:2em;max-width:1200px}} table{{border-collapse:collapse;width:100%}}
td,th{{border-bottom:1px solid #ddd;padding:4px 8px;text-align:left;vertical-align:top}} .ok{{color:#1a7f37}}
.bad{{color:#c62828}} .params{{font-size:85%}} .thumbs img{{height:120px;margin:2px;border:1px solid #eee}}
</style></head><body><h1>bnpl research report</h1>
<p>Latest finished run of each stage notebook (rendered without code). Every number here is in MLflow:
<code>make mlflow-ui</code> (tracking store <code>{html.escape(tracking_uri())}</code>).</p>
<table><tr><th>notebook</th><th>status</th><th>finished</th><th>time</th><th>MLflow run</th><th>parameters</th></tr>
{''.join(rows) or '<tr><td colspan=6>No runs yet: <code>make run</code></td></tr>'}</table>
<h2>Recent runs</h2><table><tr><th>notebook</th><th>status</th><th>finished</th><th>time</th><th>MLflow run</th><th>run folder</th></tr>
{''.join(hist)}</table></body></html>"""
    return write_text(reports_dir / "index.html", body)


def _params(params: dict) -> str:
    return ", ".join(f"{html.escape(str(k))}={html.escape(str(v))[:60]}" for k, v in params.items())


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("report", help="render the latest runs of every notebook into reports/index.html")
    p.add_argument("--runs-dir", type=Path, default=RUNS_DIR)
    p.add_argument("--out", type=Path, default=REPORTS_DIR)
    p.set_defaults(func=_report)


def _report(args: argparse.Namespace) -> int:
    index = build_report(args.runs_dir, args.out)
    print(f"report: {index}")
    return 0
