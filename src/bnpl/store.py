"""The MLflow tracking store, opened the same way by the runner, the report, sweeps and notebooks.

:func:`client` returns an ``MlflowClient`` for the tracking URI after two checks:

* **one migration at a time.** Opening a SQLite store that has no tables makes MLflow create and
  migrate the schema; two commands doing that at once on a fresh ``mlflow.db`` crash, and can leave
  it half-migrated. The store is therefore opened under an exclusive ``flock`` on ``<db>.lock``,
  the file beside the database, so the first process migrates and the others wait and then find
  the tables there. The lock is held only while the store is opened, never during a run.
* **an HTTP server that answers.** For an ``http(s)://`` URI one request to the server (``/health``)
  with a timeout of :data:`PROBE_TIMEOUT` seconds; no answer is one :class:`~bnpl.errors.BnplError`
  naming the URI (credentials in it redacted), instead of MLflow's minutes of silent retries.
"""
from __future__ import annotations

import contextlib
import fcntl
import functools
import os
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from bnpl.config import tracking_uri
from bnpl.errors import BnplError

PROBE_TIMEOUT = 3.0


def client(uri: str | None = None):
    """An ``MlflowClient`` on ``uri`` (default: :func:`bnpl.config.tracking_uri`), store created under the lock."""
    from mlflow.tracking import MlflowClient

    uri = uri or tracking_uri()
    if uri.startswith(("http://", "https://")):
        probe(uri)
    with store_lock(uri):
        return MlflowClient(tracking_uri=uri)


def sqlite_path(uri: str) -> Path | None:
    """The database file of a ``sqlite:///`` URI, else None."""
    if not uri.startswith("sqlite:///"):
        return None
    return Path(uri.removeprefix("sqlite://").split("?", 1)[0])


@contextlib.contextmanager
def store_lock(uri: str) -> Iterator[None]:
    """An exclusive flock on ``<db>.lock`` for a SQLite store; nothing for other stores (their servers
    or databases serialise their own migrations)."""
    db = sqlite_path(uri)
    if db is None:
        yield
        return
    db.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(f"{db}.lock", os.O_RDWR | os.O_CREAT, 0o666)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def redact_uri(uri: str) -> str:
    """``uri`` with a password (``user:secret@host``) replaced by ``***``."""
    parts = urlsplit(uri)
    if parts.password is None:
        return uri
    netloc = f"{parts.username}:***@{parts.hostname}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


@functools.lru_cache(maxsize=16)
def probe(uri: str, timeout: float = PROBE_TIMEOUT) -> None:
    """Raise BnplError naming ``uri`` unless its server answers an HTTP request within ``timeout`` seconds
    (any HTTP status counts as an answer: the server is there). A success is remembered per process."""
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(uri.rstrip("/") + "/health", timeout=timeout):
            pass
    except urllib.error.HTTPError:
        return
    except (urllib.error.URLError, OSError, ValueError) as e:
        reason = getattr(e, "reason", e)
        raise BnplError(f"MLflow tracking server {redact_uri(uri)} does not answer ({reason}); start it "
                        "(make mlflow-server) or unset MLFLOW_TRACKING_URI to use mlflow.db") from None
