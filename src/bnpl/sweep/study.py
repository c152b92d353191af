"""The Optuna study behind a sweep: storage, creation, claiming trials, stale trials, retries.

The study is the ledger of a sweep for grid and search alike: every trial that ran or runs
is an Optuna trial tagged with the hash of its full notebook parameters (``param_hash``).
Storage is a journal file (one machine, any number of processes) or PostgreSQL (many
machines); SQLite is refused because it locks up under parallel writers.

Claiming a trial (:func:`claim`) is safe across processes and machines: a trial whose
parameters already finished reuses that result; one whose parameters another process is
running backs off, and so does one beyond the sweep's number of trials. Backed-off trials
are recorded as FAIL with a ``skipped`` reason and never retried; every other FAIL is
retried by the next run of the sweep (:func:`enqueue_retries`).
"""
from __future__ import annotations

import os
import socket
import time
import warnings
from dataclasses import dataclass
from typing import Any

import optuna
from optuna.trial import TrialState

from bnpl.errors import BnplError
from bnpl.io import process_alive
from bnpl.sweep.spec import Sweep, encode_params
from bnpl.sweep.storage import GRACE_S, HEARTBEAT_S, make_storage  # noqa: F401 — the sweep's API

optuna.logging.set_verbosity(optuna.logging.WARNING)

OWNER = f"{socket.gethostname()}:{os.getpid()}"

def study_name(sweep: Sweep) -> str:
    return f"{sweep.name}-{sweep.identity()}"


def _sampler(sweep: Sweep, trial_number: int):
    """A sampler seeded by the sweep's seed and the trial number, so trial k draws the same way in any process."""
    seed = (sweep.search.seed if sweep.search else 0) * 1_000_003 + trial_number
    if sweep.search is not None and sweep.search.sampler == "tpe":
        return optuna.samplers.TPESampler(seed=seed)
    return optuna.samplers.RandomSampler(seed=seed)


def open_study(sweep: Sweep, storage) -> tuple[optuna.Study, bool]:
    """Load the sweep's study, creating it if absent. Returns (study, created by this call)."""
    direction = sweep.objective.direction
    name = study_name(sweep)
    try:
        return optuna.create_study(study_name=name, storage=storage, direction=direction), True
    except optuna.exceptions.DuplicatedStudyError:
        study = optuna.load_study(study_name=name, storage=storage)
        if study.direction.name.lower() != direction:
            raise BnplError(f"study {name}: stored direction {study.direction.name.lower()} differs from {direction}") from None
        return study, False


def wait_for_attr(study: optuna.Study, key: str, timeout_s: float = 120.0) -> Any:
    """A study attribute another process is about to set (the MLflow parent run id)."""
    t0 = time.monotonic()
    while key not in study.user_attrs:
        if time.monotonic() - t0 > timeout_s:
            raise BnplError(f"study {study.study_name}: {key} not set after {timeout_s:.0f}s by the process that created it")
        time.sleep(0.5)
    return study.user_attrs[key]


def fail_stale(study: optuna.Study) -> int:
    """Mark RUNNING trials whose owner is gone as FAIL: by heartbeat (PostgreSQL) or, for the journal
    file (one machine), when the owning process is no longer alive. Returns how many were failed."""
    before = len(study.get_trials(deepcopy=False, states=(TrialState.FAIL,)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        optuna.storages.fail_stale_trials(study)  # heartbeat storages: trials whose heartbeat stopped
    n = len(study.get_trials(deepcopy=False, states=(TrialState.FAIL,))) - before
    host = socket.gethostname()
    for t in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        owner = t.user_attrs.get("owner", "")
        owner_host, _, pid = owner.rpartition(":")
        if owner_host == host and pid.isdigit() and not process_alive(int(pid)):
            study.tell(t.number, state=TrialState.FAIL)
            n += 1
    return n


def counted(t) -> bool:
    """A trial that takes a place in the sweep's budget (not a backed-off one, not a failure)."""
    return t.state != TrialState.FAIL and "skipped" not in t.user_attrs


def enqueue_retries(study: optuna.Study) -> int:
    """Enqueue once each failed trial (not backed off) whose parameters have no finished trial."""
    trials = study.get_trials(deepcopy=False)
    done = {t.user_attrs.get("param_hash") for t in trials if t.state == TrialState.COMPLETE}
    waiting = {t.user_attrs.get("param_hash") for t in trials if t.state in (TrialState.WAITING, TrialState.RUNNING)}
    retried = {t.user_attrs.get("retry_of") for t in trials}
    n = 0
    for t in trials:
        h = t.user_attrs.get("param_hash")
        if (t.state == TrialState.FAIL and "skipped" not in t.user_attrs and h and h not in done | waiting
                and t.number not in retried):
            study.enqueue_trial(t.params, user_attrs={"retry_of": t.number})
            waiting.add(h)
            n += 1
    return n


def enqueue_grid(study: optuna.Study, points: list[dict[str, Any]], hashes: list[str]) -> int:
    """Enqueue the grid points whose parameters have no finished, running or waiting trial."""
    trials = study.get_trials(deepcopy=False)
    taken = {t.user_attrs.get("param_hash") for t in trials
             if t.state in (TrialState.COMPLETE, TrialState.RUNNING, TrialState.WAITING)}
    taken |= {t.user_attrs.get("grid_hash") for t in trials if t.state == TrialState.WAITING}
    n = 0
    for point, h in zip(points, hashes, strict=True):
        if h not in taken:
            study.enqueue_trial(encode_params(point), user_attrs={"grid_hash": h})
            n += 1
    return n


@dataclass
class Claim:
    number: int
    params: dict[str, Any]        # the varied parameters
    param_hash: str
    reused_value: float | None = None   # set when these parameters already finished: nothing to run
    skipped: str | None = None          # why this trial backed off (nothing to run)


def claim(study: optuna.Study, sweep: Sweep, n_trials: int, hash_of) -> Claim:
    """Ask for the next trial and decide whether it runs, reuses a finished result or backs off."""
    from bnpl.sweep.spec import suggest

    trial = study.ask()
    if sweep.grid is not None and "grid_hash" not in trial.user_attrs:  # no enqueued grid point left
        trial.set_user_attr("skipped", "grid exhausted")
        study.tell(trial, state=TrialState.FAIL)
        return Claim(trial.number, {}, "", skipped="grid exhausted")
    study.sampler = _sampler(sweep, trial.number)
    params = suggest(trial, sweep)
    h = hash_of(params)
    trial.set_user_attr("param_hash", h)
    trial.set_user_attr("owner", OWNER)
    others = [t for t in study.get_trials(deepcopy=False) if t.number != trial.number]
    same = [t for t in others if t.user_attrs.get("param_hash") == h]
    finished = [t for t in same if t.state == TrialState.COMPLETE]
    if finished:
        trial.set_user_attr("reused_from", finished[0].number)
        trial.set_user_attr("mlflow_run_id", finished[0].user_attrs.get("mlflow_run_id"))
        study.tell(trial, finished[0].value)
        return Claim(trial.number, params, h, reused_value=finished[0].value)
    pruned = [t for t in same if t.state == TrialState.PRUNED]
    if pruned:  # these parameters were stopped by the pruner before: stopped again without running
        trial.set_user_attr("reused_from", pruned[0].number)
        study.tell(trial, state=TrialState.PRUNED)
        return Claim(trial.number, params, h, reused_value=float("nan"))
    reason = None
    if any(t.state == TrialState.RUNNING for t in same):
        reason = "duplicate of a running trial"
    elif sum(counted(t) for t in others if t.number < trial.number) >= n_trials:
        reason = f"over the sweep's {n_trials} trials"
    if reason:
        trial.set_user_attr("skipped", reason)
        study.tell(trial, state=TrialState.FAIL)
        return Claim(trial.number, params, h, skipped=reason)
    return Claim(trial.number, params, h)


def heartbeat(study: optuna.Study, numbers: list[int]) -> None:
    storage = study._storage
    if isinstance(storage, optuna.storages.RDBStorage):
        for n in numbers:
            storage.record_heartbeat(storage.get_trial_id_from_study_id_trial_number(study._study_id, n))


def trial_rows(study: optuna.Study) -> list[dict[str, Any]]:
    """One row per trial that ran or runs (backed-off ones left out), for tables and tests."""
    rows = []
    for t in study.get_trials(deepcopy=False):
        if "skipped" in t.user_attrs or t.state == TrialState.WAITING:
            continue
        rows.append({"number": t.number, "state": t.state.name, "value": t.value, "param_hash": t.user_attrs.get("param_hash"),
                     "reused_from": t.user_attrs.get("reused_from"), "retry_of": t.user_attrs.get("retry_of"),
                     "mlflow_run_id": t.user_attrs.get("mlflow_run_id"), "error": t.user_attrs.get("error"),
                     **{f"param.{k}": v for k, v in t.params.items()}})
    return rows
