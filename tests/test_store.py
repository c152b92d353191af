"""The MLflow store: migrated once under a lock by concurrent processes on a fresh mlflow.db; an HTTP
tracking URI that does not answer fails in seconds with one line naming it (password redacted)."""
from __future__ import annotations

import multiprocessing as mp
import socket
import sqlite3
import time

import pytest

from bnpl import store
from bnpl.errors import BnplError


def _open_and_log(uri: str, name: str, barrier) -> None:
    from bnpl.tracking import ensure_experiment

    barrier.wait()  # every process opens the fresh store at the same moment
    c = store.client(uri)
    run = c.create_run(ensure_experiment(c, "race"), run_name=name)
    c.log_param(run.info.run_id, "name", name)
    c.set_terminated(run.info.run_id, "FINISHED")


@pytest.mark.slow  # three spawned processes importing MLflow (about 20 s on 2 busy cores)
def test_processes_on_a_fresh_sqlite_store_migrate_it_once(tmp_path):
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    ctx = mp.get_context("spawn")
    barrier = ctx.Barrier(3)
    procs = [ctx.Process(target=_open_and_log, args=(uri, f"p{i}", barrier)) for i in range(3)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=120)
    assert [p.exitcode for p in procs] == [0, 0, 0]
    c = store.client(uri)
    runs = c.search_runs([c.get_experiment_by_name("race").experiment_id])
    assert sorted(r.data.params["name"] for r in runs) == ["p0", "p1", "p2"]
    with sqlite3.connect(tmp_path / "mlflow.db") as db:
        assert db.execute("pragma integrity_check").fetchone() == ("ok",)
    assert (tmp_path / "mlflow.db.lock").exists()


def _closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def test_unreachable_http_tracking_uri_fails_fast_with_one_line(monkeypatch, capsys, tmp_path):
    from bnpl.cli import main
    from tests.test_runner import make_notebook

    uri = f"http://alice:s3cret-pass@127.0.0.1:{_closed_port()}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    nb = make_notebook(tmp_path / "demo.ipynb", "raise RuntimeError('must not run')")
    t0 = time.perf_counter()
    assert main(["run", str(nb), "--out-root", str(tmp_path / "runs")]) == 2
    assert time.perf_counter() - t0 < 10
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "does not answer" in err
    assert "127.0.0.1" in err and "s3cret-pass" not in err and "alice:***@" in err
    assert not (tmp_path / "runs").exists()


def test_a_server_that_answers_any_http_status_is_reachable():
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    class NotFound(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_error(404)

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), NotFound)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        store.probe(f"http://127.0.0.1:{server.server_port}")
    finally:
        server.shutdown()
    with pytest.raises(BnplError, match="does not answer"):
        store.probe(f"http://127.0.0.1:{_closed_port()}", timeout=1.0)
