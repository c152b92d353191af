"""Execute a parameterised notebook with papermill on the ``bnpl`` kernel, tracked as one MLflow run.

Output goes to ``runs/<notebook>/<timestamp>-<params hash>/``: the executed notebook,
its HTML rendered without code, and the figures and tables the notebook saved through
:mod:`bnpl.tracking`. The MLflow run (experiment = notebook name) gets the parameters,
the git commit, the metrics the notebook records, and the notebook + HTML as artifacts.
A failing notebook leaves a FAILED run tagged with the failing cell and error, keeps the
failed notebook, and raises :class:`NotebookFailed` with one line naming both.
"""
from __future__ import annotations

import ast
import contextlib
import hashlib
import json
import logging
import os
import subprocess
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bnpl.config import KERNEL_NAME, NOTEBOOKS_DIR, REPO_ROOT, RUNS_DIR, tracking_uri
from bnpl.errors import BnplError
from bnpl.io import write_json, write_text
from bnpl.params import load_params_model, validate
from bnpl.tracking import PROGRESS_FILE, RUN_DIR_ENV, RUN_ID_ENV, ensure_experiment


class NotebookFailed(BnplError):
    """A notebook raised during execution."""

    def __init__(self, message: str, result: RunResult | None = None):
        super().__init__(message)
        self.result = result


@dataclass
class RunResult:
    notebook: str
    run_id: str
    out_dir: Path
    executed_path: Path
    html_path: Path | None
    status: str
    params: dict = field(default_factory=dict)
    seconds: float = 0.0


def resolve_notebook(name: str | Path) -> Path:
    """A notebook path, or a short name such as ``01_data_prep`` / ``data_prep`` found in ``notebooks/``."""
    p = Path(name)
    if p.suffix == ".ipynb" and p.exists():
        return p.resolve()
    if p.suffix != ".ipynb":
        candidates = sorted(NOTEBOOKS_DIR.glob(f"{p.name}.ipynb")) or sorted(NOTEBOOKS_DIR.glob(f"*{p.name}*.ipynb"))
        if len(candidates) == 1:
            return candidates[0].resolve()
        if len(candidates) > 1:
            raise BnplError(f"notebook name {str(name)!r} is ambiguous: {', '.join(c.name for c in candidates)}")
    known = ", ".join(c.stem for c in sorted(NOTEBOOKS_DIR.glob("*.ipynb"))) or "none"
    raise BnplError(f"notebook {str(name)!r} not found (known: {known})")


def stage_notebooks() -> list[Path]:
    """The stage notebooks in execution order: ``notebooks/NN_*.ipynb`` sorted by name."""
    return sorted(p for p in NOTEBOOKS_DIR.glob("[0-9][0-9]_*.ipynb"))


def notebook_defaults(nb_path: Path) -> tuple[dict[str, Any], str | None]:
    """Default parameter values from the ``parameters`` cell, and the params model named in metadata."""
    import nbformat

    nb = nbformat.read(nb_path, as_version=4)
    tagged = [c for c in nb.cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    if len(tagged) != 1:
        raise BnplError(f"{nb_path.name}: expected exactly one cell tagged 'parameters', found {len(tagged)}")
    defaults = {}
    try:
        tree = ast.parse(tagged[0].source)
    except SyntaxError as e:
        raise BnplError(f"{nb_path.name}: parameters cell is not valid Python ({e.msg}, line {e.lineno})") from None
    for node in tree.body:
        if not (isinstance(node, (ast.Assign, ast.AnnAssign))):
            raise BnplError(f"{nb_path.name}: parameters cell line {node.lineno}: only 'name = literal' assignments allowed")
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        if len(targets) != 1 or not isinstance(targets[0], ast.Name) or node.value is None:
            raise BnplError(f"{nb_path.name}: parameters cell line {node.lineno}: only 'name = literal' assignments allowed")
        try:
            defaults[targets[0].id] = ast.literal_eval(node.value)
        except ValueError:
            raise BnplError(f"{nb_path.name}: parameter {targets[0].id!r} default is not a literal") from None
    return defaults, nb.metadata.get("bnpl", {}).get("params_model")


def check_params(nb_path: Path, overrides: Mapping[str, Any]) -> dict[str, Any]:
    """Merge overrides into the notebook's defaults, rejecting unknown or ill-typed ones before execution.

    The values come back converted as the notebook will hold them (``days`` 30 -> 30.0 for a float):
    the runner injects and logs these, so the runner and the notebook never log two values for one key.
    """
    defaults, model_spec = notebook_defaults(nb_path)
    unknown = sorted(set(overrides) - set(defaults))
    if unknown:
        raise BnplError(f"{nb_path.stem}: unknown parameter {unknown[0]!r} (known: {', '.join(sorted(defaults))})")
    merged = {**defaults, **overrides}
    if model_spec:
        checked = validate(load_params_model(model_spec), merged).model_dump()
        return {k: checked.get(k, v) for k, v in merged.items()}
    for k, v in overrides.items():
        _check_type(k, v, defaults[k])
        if isinstance(defaults[k], float) and isinstance(v, int):
            merged[k] = float(v)
    return merged


def _check_type(name: str, value: Any, default: Any) -> None:
    if default is None or value is None:
        return
    ok = isinstance(value, type(default)) or (isinstance(default, float) and isinstance(value, int) and not isinstance(value, bool))
    if isinstance(default, bool) != isinstance(value, bool):
        ok = False
    if not ok:
        raise BnplError(f"parameter {name!r}: expected {type(default).__name__}, got {type(value).__name__} {value!r}")


def params_hash(params: Mapping[str, Any]) -> str:
    return hashlib.sha1(json.dumps(params, sort_keys=True, default=str).encode()).hexdigest()[:8]


def git_commit() -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO_ROOT, capture_output=True, text=True, timeout=10)
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=REPO_ROOT,
                               capture_output=True, text=True, timeout=10).stdout.strip()
        return out.stdout.strip() + ("-dirty" if dirty else "") if out.returncode == 0 else "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def _check_kernel() -> None:
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        KernelSpecManager().get_kernel_spec(KERNEL_NAME)
    except NoSuchKernel:
        raise BnplError(f"Jupyter kernel {KERNEL_NAME!r} is not registered: run 'make setup'") from None


@contextlib.contextmanager
def _env(values: Mapping[str, str]) -> Iterator[None]:
    old = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def render_html(executed: Path, html_path: Path) -> Path:
    """HTML without code cells, for stakeholders (``nbconvert --no-input``)."""
    import nbformat
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True)
    body, _ = exporter.from_notebook_node(nbformat.read(executed, as_version=4))
    return write_text(html_path, body)


def run_notebook(notebook: str | Path, params: Mapping[str, Any] | None = None, *, out_root: str | Path | None = None,
                 experiment: str | None = None, progress: bool = True, log_output: bool = False,
                 parent_run_id: str | None = None) -> RunResult:
    """Execute ``notebook`` with ``params`` overriding its defaults; see the module docstring.

    ``parent_run_id`` nests the run under that MLflow run (a sweep's trials under the sweep).
    """
    import mlflow

    from bnpl import stale_runs, store
    from bnpl.output_lock import claim_outputs

    nb_path = resolve_notebook(notebook)
    merged = check_params(nb_path, dict(params or {}))
    overrides = {k: merged[k] for k in params or {}}  # injected as validated, the values logged below
    _check_kernel()
    uri = tracking_uri()
    client = store.client(uri)      # created and migrated under a lock; an HTTP server that does not answer fails here
    stale_runs.reap(client, Path(out_root or RUNS_DIR))
    with claim_outputs(nb_path.stem, merged):  # a second run writing the same out_dir is refused
        mlflow.set_tracking_uri(uri)
        return _execute(client, nb_path, merged, overrides, out_root=out_root, experiment=experiment,
                        progress=progress, log_output=log_output, parent_run_id=parent_run_id)


def _execute(client, nb_path: Path, merged: dict, overrides: dict, *, out_root, experiment, progress, log_output,
             parent_run_id) -> RunResult:
    import papermill
    from papermill.exceptions import PapermillExecutionError

    from bnpl import stale_runs
    from bnpl.secrets import redact
    from bnpl.tracking import log_params

    stem = nb_path.stem
    stamp = time.strftime("%Y%m%d-%H%M%S")
    out_dir = Path(out_root or RUNS_DIR) / stem / f"{stamp}-{params_hash(merged)}"
    suffix = 1
    while out_dir.exists():
        out_dir = out_dir.with_name(f"{stamp}-{params_hash(merged)}-{suffix}")
        suffix += 1
    out_dir.mkdir(parents=True)
    executed = out_dir / nb_path.name
    html = out_dir / f"{stem}.html"

    exp_id = ensure_experiment(client, experiment or stem)
    owner = stale_runs.owner_tags()
    run = client.create_run(exp_id, run_name=f"{stem}-{stamp}", tags={
        "notebook": nb_path.name, "git_commit": git_commit(), "run_dir": str(out_dir), **owner,
        "mlflow.source.name": str(nb_path.relative_to(REPO_ROOT)) if nb_path.is_relative_to(REPO_ROOT) else str(nb_path),
        **({"mlflow.parentRunId": parent_run_id} if parent_run_id else {}),
    })
    run_id = run.info.run_id
    log_params(merged, run_id=run_id)
    result = RunResult(stem, run_id, out_dir, executed, None, "RUNNING", merged)
    # the runner's marker: a run folder with status RUNNING whose process is gone was killed (bnpl.stale_runs)
    write_json(out_dir / "run.json", {"notebook": stem, "status": "RUNNING", "run_id": run_id, "params": merged,
                                      "started_at": time.strftime("%Y-%m-%d %H:%M:%S"),
                                      "host": owner[stale_runs.HOST_TAG], "pid": os.getpid(),
                                      "experiment_id": exp_id})
    t0 = time.perf_counter()
    # Progress bars are for terminals and JupyterLab; in a rendered report they are noise.
    env = {RUN_ID_ENV: run_id, RUN_DIR_ENV: str(out_dir), "MLFLOW_TRACKING_URI": client.tracking_uri,
           "TQDM_DISABLE": "1", "MPLBACKEND": "module://matplotlib_inline.backend_inline"}  # figures inline
    stop = _Stop()
    try:
        with _env(env), _echo_progress(out_dir / PROGRESS_FILE, progress), stop.handling_signals():
            papermill.execute_notebook(str(nb_path), str(executed), parameters=overrides, kernel_name=KERNEL_NAME, language="python",
                                       cwd=str(REPO_ROOT), progress_bar=progress, log_output=log_output,
                                       kernel_manager_class=_kernel_manager(out_dir / KERNEL_LOG, stop))
        stop.raise_if_signalled()  # a signal that came after the last cell
    except BaseException as caught:
        e = stop.exception() or caught  # a kernel that died because the signal handler killed it: the signal is the cause
        if not isinstance(e, PapermillExecutionError):
            _close_failed(client, run_id, executed, html, result, e, t0)
            if isinstance(e, (KeyboardInterrupt, BnplError)):
                raise e from None
            raise NotebookFailed(redact(f"{stem}: could not execute: {type(e).__name__}: {e}".splitlines()[0]), result) from e
        result.seconds = time.perf_counter() - t0
        result.status = "FAILED"
        message = redact(f"{stem}: cell {e.cell_index} (execution {e.exec_count}) failed: {e.ename}: {e.evalue}".splitlines()[0])
        client.set_tag(run_id, "failed_cell", str(e.cell_index))
        client.set_tag(run_id, "error", redact(f"{e.ename}: {e.evalue}")[:5000])
        _finish(client, run_id, executed, html, result, "FAILED")
        raise NotebookFailed(f"{message} (executed notebook kept at {executed})", result) from None
    result.seconds = time.perf_counter() - t0
    result.status = "FINISHED"
    client.log_metric(run_id, "runtime_seconds", result.seconds)
    _finish(client, run_id, executed, html, result, "FINISHED")
    return result


#: the kernel process's own stderr (not a cell's output, which goes into the notebook): kept in the run folder,
#: so that its shutdown messages after Ctrl-C or SIGTERM do not flood the console of ``bnpl run``
KERNEL_LOG = "kernel.log"


def _kernel_manager(log: Path, stop: _Stop) -> type:
    """A jupyter_client kernel manager class whose kernel writes its stderr to ``log`` and which ``stop`` can kill."""
    from jupyter_client.manager import AsyncKernelManager

    class LoggedKernelManager(AsyncKernelManager):
        async def start_kernel(self, **kw):  # type: ignore[override]
            stop.manager = self
            with open(log, "ab") as fh:  # the kernel process keeps its own copy of the descriptor
                started = await super().start_kernel(stderr=fh, **kw)
            if stop.signum is not None:  # the signal came while the kernel was starting
                stop.kill_kernel()
            return started

    return LoggedKernelManager


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised like Ctrl-C so that the run is closed as KILLED and ``bnpl run`` exits 143."""


class _Stop:
    """Ctrl-C (SIGINT) and SIGTERM while a notebook executes.

    Python's default SIGINT handler raises KeyboardInterrupt wherever the main thread is, here usually
    inside the asyncio loop that nbclient (under papermill) drives; nbclient's kernel cleanup then runs on
    a loop whose interrupted task is still pending, and on a busy machine that cleanup could wait forever
    (seen in clean-clone test runs). So the handler raises nothing: it records the signal and kills the
    kernel's process group. nbclient sees a dead kernel, fails the cell and cleans up as after any
    failure (connection file removed), papermill returns control, and :meth:`exception` tells the runner
    that the signal, not the notebook, ended the run. A second Ctrl-C raises at once, as before.
    """

    def __init__(self) -> None:
        self.signum: int | None = None
        self.manager: object | None = None

    def exception(self) -> KeyboardInterrupt | None:
        import signal

        if self.signum is None:
            return None
        return Terminated("SIGTERM") if self.signum == signal.SIGTERM else KeyboardInterrupt()

    def raise_if_signalled(self) -> None:
        e = self.exception()
        if e is not None:
            raise e

    def kill_kernel(self) -> None:
        import signal

        provisioner = getattr(self.manager, "provisioner", None)
        pgid, pid = getattr(provisioner, "pgid", None), getattr(provisioner, "pid", None)
        try:
            if pgid:  # jupyter_client starts each kernel in its own session: its children go with it
                os.killpg(pgid, signal.SIGKILL)
            elif pid:
                os.kill(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass  # already gone

    @contextlib.contextmanager
    def handling_signals(self) -> Iterator[None]:
        import signal
        import threading

        if threading.current_thread() is not threading.main_thread():
            yield  # signals are delivered to the main thread only; its own handlers apply
            return

        def handler(signum, frame):
            if self.signum is not None:  # asked twice: stop waiting for the kernel's cleanup
                raise self.exception() or KeyboardInterrupt()
            self.signum = signum
            self.kill_kernel()

        # an ignored signal stays ignored: a shell starts background jobs with SIGINT ignored, so that the
        # terminal's Ctrl-C of the script does not reach them
        old = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)
               if signal.getsignal(sig) is not signal.SIG_IGN}
        # nbclient (through papermill's logger) reports the kernel's death; after our own kill it is expected
        log = logging.getLogger("papermill")
        quiet = _DropWhen(lambda record: self.signum is not None and record.getMessage().startswith("Kernel died"))
        log.addFilter(quiet)
        try:
            yield
        finally:
            log.removeFilter(quiet)
            for sig, previous in old.items():
                signal.signal(sig, previous)


class _DropWhen(logging.Filter):
    def __init__(self, drop: Callable[[logging.LogRecord], bool]):
        super().__init__()
        self.drop = drop

    def filter(self, record: logging.LogRecord) -> bool:
        return not self.drop(record)


def _close_failed(client, run_id: str, executed: Path, html: Path, result: RunResult, e: BaseException, t0: float) -> None:
    """Close a run that did not get through its notebook: KILLED after a signal, FAILED otherwise."""
    from bnpl.secrets import redact

    result.seconds = time.perf_counter() - t0
    interrupted = isinstance(e, KeyboardInterrupt)
    result.status = "KILLED" if interrupted else "FAILED"
    error = f"{type(e).__name__}: {e}" if not interrupted else f"interrupted ({str(e) or 'Ctrl-C'})"
    client.set_tag(run_id, "error", redact(error)[:5000])
    _finish(client, run_id, executed, html, result, result.status)


@contextlib.contextmanager
def _echo_progress(path: Path, enabled: bool, interval: float = 0.5) -> Iterator[None]:
    """While the block runs, print the lines the notebook appends to ``path`` (:func:`bnpl.tracking.progress`),
    so a long cell reports per model / per grid cell on the console of ``bnpl run``."""
    import sys
    import threading

    stop = threading.Event()

    def follow() -> None:
        pos = 0
        while True:
            done = stop.is_set()
            if path.exists():
                with path.open("rb") as fh:
                    fh.seek(pos)
                    chunk = fh.read()
                complete = chunk[: chunk.rfind(b"\n") + 1]      # whole lines only
                pos += len(complete)
                for line in complete.decode(errors="replace").splitlines():
                    print(f"    {line}", file=sys.stderr, flush=True)
            if done:
                return
            stop.wait(interval)

    thread = threading.Thread(target=follow, daemon=True) if enabled else None
    if thread:
        thread.start()
    try:
        yield
    finally:
        stop.set()
        if thread:
            thread.join(timeout=5)


def _finish(client, run_id: str, executed: Path, html: Path, result: RunResult, status: str) -> None:
    from bnpl.secrets import redact_notebook

    if executed.exists():
        try:
            redact_notebook(executed)  # a secret a cell printed never reaches the HTML, the run folder or MLflow
            render_html(executed, html)
            result.html_path = html
        except Exception as e:  # a rendering problem must not hide the run's own outcome
            client.set_tag(run_id, "html_error", f"{type(e).__name__}: {e}"[:500])
        client.log_artifact(run_id, str(executed))
        if result.html_path:
            client.log_artifact(run_id, str(html))
    client.set_terminated(run_id, status)
    run = client.get_run(run_id)
    write_json(result.out_dir / "run.json", {
        "notebook": result.notebook, "status": status, "run_id": run_id, "seconds": round(result.seconds, 2),
        "finished_at": time.strftime("%Y-%m-%d %H:%M:%S"), "params": result.params,
        "executed": executed.name, "html": html.name if result.html_path else None,
        "error": run.data.tags.get("error"), "git_commit": run.data.tags.get("git_commit"),
        "experiment_id": run.info.experiment_id,
        "data": _read_json(result.out_dir / "data.json"),
    })


def _read_json(path: Path) -> dict | None:
    """What the notebook recorded in ``path`` (e.g. :mod:`bnpl.provenance`'s data.json), or None."""
    try:
        return json.loads(path.read_text()) if path.exists() else None
    except (OSError, json.JSONDecodeError):
        return None
