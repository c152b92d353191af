"""Sweeps on a real PostgreSQL: two worker processes share one Optuna study; an MLflow server on PostgreSQL.

Both start a throwaway PostgreSQL (``tests/postgres_fixture.py``) and skip with the reason when none can be
installed or started.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections import Counter

import pytest
from mlflow.tracking import MlflowClient

from bnpl.config import REPO_ROOT
from bnpl.sweep.spec import load_sweep
from bnpl.sweep.study import make_storage, open_study, trial_rows
from tests.postgres_fixture import create_database, free_port, postgres_url  # noqa: F401 — fixture
from tests.test_sweep import demo_notebook, write_sweep

pytestmark = pytest.mark.slow


def _two_workers(tmp_path, path, storage: str | None, env: dict) -> None:
    cmd = [sys.executable, "-m", "bnpl.cli", "sweep", str(path), "--workers", "1", "--out-root", str(tmp_path / "runs")]
    if storage:
        cmd += ["--storage", storage]
    procs = []
    for _ in range(2):  # the second a few seconds later: MLflow's SQLite store can race in its schema check
        procs.append(subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True))
        time.sleep(3)
    outs = [p.communicate(timeout=400)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], "\n".join(outs)


def test_two_workers_on_one_postgres_study_lose_and_duplicate_nothing(tmp_path, postgres_url):  # noqa: F811
    demo_notebook(tmp_path)
    space = {"x": {"type": "int", "low": 0, "high": 3}, "lr": {"type": "float", "low": 0.01, "high": 1.0}}
    path = write_sweep(tmp_path, {"search": {"sampler": "random", "seed": 0, "n_trials": 4, "space": space}})
    storage = create_database(postgres_url, "optuna_two_workers")
    MlflowClient(os.environ["MLFLOW_TRACKING_URI"]).search_experiments()  # create the SQLite tracking store first: two processes racing to migrate it fail
    _two_workers(tmp_path, path, storage, dict(os.environ))
    study, _ = open_study(load_sweep(path), make_storage(storage))
    rows = trial_rows(study)
    assert [r["state"] for r in rows] == ["COMPLETE"] * 4  # none lost, none left RUNNING, none beyond the budget
    assert len({r["number"] for r in rows}) == 4 and len({r["param_hash"] for r in rows}) == 4  # none duplicated
    runs = {r["mlflow_run_id"] for r in rows}
    client = MlflowClient(os.environ["MLFLOW_TRACKING_URI"])
    parent = study.user_attrs["mlflow_parent_run_id"]
    kids = client.search_runs([client.get_run(parent).info.experiment_id], f"tags.mlflow.parentRunId = '{parent}'")
    assert {k.info.run_id for k in kids} == runs and len(kids) == 4  # one child run per trial, all under one parent
    owners = Counter(t.user_attrs["owner"] for t in study.get_trials() if "skipped" not in t.user_attrs)
    assert len(owners) == 2, owners  # both processes ran trials


def test_mlflow_server_on_postgres_receives_runs_from_two_workers(tmp_path, postgres_url):  # noqa: F811
    backend = create_database(postgres_url, "mlflow_server")
    port = free_port()
    server = subprocess.Popen(["make", "-o", ".venv/.bnpl-setup", "mlflow-server", f"MLFLOW_BACKEND={backend}",
                               f"PORT={port}", f"MLFLOW_ARTIFACTS={tmp_path / 'artifacts'}"], cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True, start_new_session=True)
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2)
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"mlflow server did not come up: {server.stdout.read()[-2000:]}")
                time.sleep(1)
        demo_notebook(tmp_path)
        path = write_sweep(tmp_path, {"grid": {"x": [1, 2]}})
        uri = f"http://127.0.0.1:{port}"
        _two_workers(tmp_path, path, None, {**os.environ, "MLFLOW_TRACKING_URI": uri})
        client = MlflowClient(uri)
        exp = client.get_experiment_by_name("sweep-demo")
        runs = client.search_runs([exp.experiment_id])
        kids = [r for r in runs if "mlflow.parentRunId" in r.data.tags]
        assert len(runs) == 3 and len(kids) == 2
        assert {r.info.status for r in runs} == {"FINISHED"}
        assert len({k.data.tags["mlflow.parentRunId"] for k in kids}) == 1
        assert "demo.ipynb" in {a.path for a in client.list_artifacts(kids[0].info.run_id)}  # artifacts via the server
        assert list((tmp_path / "artifacts").rglob("demo.ipynb"))  # ... stored in the server's artifact folder
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
