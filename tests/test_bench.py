"""make bench at tiny sizes: one process per size, the table, plot and JSON, slopes computed."""
import json
import subprocess

import pytest

from bnpl.bench.scaling import slope, summarise
from bnpl.bench.steps import STEPS


def test_slope_of_a_power_law():
    assert slope([10, 100, 1000], [3, 300, 30000]) == pytest.approx(2.0)
    assert slope([10], [1]) is None and slope([10, 100], [0, 1]) is None


def test_make_bench_at_tiny_sizes(tmp_path):
    out = tmp_path / "bench"
    r = subprocess.run(["make", "-s", "bench", "SIZES=2000 4000", f"BENCH_OUT={out}"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-2000:]
    assert "| transactions |" in r.stdout and "log-log slope" in r.stdout
    res = json.loads(open(out / "scaling.json").read())
    assert res["sizes"] == [2000, 4000] and set(res["slopes"]) == set(STEPS)
    assert all(isinstance(res["slopes"][s]["seconds"], float) for s in STEPS)
    for run in res["runs"]:
        assert run["batches"] >= 1 and 0 < run["layer"]["fraction"]
        assert all(v["peak_mb"] >= v["start_mb"] > 0 for v in run["steps"].values())
    assert summarise(res["runs"])["slopes"] == res["slopes"]
    assert (out / "scaling.md").read_text().count("| 2,000 |") == 1 and (out / "scaling.png").stat().st_size > 1000
