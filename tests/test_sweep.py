"""Sweeps: sweep files, grid and Optuna trials in parallel processes, MLflow parent/child runs, resume."""
from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from mlflow.tracking import MlflowClient

from bnpl.cli import main
from bnpl.config import tracking_uri
from bnpl.errors import BnplError
from bnpl.sweep.run import run_sweep
from bnpl.sweep.spec import is_validation_metric, load_sweep
from bnpl.sweep.study import make_storage, open_study, study_name, trial_rows
from tests.test_runner import make_notebook

# val_score peaks at x = 2; fails for x == 3 while the file named by fail_flag exists (so a retry can succeed);
# x == 4 kills its own trial process (a killed worker); x == 5 waits while that file exists (to be interrupted).
BODY = """
import os, signal, time
from pathlib import Path
from bnpl import tracking
if x == 3 and fail_flag and Path(fail_flag).exists():
    raise ValueError("x=3 fails on purpose")
if x == 4:
    os.kill(os.getppid(), signal.SIGKILL)
while x == 5 and fail_flag and Path(fail_flag).exists():
    time.sleep(0.2)
tracking.log_metrics({"val_score": -(x - 2) ** 2 + lr, "test_score": 10 * x + lr})
"""


def demo_notebook(tmp_path: Path) -> Path:
    return make_notebook(tmp_path / "demo.ipynb", BODY, params="x = 0\nlr = 0.1\nfail_flag = ''\n")


def write_sweep(tmp_path: Path, body: dict, name: str = "demo") -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump({"notebook": str(tmp_path / "demo.ipynb"),
                                    "objective": {"metric": "val_score", "direction": "maximize"}, **body}))
    return path


def children(parent: str) -> list:
    c = MlflowClient(tracking_uri())
    exp = c.get_run(parent).info.experiment_id
    return c.search_runs([exp], f"tags.mlflow.parentRunId = '{parent}'")


@pytest.mark.parametrize("name, ok", [("best.val_auprc", True), ("val/ndcg", True), ("validation_loss", True),
                                      ("sage.val_auprc", True), ("best.auprc", False), ("test_val_auprc", False),
                                      ("interval", False), ("value", False), ("full_ndcg", False)])
def test_validation_metric_names(name, ok):
    assert is_validation_metric(name) is ok


def test_bad_sweep_files_fail_in_one_line_naming_the_key(tmp_path):
    demo_notebook(tmp_path)
    grid = {"grid": {"x": [1, 2]}}
    cases = [
        ({**grid, "objective": {"metric": "test_score"}}, "objective.metric: 'test_score' is not a validation metric"),
        ({**grid, "objectiv": {"metric": "val_score"}}, "objectiv: unknown key"),
        ({"search": {"n_trials": 0, "space": {"x": {"type": "int", "low": 0, "high": 4}}}}, "search.n_trials"),
        ({"search": {"n_trials": 2, "space": {"x": {"type": "int", "low": 5, "high": 4}}}}, "search.space.x"),
        ({"search": {"n_trials": 2, "sampler": "cma", "space": {"x": {"type": "int", "low": 0, "high": 4}}}},
         "search.sampler"),
        ({**grid, "search": {"n_trials": 2, "space": {"lr": {"type": "float", "low": 0, "high": 1}}}},
         "exactly one of 'grid' and 'search'"),
        ({**grid, "fixed": {"x": 1}}, "parameter 'x' is both fixed and varied"),
    ]
    for body, message in cases:
        path = write_sweep(tmp_path, body)
        with pytest.raises(BnplError) as info:
            load_sweep(path)
        assert message in str(info.value) and "\n" not in str(info.value), str(info.value)
    # parameters are checked against the notebook before anything runs
    bad = load_sweep(write_sweep(tmp_path, {"grid": {"xx": [1, 2]}}))
    with pytest.raises(BnplError, match="unknown parameter 'xx'"):
        run_sweep(bad, workers=1, out_root=tmp_path / "runs", progress=False)
    assert not (tmp_path / "runs").exists()
    path = write_sweep(tmp_path, {**grid, "objective": {"metric": "test_score"}})
    assert main(["sweep", str(path)]) == 2


def test_grid_sweep_runs_in_parallel_records_best_and_resumes(tmp_path):
    demo_notebook(tmp_path)
    flag = tmp_path / "fail.flag"
    flag.write_text("")
    sweep = load_sweep(write_sweep(tmp_path, {"fixed": {"lr": 0.5, "fail_flag": str(flag)}, "grid": {"x": [1, 2, 3]}}))
    r = run_sweep(sweep, workers=2, out_root=tmp_path / "runs", progress=False)
    assert (r.executed, r.failed) == (3, 1)  # the failing trial did not stop the others
    s = r.summary
    assert s["complete"] == 2 and s["pending"] == 1 and s["best_params"] == {"x": 2}
    client = MlflowClient(tracking_uri())
    parent = client.get_run(r.parent_run_id)
    assert parent.info.status == "FAILED" and parent.data.tags["sweep.pending"] == "1"
    assert parent.data.metrics["val_score"] == pytest.approx(0.5)  # the best validation metric ...
    assert parent.data.metrics["test_score"] == pytest.approx(20.5)  # ... and that trial's test metric
    assert parent.data.tags["best.param.x"] == "2"
    kids = children(r.parent_run_id)
    assert sorted(k.info.status for k in kids) == ["FAILED", "FINISHED", "FINISHED"]
    assert len({k.data.tags["run_dir"] for k in kids}) == 3  # each trial its own output folder
    assert {k.info.experiment_id for k in kids} == {parent.info.experiment_id}

    flag.unlink()  # rerun: only the failed trial runs again, and now succeeds
    r2 = run_sweep(sweep, workers=2, out_root=tmp_path / "runs", progress=False)
    assert (r2.executed, r2.failed, r2.parent_run_id) == (1, 0, r.parent_run_id)
    assert r2.summary["complete"] == 3 and client.get_run(r.parent_run_id).info.status == "FINISHED"
    r3 = run_sweep(sweep, workers=2, out_root=tmp_path / "runs", progress=False)  # nothing left to do
    assert r3.executed == 0 and r3.summary["complete"] == 3
    assert len(children(r.parent_run_id)) == 4


@pytest.mark.slow
def test_optuna_sweep_is_seeded_and_resumes(tmp_path):
    demo_notebook(tmp_path)
    body = {"search": {"sampler": "tpe", "seed": 3, "n_trials": 2,
                       "space": {"x": {"type": "int", "low": 0, "high": 2}, "lr": {"type": "float", "low": 0.01, "high": 1,
                                                                                  "log": True}}}}
    sweep = load_sweep(write_sweep(tmp_path, body))
    proposals = []
    for root in ("a", "b"):
        r = run_sweep(sweep, workers=2 if root == "a" else 1, out_root=tmp_path / root, progress=False)
        assert r.executed == 2 and r.summary["complete"] == 2
        study, _ = open_study(sweep, make_storage(r.folder / "optuna.journal"))
        proposals.append(sorted((row["number"], row["param.x"], row["param.lr"]) for row in trial_rows(study)))
    assert proposals[0] == proposals[1]  # the same sweep proposes the same trials
    r = run_sweep(sweep, workers=2, out_root=tmp_path / "a", progress=False)
    assert r.executed == 0 and r.summary["complete"] == 2


@pytest.mark.slow
def test_killed_worker_is_failed_and_retried(tmp_path):
    demo_notebook(tmp_path)
    sweep = load_sweep(write_sweep(tmp_path, {"grid": {"x": [2, 4]}}))
    r = run_sweep(sweep, workers=2, out_root=tmp_path / "runs", progress=False)
    assert (r.executed, r.failed) == (2, 1)
    kids = {k.data.tags["run_dir"].split("/trial-")[1][:4]: k.info.status for k in children(r.parent_run_id)}
    assert sorted(kids.values()) == ["FINISHED", "KILLED"]  # the killed trial's MLflow run does not stay RUNNING
    study, _ = open_study(sweep, make_storage(r.folder / "optuna.journal"))
    failed = [row for row in trial_rows(study) if row["state"] == "FAIL"]
    assert len(failed) == 1 and "no result" in failed[0]["error"]
    r2 = run_sweep(sweep, workers=2, out_root=tmp_path / "runs", progress=False)  # retried (and killed again)
    assert (r2.executed, r2.failed) == (1, 1) and r2.summary["complete"] == 1


@pytest.mark.slow
def test_ctrl_c_leaves_a_state_the_next_run_resumes(tmp_path):
    demo_notebook(tmp_path)
    flag = tmp_path / "hold.flag"
    flag.write_text("")
    path = write_sweep(tmp_path, {"fixed": {"fail_flag": str(flag)}, "grid": {"x": [5, 2]}})
    out = tmp_path / "runs"
    from tests.test_runner_signals import finish, interruptible

    proc = subprocess.Popen([sys.executable, "-m", "bnpl.cli", "sweep", str(path), "--workers", "2", "--out-root", str(out)],
                            stderr=subprocess.PIPE, text=True, preexec_fn=interruptible)
    sweep = load_sweep(path)
    folder = out / "sweeps" / study_name(sweep)
    deadline = time.monotonic() + 120
    while not list(folder.glob("trial-*/demo/*/demo.ipynb")) and time.monotonic() < deadline:
        time.sleep(0.5)  # wait until a notebook is executing
    time.sleep(2)
    proc.send_signal(signal.SIGINT)
    err = finish(proc, 120)
    assert proc.returncode == 130, err
    study, _ = open_study(sweep, make_storage(folder / "optuna.journal"))
    states = {row["param.x"]: row["state"] for row in trial_rows(study)}
    assert states[5] == "FAIL"  # interrupted, recorded, not left RUNNING
    parent = study.user_attrs["mlflow_parent_run_id"]
    assert MlflowClient(tracking_uri()).get_run(parent).info.status == "KILLED"
    assert "RUNNING" not in {k.info.status for k in children(parent)}
    flag.unlink()
    r = run_sweep(sweep, workers=2, out_root=out, progress=False)
    assert r.summary["complete"] == 2 and r.parent_run_id == parent
    assert r.executed == (1 if states[2] == "COMPLETE" else 2)


@pytest.mark.parametrize("name", ["smoke", "fraud_gnn_search"])
def test_repository_sweep_files_are_valid(name):
    from bnpl.config import EXPERIMENTS_DIR
    from bnpl.sweep.spec import check_trial_params

    sweep = load_sweep(EXPERIMENTS_DIR / f"{name}.yaml")
    check_trial_params(sweep)  # every parameter is one the notebook's params model accepts
    assert is_validation_metric(sweep.objective.metric)


@pytest.mark.slow
def test_median_pruner_stops_trials_worse_than_earlier_ones(tmp_path):
    make_notebook(tmp_path / "demo.ipynb", """
from bnpl import tracking
for epoch in range(3):
    tracking.log_metrics({"val_score": -(x - 2) ** 2}, step=epoch)
tracking.log_metrics({"val_score": -(x - 2) ** 2})
""", params="x = 0\n")
    space = {"x": {"type": "categorical", "choices": [2, 0]}}
    sweep = load_sweep(write_sweep(tmp_path, {"search": {"sampler": "random", "seed": 4, "n_trials": 3, "space": space,
                                                         "pruner": {"type": "median", "n_startup_trials": 1}}}))
    r = run_sweep(sweep, workers=1, out_root=tmp_path / "runs", progress=False)  # seed 4 draws x = 2, 0, 0
    study, _ = open_study(sweep, make_storage(r.folder / "optuna.journal"))
    rows = [(row["param.x"], row["state"], row["reused_from"]) for row in trial_rows(study)]
    assert rows == [(2, "COMPLETE", None), (0, "PRUNED", None), (0, "PRUNED", 1)]
    assert study.trials[1].intermediate_values == {0: -4.0}  # stopped at its first step
    assert (r.executed, r.failed, r.reused, r.summary["pending"], r.summary["pruned"]) == (2, 0, 1, 0, 2)
