"""``bnpl runs clean``: old finished runs and old crashed-run leftovers go (only with --delete); live runs,
recent runs, sweeps, interactive output and any folder the runner did not name are never touched."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import time
from pathlib import Path

from bnpl.cli import main

DAY = 86400


def run_folder(root: Path, name: str, age_days: float, record: dict | None) -> Path:
    d = root / "02_fraud_gnn" / name
    d.mkdir(parents=True)
    (d / "02_fraud_gnn.ipynb").write_text("{}")
    if record is not None:
        (d / "run.json").write_text(json.dumps({"notebook": "02_fraud_gnn", **record}))
    past = time.time() - age_days * DAY
    for p in [*d.rglob("*"), d]:
        os.utime(p, (past, past))
    return d


def test_clean_lists_then_removes_only_old_runs_it_wrote(tmp_path, capsys):
    runs = tmp_path / "runs"
    dead = subprocess.Popen(["true"])
    dead.wait()
    host = socket.gethostname()
    old = run_folder(runs, "20240101-120000-0123abcd", 40, {"status": "FINISHED"})
    old_failed = run_folder(runs, "20240101-120000-0123abcd-1", 40, {"status": "FAILED"})
    crashed = run_folder(runs, "20240102-120000-0123abcd", 40, None)                      # no run.json
    killed = run_folder(runs, "20240103-120000-0123abcd", 40, {"status": "RUNNING", "host": host, "pid": dead.pid})
    keep = [
        run_folder(runs, "20991231-120000-0123abcd", 2, {"status": "FINISHED"}),          # recent
        run_folder(runs, "20240104-120000-0123abcd", 40, {"status": "RUNNING", "host": host, "pid": os.getpid()}),
        run_folder(runs, "20240105-120000-0123abcd", 40, {"status": "RUNNING", "host": "elsewhere", "pid": 1}),
        run_folder(runs, "my-notes", 400, None),                                           # not the runner's name
    ]
    also_old = run_folder(runs, "20240106-120000-0123abcd", 40, {"status": "FINISHED"})
    interactive = runs / "interactive" / "figures"                                           # tracking outside the runner
    interactive.mkdir(parents=True)
    foreign = runs / "02_fraud_gnn" / "20240107-120000-0123abcd"
    foreign.mkdir()
    (foreign / "run.json").write_text('{"mine": true}')                                   # not the runner's run.json
    past = time.time() - 90 * DAY
    os.utime(foreign / "run.json", (past, past))
    sweep = runs / "sweeps" / "smoke-1234"
    sweep.mkdir(parents=True)
    (sweep / "optuna.journal").write_text("x")

    assert main(["runs", "clean", "--runs-dir", str(runs), "--older-than", "30"]) == 0
    out = capsys.readouterr().out
    assert "would remove 5 run folder(s)" in out and "--delete" in out
    assert old.exists()                                                                     # dry run
    assert main(["runs", "clean", "--runs-dir", str(runs), "--older-than", "30", "--delete"]) == 0
    assert "removed 5 run folder(s)" in capsys.readouterr().out
    for gone in (old, old_failed, crashed, killed):
        assert not gone.exists(), gone
    assert not also_old.exists()
    for kept in [*keep, interactive, foreign, sweep / "optuna.journal"]:
        assert kept.exists(), kept


def test_clean_bad_options(tmp_path, capsys):
    assert main(["runs", "clean", "--runs-dir", str(tmp_path / "absent")]) == 2
    assert "no such folder" in capsys.readouterr().err
    assert main(["runs", "clean", "--runs-dir", str(tmp_path), "--older-than", "-1"]) == 2
    assert "'--older-than'" in capsys.readouterr().err
    assert main(["runs", "clean", "--runs-dir", str(tmp_path), "--older-than", "nan"]) == 2
