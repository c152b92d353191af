"""A throwaway PostgreSQL server for tests: installed with apt when it can be, started in a temp folder.

``postgres_url`` yields ``postgresql://postgres@127.0.0.1:PORT/postgres`` of a fresh cluster (trust
authentication, localhost only) and stops it afterwards. Without PostgreSQL binaries, and when
``apt-get install postgresql`` is not possible, the tests using it skip with the reason.
"""
from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import pytest


def _bin_dir() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _install() -> str | None:
    """Install the Debian package; returns why it could not be, or None."""
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        return "PostgreSQL is not installed and apt-get is not available as root to install it"
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for cmd in (["apt-get", "update"], ["apt-get", "install", "-y", "postgresql"]):
        r = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600)
        if r.returncode:
            return f"'{' '.join(cmd)}' failed: {(r.stderr or r.stdout).strip().splitlines()[-1:]}"
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def postgres_url():
    bin_dir = _bin_dir()
    if bin_dir is None:
        why = _install()
        bin_dir = _bin_dir()
        if bin_dir is None:
            pytest.skip(f"no PostgreSQL server: {why or 'initdb not found after installing'}")
    root = Path(tempfile.mkdtemp(prefix="bnpl-postgres-"))  # not under pytest's folder: postgres must reach it
    data = root / "data"
    as_user: list[str] = []
    if os.geteuid() == 0:  # the server refuses to run as root: run it as the package's postgres user
        try:
            shutil.chown(root, "postgres")
        except (LookupError, PermissionError) as e:
            pytest.skip(f"cannot hand a folder to the postgres user: {e}")
        as_user = ["runuser", "-u", "postgres", "--"]
    run = lambda *cmd: subprocess.run([*as_user, *cmd], capture_output=True, text=True, timeout=120)  # noqa: E731
    r = run(str(bin_dir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres")
    if r.returncode:
        pytest.skip(f"initdb failed: {r.stderr.strip().splitlines()[-1:]}")
    port = free_port()
    opts = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c max_connections=100"
    r = run(str(bin_dir / "pg_ctl"), "-D", str(data), "-o", opts, "-l", str(root / "server.log"), "-w", "start")
    if r.returncode:
        pytest.skip(f"PostgreSQL did not start: {r.stderr.strip() or (root / 'server.log').read_text()[-300:]}")
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        run(str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop")
        shutil.rmtree(root, ignore_errors=True)


def create_database(url: str, name: str) -> str:
    """A new empty database on the server of ``url``; returns its URL."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return url.rsplit("/", 1)[0] + f"/{name}"
