"""Runs left RUNNING by a ``bnpl run`` process that is gone (SIGKILL, a crash, a machine reboot).

The runner tags each MLflow run with the host and process id that own it (:func:`owner_tags`) and
writes ``run.json`` with status RUNNING when it starts. :func:`reap` (called by ``bnpl run`` and
``bnpl report`` before they start) finds such runs on this host whose process no longer exists and
marks them KILLED: the MLflow run (and its RUNNING child runs) gets status KILLED and a ``bnpl.note``
tag saying why, and ``run.json`` gets status KILLED with the note as its error, which the report
shows. Runs owned by another host, or by a process that is still alive, are left alone.
"""
from __future__ import annotations

import json
import os
import socket
import time
from pathlib import Path

from bnpl.io import process_alive, write_json

HOST_TAG, PID_TAG, NOTE_TAG = "bnpl.host", "bnpl.pid", "bnpl.note"


def owner_tags() -> dict[str, str]:
    return {HOST_TAG: socket.gethostname(), PID_TAG: str(os.getpid())}


def _note(pid: int | str, host: str) -> str:
    return (f"the bnpl run process (pid {pid} on {host}) ended without closing this run (killed or crashed); "
            f"marked KILLED on {time.strftime('%Y-%m-%d %H:%M:%S')}")


def _orphaned(host: str | None, pid) -> bool:
    return host == socket.gethostname() and str(pid).isdigit() and not process_alive(int(pid))


def reap(client, runs_dir: Path | None = None) -> list[str]:
    """Mark KILLED every run of this host whose owning process is gone; returns their MLflow run ids."""
    reaped = []
    host = socket.gethostname()
    experiments = [e.experiment_id for e in client.search_experiments()]
    query = f"attributes.status = 'RUNNING' and tags.`{HOST_TAG}` = '{host}'"
    for run in client.search_runs(experiments, query, max_results=1000) if experiments else []:
        tags = run.data.tags
        if _orphaned(tags.get(HOST_TAG), tags.get(PID_TAG)):
            note = _note(tags[PID_TAG], host)
            _kill(client, run.info.run_id, note, experiments)
            if tags.get("run_dir"):
                _mark_folder(Path(tags["run_dir"]), note)
            reaped.append(run.info.run_id)
    for f in sorted(runs_dir.glob("*/*/run.json")) if runs_dir and runs_dir.is_dir() else []:
        rec = _read(f)
        if rec.get("status") == "RUNNING" and _orphaned(rec.get("host"), rec.get("pid")):
            note = _note(rec["pid"], host)
            _mark_folder(f.parent, note)
            if rec.get("run_id") and rec["run_id"] not in reaped:
                _kill(client, rec["run_id"], note, experiments)
                reaped.append(rec["run_id"])
    return reaped


def _kill(client, run_id: str, note: str, experiments: list[str]) -> None:
    from mlflow.exceptions import MlflowException

    try:
        if client.get_run(run_id).info.status != "RUNNING":
            return
        client.set_tag(run_id, NOTE_TAG, note)
        client.set_terminated(run_id, "KILLED")
        children = client.search_runs(experiments, f"attributes.status = 'RUNNING' and tags.`mlflow.parentRunId` = '{run_id}'")
        for child in children:
            client.set_tag(child.info.run_id, NOTE_TAG, note)
            client.set_terminated(child.info.run_id, "KILLED")
    except MlflowException:  # a run folder whose run is in another tracking store
        pass


def _read(f: Path) -> dict:
    try:
        rec = json.loads(f.read_text())
    except (OSError, ValueError):
        return {}
    return rec if isinstance(rec, dict) else {}


def _mark_folder(folder: Path, note: str) -> None:
    f = folder / "run.json"
    rec = _read(f)
    if rec.get("status") != "RUNNING":  # the runner's own marker, still open
        return
    write_json(f, {**rec, "status": "KILLED", "error": note, "finished_at": rec.get("finished_at") or
                   time.strftime("%Y-%m-%d %H:%M:%S")})
