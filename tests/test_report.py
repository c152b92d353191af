"""The report site: cards, findings, provenance and failures on the index; in headless Chromium every page
loads, no image is broken and every local link resolves."""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import matplotlib.pyplot as plt
import pytest

from bnpl.config import REPORTS_DIR
from bnpl.findings import Card, Findings
from bnpl.report import build_report

from .browser import Chromium, check_site, find_chromium

ODD = "04_q&a's <notes>"       # a notebook file name that needs escaping in HTML and in URLs


def _run(runs: Path, nb: str, stamp: str, status: str = "FINISHED", data_hash: str = "aaaa1111bbbb2222",
         findings: Findings | None = None, figure: bool = False, error: str | None = None) -> Path:
    d = runs / nb / stamp
    d.mkdir(parents=True)
    (d / f"{nb}.html").write_text(f"<html><body><h1>{nb} {stamp}</h1><p>rendered notebook</p></body></html>")
    data = {"input": {"dataset": "synthetic", "path": "data/synthetic/default", "hash": data_hash,
                      "config": {"seed": 0, "n_transactions": 200000}}}
    (d / "run.json").write_text(json.dumps({
        "notebook": nb, "status": status, "run_id": f"run-{nb[:2]}-{stamp}", "seconds": 12.3,
        "finished_at": f"2026-01-0{stamp[-1]} 10:00:00", "params": {"models": ["lgbm_tabular", "lgbm_graph", "sage"],
                                                                    "seeds": [0, 1, 2], "note": "x" * 120},
        "executed": f"{nb}.ipynb", "html": f"{nb}.html", "error": error, "git_commit": "0123456789abcdef-dirty",
        "experiment_id": "7", "data": data}))
    if findings is not None:
        (d / "findings.json").write_text(json.dumps(findings.to_dict()))
    if figure:
        (d / "figures").mkdir()
        fig, ax = plt.subplots(figsize=(2, 1.5))
        ax.plot([0, 1], [0, 1])
        fig.savefig(d / "figures" / "curve one.png")
        plt.close(fig)
    return d


@pytest.fixture
def site(tmp_path) -> Path:
    runs = tmp_path / "runs"
    f = Findings("fraud", "lgbm_graph beats the lgbm_tabular baseline by +0.500.", ["b"],
                 [Card("best model", "lgbm_graph", "AUPRC 0.81"), Card("vs lgbm_tabular", "+0.500")],
                 {"best_auprc": ("best AUPRC", 0.81)}, ["Changed settings: `seed` `0` → `1`."])
    _run(runs, "02_fraud_gnn", "r1", findings=f, figure=True)
    _run(runs, "03_recsys_ablation", "r1", data_hash="cccc3333dddd4444")
    _run(runs, ODD, "r1", findings=f)
    _run(runs, ODD, "r2", status="FAILED", error="ValueError: boom <b>")
    build_report(runs, tmp_path / "site")
    return tmp_path / "site"


def test_index_has_cards_findings_provenance_and_failures(site):
    index = (site / "index.html").read_text()
    assert "<div class=value>lgbm_graph</div>" in index and "lgbm_graph beats the lgbm_tabular baseline" in index
    assert "<code>0123456789ab</code> <span class=bad>with uncommitted changes</span>" in index and "synthetic data/synthetic/default (seed 0, 200,000 transactions) #aaaa1111" in index
    assert "http://127.0.0.1:5000/#/experiments/7/runs/run-02-r1" in index
    assert "x" * 120 in index                                  # parameters are never cut
    assert "read different data" in index and "#cccc3333" in index
    # the odd notebook: its latest run failed, its error shows beside the earlier finished run
    assert "Latest run FAILED" in index and "ValueError: boom &lt;b&gt;" in index
    assert "04_q&amp;a&#x27;s &lt;notes&gt;" in index and "<notes>" not in index
    assert "href='04_q%26a%27s%20%3Cnotes%3E.html'" in index
    assert (site / f"{ODD}.html").exists() and (site / f"{ODD}.failed.html").exists()
    assert (site / "figures" / "02_fraud_gnn" / "curve one.png").exists()


def test_no_warning_when_all_stages_read_the_same_data(tmp_path):
    runs = tmp_path / "runs"
    _run(runs, "02_fraud_gnn", "r1")
    _run(runs, "03_recsys_ablation", "r1")
    assert "read different data" not in build_report(runs, tmp_path / "site").read_text()


@pytest.fixture(scope="module")
def browser():
    exe = find_chromium()
    if exe is None:
        pytest.skip("headless Chromium not available: no chromium binary and it cannot be installed here "
                    "(apt-get install -y chromium needs root and the Debian mirror)")
    b = Chromium(exe)
    yield b
    b.close()


def _screens(browser, pages: dict[str, str], out: Path, end: tuple[str, ...] = ()) -> None:
    """Screenshots into ``out`` (of the page's end for the names in ``end``: where a stage's findings
    are) and, when ``$BNPL_SCREENSHOTS`` names a folder, a copy there."""
    extra = os.environ.get("BNPL_SCREENSHOTS")
    for name, url in pages.items():
        browser.visit(url)
        shot = browser.screenshot(out / f"{name}.png", max_height=3000 if name in end else 5000, end=name in end)
        assert shot.stat().st_size > 1000
        if extra:
            Path(extra).mkdir(parents=True, exist_ok=True)
            shutil.copyfile(shot, Path(extra) / shot.name)


def test_site_in_headless_chromium(site, browser, tmp_path):
    problems = check_site(browser, site / "index.html")
    assert len(problems["visited"]) == 5                           # index + 3 stage pages + 1 failed page
    assert problems["unloaded"] == [] and problems["broken_images"] == [] and problems["dead_links"] == []
    _screens(browser, {"synthetic-index": (site / "index.html").as_uri()}, tmp_path)


def test_a_dead_link_and_a_broken_image_are_caught(site, browser):
    (site / "figures" / "02_fraud_gnn" / "curve one.png").write_bytes(b"not a png")
    (site / "03_recsys_ablation.html").unlink()
    problems = check_site(browser, site / "index.html")
    assert any("curve%20one.png" in p for p in problems["broken_images"])
    assert any(p.endswith("03_recsys_ablation.html") for p in problems["dead_links"])


def test_the_real_report_in_headless_chromium(browser, tmp_path):
    index = REPORTS_DIR / "index.html"
    if not index.exists():
        pytest.skip(f"no {index}: run `make run` (or `bnpl report`) first")
    problems = check_site(browser, index)
    assert problems["unloaded"] == [] and problems["broken_images"] == [] and problems["dead_links"] == []
    stages = sorted(u for u in problems["visited"] if not u.endswith("index.html") and ".failed." not in u)
    _screens(browser, {"index": index.as_uri(), **({"stage-end": stages[-1]} if stages else {})}, tmp_path,
             end=("stage-end",))


def _bench_runs(folder: Path) -> list[str]:
    """Two sizes' results of `python -m bnpl.bench.steps`, made up (the benchmark itself is in test_bench)."""
    from bnpl.bench.steps import STEPS

    paths = []
    for n, secs in ((1000, 0.5), (10000, 5.0)):
        steps = {s: {"seconds": secs, "start_mb": 500.0, "peak_mb": 600.0 + n / 10} for s in STEPS}
        path = folder / f"{n}.json"
        path.write_text(json.dumps({"n": n, "steps": steps, "layer": {"fraction": 0.61 if n == 1000 else 0.42},
                                    "history": 9 * n // 10, "batch_p95_s": 0.0123}))
        paths.append(str(path))
    return paths


def test_scaling_benchmark_section_when_make_bench_wrote_its_json(tmp_path):
    from bnpl.bench.scaling import main as bench_summary

    runs, site = tmp_path / "runs", tmp_path / "site"
    _run(runs, "02_fraud_gnn", "r1")
    assert "Scaling benchmark" not in build_report(runs, site).read_text()      # no bench/scaling.json yet
    assert bench_summary(["--runs", *_bench_runs(tmp_path), "--out", str(site / "bench")]) == 0
    index = build_report(runs, site).read_text()
    section = index[index.index("<h2>Scaling benchmark</h2>"):]
    assert "<th>10,000</th>" in section and "<th>1,000</th>" in section
    assert "5 s<br><span class=muted>1,600 MB</span>" in section           # seconds and peak of a step
    assert "<td>0.42</td>" in section and "<td>9,000</td>" in section and "0.0123 s" in section
    assert "<th>slope of seconds</th><td>1.00</td>" in section
    assert "<img class=plot src='bench/scaling.png'" in section
    assert all(f"href='bench/{f}'" in section for f in ("scaling.md", "scaling.json", "scaling.png"))
    assert "GNN layer at &ge; 0.5 of a raw sparse product: <span class=bad>missed</span>" in section
    (site / "bench" / "scaling.json").write_text("{not json")
    assert "is not a <code>make bench</code> result (JSONDecodeError)" in build_report(runs, site).read_text()


def test_scaling_benchmark_section_in_headless_chromium(tmp_path, browser):
    from bnpl.bench.scaling import main as bench_summary

    runs, site = tmp_path / "runs", tmp_path / "site"
    _run(runs, "02_fraud_gnn", "r1")
    bench_summary(["--runs", *_bench_runs(tmp_path), "--out", str(site / "bench")])
    problems = check_site(browser, build_report(runs, site))
    assert problems["unloaded"] == [] and problems["broken_images"] == [] and problems["dead_links"] == []
