"""What notebooks call to record metrics, tables and figures.

Under ``bnpl run`` the runner opens one MLflow run per notebook execution and
passes its id and output folder to the kernel through the environment
(``BNPL_MLFLOW_RUN_ID``, ``BNPL_RUN_DIR``, ``MLFLOW_TRACKING_URI``). These helpers
log into that run and save figures and tables in the run folder. Run
interactively (JupyterLab, no runner) they still save files, under
``runs/interactive/``, and print metrics, but log nothing to MLflow.
"""
from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from bnpl.config import RUNS_DIR

T = TypeVar("T")

RUN_ID_ENV = "BNPL_MLFLOW_RUN_ID"
RUN_DIR_ENV = "BNPL_RUN_DIR"
PROGRESS_FILE = "progress.log"


def run_dir() -> Path:
    """Folder of the current execution (created on first use)."""
    d = Path(os.environ.get(RUN_DIR_ENV) or RUNS_DIR / "interactive")
    d.mkdir(parents=True, exist_ok=True)
    return d


def active_run_id() -> str | None:
    return os.environ.get(RUN_ID_ENV) or None


# MLflow 3's UI opens an experiment with this tag on its runs table rather than its GenAI trace view.
EXPERIMENT_KIND = ("mlflow.experimentKind", "custom_model_development")


def _retrying(action: Callable[[], T], attempts: int) -> T:
    """``action()``, run again after a short pause when the store refuses it (another process wrote the same
    row first), at most ``attempts`` times; the last refusal is raised."""
    import time

    from mlflow.exceptions import MlflowException

    for attempt in range(attempts):
        try:
            return action()
        except MlflowException:
            if attempt == attempts - 1:
                raise
            time.sleep(0.05 * (attempt + 1))
    raise AssertionError("unreachable")


def ensure_experiment(client, name: str, attempts: int = 5) -> str:
    """Id of experiment `name`, created and tagged if needed; safe when several processes do it at once.

    Parallel sweep workers start runs in the same new experiment: two may both find it missing, or both
    insert its tag, and the store refuses the second insert. Both cases are retried after reading the
    store again, so the loser simply uses what the winner wrote.
    """
    def once() -> str:
        exp = client.get_experiment_by_name(name)
        exp_id = exp.experiment_id if exp else client.create_experiment(name)
        tags = exp.tags if exp else {}
        if tags.get(EXPERIMENT_KIND[0]) != EXPERIMENT_KIND[1]:
            client.set_experiment_tag(exp_id, *EXPERIMENT_KIND)
        return exp_id

    return _retrying(once, attempts)


def set_tags(client, run_id: str, tags: dict[str, str], attempts: int = 5) -> None:
    """Set ``tags`` on a run that other processes may be tagging at the same moment.

    MLflow's SQL store sets a tag by looking for its row and inserting it when there is none; two sweep
    workers ending at once both insert the parent run's ``sweep.pending`` and PostgreSQL refuses the second
    (``UniqueViolation`` on ``tag_pk``, seen in a clean-clone test run). The loser retries: the row then
    exists and is updated.
    """
    import functools

    for key, value in tags.items():
        _retrying(functools.partial(client.set_tag, run_id, key, value), attempts)


def _client():
    from bnpl.store import client

    return client()


def _clean_metrics(metrics: Mapping[str, Any]) -> dict[str, float]:
    out = {}
    for k, v in metrics.items():
        try:
            f = float(v)
        except (TypeError, ValueError):
            continue
        if not math.isnan(f):
            out[_safe_key(k)] = f
    return out


def _safe_key(k: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "_-. /" else "_" for ch in str(k))


def log_metrics(metrics: Mapping[str, Any], step: int | None = None, run_id: str | None = None) -> None:
    """Log numeric metrics (NaN and non-numbers are skipped). ``step`` for per-epoch curves."""
    clean = _clean_metrics(metrics)
    rid = run_id or active_run_id()
    if rid is None:
        if step is None:
            print("metrics:", ", ".join(f"{k}={v:.4g}" for k, v in clean.items()))
        return
    import time

    from mlflow.entities import Metric

    ts = int(time.time() * 1000)
    _client().log_batch(rid, metrics=[Metric(k, v, ts, step or 0) for k, v in clean.items()])
    if step is not None:  # inside a sweep trial with a pruner: may raise optuna.TrialPruned
        from bnpl.sweep.prune import report

        report(clean, step)


def progress(message: str) -> None:
    """One line of progress for a long cell (a model fitted, a grid cell done). Under ``bnpl run`` it is
    appended to the run folder's ``progress.log``, which the runner echoes to its console, and kept out of
    the rendered notebook; interactively it is printed."""
    if active_run_id() is None:
        print(message, flush=True)
        return
    with (run_dir() / PROGRESS_FILE).open("a") as fh:
        fh.write(message.replace("\n", " ") + "\n")


class _ProgressWriter:
    """A text stream that turns each complete printed line into :func:`progress`."""

    def __init__(self):
        self._buf = ""

    def write(self, text: str) -> int:
        self._buf += text
        *lines, self._buf = self._buf.split("\n")
        for line in lines:
            if line.strip():
                progress(line)
        return len(text)

    def flush(self) -> None:
        pass


@contextmanager
def progress_output() -> Iterator[None]:
    """Inside the block, what library code prints (e.g. a benchmark's line per model) goes to
    :func:`progress` instead of the notebook's output."""
    from contextlib import redirect_stdout

    writer = _ProgressWriter()
    with redirect_stdout(writer):
        yield
    if writer._buf.strip():
        progress(writer._buf)


def log_params(params: Mapping[str, Any], run_id: str | None = None) -> None:
    rid = run_id or active_run_id()
    if rid is None:
        return
    from mlflow.entities import Param

    _client().log_batch(rid, params=[Param(_safe_key(k), str(v)[:6000]) for k, v in params.items()])


def log_artifact(path: str | Path, artifact_path: str | None = None, run_id: str | None = None) -> None:
    rid = run_id or active_run_id()
    if rid is not None:
        _client().log_artifact(rid, str(path), artifact_path)


def log_figure(fig, name: str, run_id: str | None = None) -> Path:
    """Save a matplotlib figure as ``figures/<name>`` (PNG by default) in the run folder and to MLflow."""
    if not Path(name).suffix:
        name += ".png"
    path = run_dir() / "figures" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110, bbox_inches="tight")
    log_artifact(path, "figures", run_id)
    return path


def log_table(df, name: str, run_id: str | None = None) -> Path:
    """Save a DataFrame as ``tables/<name>.csv`` in the run folder and to MLflow."""
    path = run_dir() / "tables" / f"{name}.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    df.to_csv(path, index=True)
    log_artifact(path, "tables", run_id)
    return path


def log_dict(obj: Any, name: str, run_id: str | None = None) -> Path:
    from bnpl.io import write_json

    path = run_dir() / name
    write_json(path, obj)
    log_artifact(path, None, run_id)
    return path


class ChildRun:
    """Handle for a nested MLflow run (one sweep or ablation cell)."""

    def __init__(self, run_id: str | None):
        self.run_id = run_id

    def log_metrics(self, metrics: Mapping[str, Any], step: int | None = None) -> None:
        if self.run_id:
            log_metrics(metrics, step, run_id=self.run_id)

    def log_params(self, params: Mapping[str, Any]) -> None:
        if self.run_id:
            log_params(params, run_id=self.run_id)


@contextmanager
def child_run(name: str, params: Mapping[str, Any] | None = None, parent_run_id: str | None = None) -> Iterator[ChildRun]:
    """A nested MLflow run under the current notebook's run; marked FAILED if the block raises.

    Outside the runner (no active run) it yields a handle that records nothing.
    """
    parent = parent_run_id or active_run_id()
    if parent is None:
        yield ChildRun(None)
        return
    c = _client()
    exp_id = c.get_run(parent).info.experiment_id
    run = c.create_run(exp_id, run_name=name, tags={"mlflow.parentRunId": parent})
    handle = ChildRun(run.info.run_id)
    if params:
        handle.log_params(params)
    try:
        yield handle
    except BaseException:
        c.set_terminated(run.info.run_id, "FAILED")
        raise
    c.set_terminated(run.info.run_id, "FINISHED")

