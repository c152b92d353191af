"""Real signals to a real ``bnpl run`` on a tiny notebook that sleeps: SIGTERM and Ctrl-C close the run as
KILLED with one line and leave no kernel behind; after SIGKILL the next ``bnpl run`` / ``bnpl report``
marks the orphaned run KILLED with a note, and the report shows it."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from mlflow.tracking import MlflowClient

from bnpl.io import process_alive
from tests.test_runner import make_notebook

pytestmark = pytest.mark.slow  # a CLI process and a kernel per test, about 10 s each on 2 busy cores

SLEEPER = """
import os, time, pathlib
pathlib.Path(marker).write_text(str(os.getpid()))
time.sleep(120)
pathlib.Path(marker + ".after").write_text("the kernel kept running")
"""


def interruptible() -> None:
    """``preexec_fn`` of a process the test will interrupt: SIGINT back to its default. A shell starts
    background jobs (``make test &``, some CI runners) with SIGINT ignored, children inherit that, and an
    ignored SIGINT is respected by Python and by ``bnpl``: Ctrl-C would never arrive and the test would hang."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def bnpl() -> Path:
    exe = Path(sys.executable).parent / "bnpl"
    if not exe.exists():
        pytest.skip(f"no console script {exe} (install the package with `make setup`)")
    return exe


def start(tmp_path: Path) -> tuple[subprocess.Popen, Path, Path]:
    """``bnpl run`` of the sleeper in its own session; returns it once the kernel is inside the sleeping cell."""
    nb = make_notebook(tmp_path / "sleeper.ipynb", SLEEPER, params="marker = ''\n")
    marker = tmp_path / "kernel.pid"
    runtime = tmp_path / "jupyter-runtime"
    env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(runtime)}
    proc = subprocess.Popen([str(bnpl()), "run", str(nb), "-p", "marker", str(marker), "--out-root",
                             str(tmp_path / "runs")], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True, preexec_fn=interruptible)
    deadline = time.time() + 120
    while not marker.exists():
        if proc.poll() is not None or time.time() > deadline:
            proc.kill()
            pytest.fail(f"the notebook never started: {proc.communicate()[1][-2000:]}")
        time.sleep(0.2)
    return proc, marker, runtime


def the_run(tmp_path: Path):
    client = MlflowClient(os.environ["MLFLOW_TRACKING_URI"])
    exp = client.get_experiment_by_name("sleeper")
    (run,) = client.search_runs([exp.experiment_id])
    return client.get_run(run.info.run_id)


def finish(proc: subprocess.Popen, seconds: float) -> str:
    """stderr of ``proc`` once it exits; if it does not within ``seconds``, fail with the stacks it was stuck in
    (``bnpl`` prints them on SIGUSR1, :func:`bnpl.cli.stacks_on_sigusr1`)."""
    try:
        return proc.communicate(timeout=seconds)[1]
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGUSR1)
        time.sleep(2)
        proc.kill()
        pytest.fail(f"bnpl did not exit within {seconds} s of the signal; where it waited:\n{proc.communicate()[1][-8000:]}")


def wait_gone(pid: int, seconds: float = 20) -> bool:
    deadline = time.time() + seconds
    while process_alive(pid) and time.time() < deadline:
        time.sleep(0.2)
    return not process_alive(pid)


@pytest.mark.parametrize("how", ["SIGTERM", "Ctrl-C"])
def test_sigterm_and_ctrl_c_close_the_run_and_the_kernel(tmp_path, how):
    proc, marker, runtime = start(tmp_path)
    kernel = int(marker.read_text())
    if how == "SIGTERM":
        proc.send_signal(signal.SIGTERM)          # to bnpl run only, as `kill PID` or a scheduler does
    else:
        os.killpg(proc.pid, signal.SIGINT)        # a terminal's Ctrl-C reaches the whole foreground group
    err = finish(proc, 60)
    assert proc.returncode == (143 if how == "SIGTERM" else 130), err
    lines = [ln for ln in err.replace("\r", "\n").splitlines() if ln.strip() and not ln.startswith("Executing:")]
    assert lines[-1] == ("bnpl run: terminated" if how == "SIGTERM" else "bnpl run: interrupted"), err
    assert "Traceback" not in err and "Kernel died" not in err and len(lines) == 1, err  # apart from the bar, one line
    assert wait_gone(kernel), "the kernel outlived bnpl run"
    assert not (tmp_path / "kernel.pid.after").exists()
    assert not list(runtime.glob("kernel-*.json")), "kernel connection files left behind"
    run = the_run(tmp_path)
    assert run.info.status == "KILLED"
    assert run.data.tags["error"] == ("interrupted (SIGTERM)" if how == "SIGTERM" else "interrupted (Ctrl-C)")
    rec = json.loads((Path(run.data.tags["run_dir"]) / "run.json").read_text())
    assert rec["status"] == "KILLED"


def test_sigkill_leaves_a_run_that_the_next_command_marks_killed(tmp_path):
    from bnpl.cli import main

    proc, marker, _ = start(tmp_path)
    kernel = int(marker.read_text())
    proc.kill()
    proc.wait(timeout=30)
    assert wait_gone(kernel), "the kernel outlived a SIGKILLed bnpl run"  # ipykernel polls its parent (JPY_PARENT_PID)
    assert not (tmp_path / "kernel.pid.after").exists()
    run = the_run(tmp_path)
    assert run.info.status == "RUNNING"
    assert main(["report", "--runs-dir", str(tmp_path / "runs"), "--out", str(tmp_path / "reports")]) == 0
    run = the_run(tmp_path)
    assert run.info.status == "KILLED" and f"pid {proc.pid}" in run.data.tags["bnpl.note"]
    rec = json.loads((Path(run.data.tags["run_dir"]) / "run.json").read_text())
    assert rec["status"] == "KILLED" and "ended without closing this run" in rec["error"]
    html = (tmp_path / "reports" / "index.html").read_text()
    assert "Latest run KILLED" in html and "ended without closing this run" in html


def test_the_signal_handler_kills_the_kernel_instead_of_raising_inside_the_event_loop():
    """The first Ctrl-C or SIGTERM only records itself and kills the kernel's process group (a KeyboardInterrupt
    raised inside nbclient's asyncio loop could leave its cleanup waiting forever); a second one raises."""
    from types import SimpleNamespace

    from bnpl.runner import Terminated, _Stop

    before = signal.signal(signal.SIGINT, signal.default_int_handler)  # whatever pytest was started with
    try:
        for signum, expected in ((signal.SIGINT, KeyboardInterrupt), (signal.SIGTERM, Terminated)):
            outer = signal.getsignal(signum)
            kernel = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"], start_new_session=True)
            stop = _Stop()
            stop.manager = SimpleNamespace(provisioner=SimpleNamespace(pgid=os.getpgid(kernel.pid), pid=kernel.pid))
            with stop.handling_signals():
                os.kill(os.getpid(), signum)   # handled between two bytecodes of this thread: nothing is raised
                time.sleep(0.2)
                assert kernel.wait(timeout=10) == -signal.SIGKILL
                assert type(stop.exception()) is expected
                with pytest.raises(expected):
                    os.kill(os.getpid(), signum)
                    time.sleep(1)
            assert signal.getsignal(signum) is outer  # handlers restored
    finally:
        signal.signal(signal.SIGINT, before)


def test_an_ignored_sigint_stays_ignored():
    """A background job of a shell script starts with SIGINT ignored; bnpl keeps it so, like Python itself."""
    from bnpl.runner import _Stop

    before = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        stop = _Stop()
        with stop.handling_signals():
            assert signal.getsignal(signal.SIGINT) is signal.SIG_IGN
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(0.2)
        assert stop.signum is None and signal.getsignal(signal.SIGINT) is signal.SIG_IGN
    finally:
        signal.signal(signal.SIGINT, before)
