"""Run a sweep: trials as papermill executions in a bounded pool of processes, tracked in MLflow.

Each trial is a separate process (``python -m bnpl.sweep.trial``) with its own output folder
``runs/sweeps/<name>-<hash of the sweep file>/trial-NNNN/``, executing the notebook through the runner as a child MLflow
run of the sweep's parent run (experiment ``sweep-<name>``). This process is the only one that
talks to Optuna for its trials: it claims a trial, starts it, and tells the study the trial's
validation metric when it ends. A failing trial is recorded as FAIL and the sweep goes on; the
next run of the same sweep skips finished parameter sets and retries failed ones. Ctrl-C
interrupts the running trials (their MLflow runs end KILLED, their Optuna trials FAIL).
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from optuna.trial import TrialState
from tqdm.auto import tqdm

from bnpl import store
from bnpl.config import RUNS_DIR, tracking_uri
from bnpl.errors import BnplError
from bnpl.io import write_json
from bnpl.sweep import study as st
from bnpl.sweep.spec import Sweep, check_trial_params, grid_points
from bnpl.sweep.summary import summarise
from bnpl.sweep.trial import RESULT
from bnpl.tracking import ensure_experiment

PARENT_ATTR = "mlflow_parent_run_id"
MAX_DUPLICATES = 30  # give up on proposals that keep duplicating other processes' running trials


@dataclass
class SweepResult:
    name: str
    study_name: str
    folder: Path
    parent_run_id: str
    executed: int = 0          # notebooks this call ran
    failed: int = 0            # of those, how many failed
    reused: int = 0            # trials whose parameters had already finished
    summary: dict[str, Any] = field(default_factory=dict)


@dataclass
class _Running:
    claim: st.Claim
    proc: subprocess.Popen
    folder: Path


def default_workers() -> int:
    return max(1, (os.cpu_count() or 2) // 2)


def run_sweep(sweep: Sweep, workers: int | None = None, storage: str | None = None, out_root: str | Path | None = None,
              progress: bool = True) -> SweepResult:
    """Run (or resume) ``sweep`` with at most ``workers`` trials at once; see the module docstring."""
    from bnpl.runner import check_params, params_hash, resolve_notebook

    workers = workers or default_workers()
    if workers < 1:
        raise BnplError(f"--workers must be at least 1, got {workers}")
    check_trial_params(sweep)  # a bad parameter fails here, before any trial runs
    nb = resolve_notebook(sweep.notebook)
    folder = Path(out_root or RUNS_DIR) / "sweeps" / st.study_name(sweep)  # a changed sweep file is a new study
    folder.mkdir(parents=True, exist_ok=True)

    def hash_of(varied: dict[str, Any]) -> str:
        return params_hash(check_params(nb, {**sweep.fixed, **varied}))

    storage = str(storage or folder / "optuna.journal")
    study, created = st.open_study(sweep, st.make_storage(storage))
    client = store.client()
    parent = _parent_run(client, sweep, study, created)
    result = SweepResult(sweep.name, study.study_name, folder, parent)

    st.fail_stale(study)
    _end_orphan_children(client, parent, study, folder)
    if sweep.grid is not None:
        points = grid_points(sweep)
        st.enqueue_grid(study, points, [hash_of(p) for p in points])
    else:
        st.enqueue_retries(study)
    trials = study.get_trials(deepcopy=False)
    complete = sum(t.state in (TrialState.COMPLETE, TrialState.PRUNED) for t in trials)
    others_running = sum(t.state == TrialState.RUNNING for t in trials)
    budget = max(0, sweep.n_trials - complete - others_running)

    running: dict[int, _Running] = {}
    launched, last_beat, duplicates, blocked = 0, time.monotonic(), 0, False
    bar = tqdm(total=budget, desc=f"sweep {sweep.name}", unit="trial", disable=not progress)
    try:
        while True:
            # after a proposal that duplicates a running trial, wait for a trial to end before asking again
            while len(running) < workers and launched < budget and not blocked:
                c = st.claim(study, sweep, sweep.n_trials, hash_of)
                if c.skipped:
                    if c.skipped.startswith(("over", "grid")):
                        budget = launched
                    else:
                        duplicates, blocked = duplicates + 1, True
                    continue
                launched += 1
                if c.reused_value is not None:
                    result.reused += 1
                    bar.update()
                    continue
                running[c.number] = _start(c, sweep, nb, folder, parent, study.study_name, storage)
            if not running and (not blocked or launched >= budget or duplicates > MAX_DUPLICATES):
                break
            time.sleep(0.2 if running else 2.0)  # nothing of ours running: the duplicate runs in another process
            blocked = blocked and bool(running)
            for number in [n for n, r in running.items() if r.proc.poll() is not None]:
                ok = _finish(study, sweep, running.pop(number), bar)
                if not ok:
                    _end_orphan_children(client, parent, study, folder)
                result.executed += 1
                result.failed += not ok
                blocked = False
                bar.update()
            if time.monotonic() - last_beat > st.HEARTBEAT_S / 2:
                st.heartbeat(study, list(running))
                last_beat = time.monotonic()
    except KeyboardInterrupt:
        _interrupt(study, running, client, parent, folder)
        result.summary = summarise(study, sweep, client, parent, folder, status="KILLED")
        raise
    finally:
        bar.close()
    result.summary = summarise(study, sweep, client, parent, folder)
    return result


def _parent_run(client, sweep: Sweep, study, created: bool) -> str:
    """The sweep's parent MLflow run: created with the study, found again through the study on resume."""
    exp_name = f"sweep-{sweep.name}"
    run_id = study.user_attrs.get(PARENT_ATTR) if created else st.wait_for_attr(study, PARENT_ATTR)
    if run_id is not None:
        try:
            client.get_run(run_id)
            client.update_run(run_id, status="RUNNING")
            return run_id
        except Exception:  # noqa: BLE001 — the tracking store changed or the run was deleted: start a new parent
            pass
    exp_id = ensure_experiment(client, exp_name)  # before any worker starts, so workers find it tagged
    run = client.create_run(exp_id, run_name=f"sweep {sweep.name}", tags={"sweep.study": study.study_name,
                                                                           "notebook": sweep.notebook})
    client.log_param(run.info.run_id, "sweep", json.dumps(sweep.model_dump(), default=str)[:6000])
    client.log_param(run.info.run_id, "objective", sweep.objective.metric)
    client.log_param(run.info.run_id, "direction", sweep.objective.direction)
    study.set_user_attr(PARENT_ATTR, run.info.run_id)
    return run.info.run_id


def _start(c: st.Claim, sweep: Sweep, nb: Path, folder: Path, parent: str, study_name: str, storage: str) -> _Running:
    trial_dir = folder / f"trial-{c.number:04d}"
    trial_dir.mkdir(parents=True, exist_ok=True)
    job = trial_dir / "job.json"
    (trial_dir / RESULT).unlink(missing_ok=True)  # only this trial's own result may be read back
    write_json(job, {"notebook": str(nb), "params": {**sweep.fixed, **c.params}, "out_root": str(trial_dir),
                     "experiment": f"sweep-{sweep.name}", "parent_run_id": parent,
                     "tags": {"sweep.trial": str(c.number), "sweep.param_hash": c.param_hash, "sweep.study": study_name},
                     "pruning": _pruning(sweep, storage, study_name, c.number)})
    env = {**os.environ, "MLFLOW_TRACKING_URI": tracking_uri()}
    log = open(trial_dir / "trial.log", "w")  # noqa: SIM115 — closed by the child's exit
    proc = subprocess.Popen([sys.executable, "-m", "bnpl.sweep.trial", str(job)], stdout=log, stderr=subprocess.STDOUT,
                            env=env, start_new_session=True)  # Ctrl-C reaches this process only; it forwards it once
    log.close()
    return _Running(c, proc, trial_dir)


def _pruning(sweep: Sweep, storage: str, study_name: str, number: int) -> dict | None:
    if sweep.search is None or sweep.search.pruner.type == "none":
        return None
    return {"storage": storage, "study": study_name, "number": number, "metric": sweep.objective.metric,
            "pruner": sweep.search.pruner.model_dump()}


def _finish(study, sweep: Sweep, r: _Running, bar) -> bool:
    """Tell the study how the trial ended; True when it finished with the objective logged."""
    res_path = r.folder / RESULT
    res = json.loads(res_path.read_text()) if res_path.exists() else {
        "status": "FAILED", "run_id": None, "metrics": {}, "error": f"trial process ended with code {r.proc.returncode} "
                                                                    f"and no result (see {r.folder / 'trial.log'})"}
    metric = sweep.objective.metric
    if res["status"] == "FINISHED" and metric not in res["metrics"]:
        res["status"], res["error"] = "FAILED", (f"objective {metric!r} not logged by the notebook "
                                                 f"(logged: {', '.join(sorted(res['metrics'])) or 'nothing'})")
    trial = _trial_handle(study, r.claim.number)
    if res.get("run_id"):
        study._storage.set_trial_user_attr(trial, "mlflow_run_id", res["run_id"])
    if res["status"] == "FINISHED":
        study.tell(r.claim.number, res["metrics"][metric])
        return True
    if "TrialPruned" in (res.get("error") or ""):  # the pruner stopped it: a result, not a failure
        study.tell(r.claim.number, state=TrialState.PRUNED)
        return True
    study._storage.set_trial_user_attr(trial, "error", (res.get("error") or "")[:2000])
    study.tell(r.claim.number, state=TrialState.FAIL)
    bar.write(f"trial {r.claim.number} failed: {res.get('error')}", file=sys.stderr)
    return False


def _trial_handle(study, number: int) -> int:
    return study._storage.get_trial_id_from_study_id_trial_number(study._study_id, number)


def _interrupt(study, running: dict[int, _Running], client, parent: str, folder: Path) -> None:
    """Forward Ctrl-C to the running trials, wait for them to record KILLED runs, fail their Optuna trials."""
    for r in running.values():
        if r.proc.poll() is None:
            r.proc.send_signal(signal.SIGINT)
    deadline = time.monotonic() + 60
    for r in running.values():
        try:
            r.proc.wait(timeout=max(1.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            r.proc.kill()
            r.proc.wait()
        trial = _trial_handle(study, r.claim.number)
        study._storage.set_trial_user_attr(trial, "error", "interrupted")
        study.tell(r.claim.number, state=TrialState.FAIL)
    _end_orphan_children(client, parent, study, folder)


def _end_orphan_children(client, parent: str, study, folder: Path) -> None:
    """Child runs left RUNNING by a killed trial process (its folder is ``trial-NNNN`` of a trial that is no
    longer running, in any process) end as KILLED; the Optuna trial itself is already FAIL."""
    exp_id = client.get_run(parent).info.experiment_id
    running = {t.number for t in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,))}
    for run in client.search_runs([exp_id], f"tags.mlflow.parentRunId = '{parent}' and attributes.status = 'RUNNING'"):
        run_dir = Path(run.data.tags.get("run_dir", ""))
        trial_dir = next((p for p in run_dir.parents if p.parent == folder and p.name.startswith("trial-")), None)
        if trial_dir is not None and int(trial_dir.name.removeprefix("trial-")) not in running:
            client.set_terminated(run.info.run_id, "KILLED")
