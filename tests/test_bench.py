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


def test_sizes_run_separately_are_summarised_from_their_json(tmp_path, capsys):
    from bnpl.bench.scaling import main

    runs = []
    for n, secs in ((1000, 1.0), (10000, 10.0)):
        steps = {s: {"seconds": secs * (2 if s == "features" else 1), "start_mb": 500.0, "peak_mb": 600.0 + n / 100}
                 for s in STEPS}
        path = tmp_path / f"{n}.json"
        path.write_text(json.dumps({"n": n, "steps": steps, "layer": {"fraction": 0.6}, "history": n,
                                    "batch_p95_s": 0.01}))
        runs.append(str(path))
    assert main(["--runs", *runs, "--out", str(tmp_path / "out")]) == 0
    res = json.loads((tmp_path / "out" / "scaling.json").read_text())
    assert res["slopes"]["features"]["seconds"] == pytest.approx(1.0) and res["targets"]["slopes_met"]
    assert "| 10,000 |" in capsys.readouterr().out
    bad = tmp_path / "bad.json"
    bad.write_text("{}")
    with pytest.raises(Exception, match="bad.json"):
        main(["--runs", str(bad), "--out", str(tmp_path / "out")])


def test_interleaved_medians_time_each_function_in_turns():
    import time

    from bnpl.bench.steps import interleaved_medians

    calls = {"fast": 0, "slow": 0}

    def fn(name, seconds):
        def run():
            calls[name] += 1
            time.sleep(seconds)
        return run

    med = interleaved_medians({"fast": fn("fast", 0.001), "slow": fn("slow", 0.004)}, min_repeats=7, min_seconds=0.0)
    assert calls == {"fast": 8, "slow": 8}                   # one warm-up call, then 7 rounds
    assert 0.001 <= med["fast"] < med["slow"] and med["slow"] >= 0.004
