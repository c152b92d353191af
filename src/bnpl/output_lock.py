"""One run at a time per output folder.

A notebook parameter named in :data:`OUTPUT_PARAMETERS` (``out_dir``) is a folder the notebook writes.
While ``bnpl run`` executes it, the runner holds an exclusive ``flock`` on a lock file named by a hash
of the folder's absolute path (in :func:`lock_dir`, outside the repository); a second run given the same
folder is refused at once with one line naming the folder and the run that holds it, instead of both
writing it and one MLflow record describing data that the other replaced. The lock is the kernel's
``flock``, so it is released when the process ends, however it ends: a killed run never blocks the next.
"""
from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import tempfile
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from bnpl.config import repo_path
from bnpl.errors import BnplError

OUTPUT_PARAMETERS = ("out_dir",)
LOCK_DIR_ENV = "BNPL_LOCK_DIR"


def lock_dir() -> Path:
    """``$BNPL_LOCK_DIR``, else a per-user folder in the system's temporary directory."""
    d = Path(os.environ.get(LOCK_DIR_ENV) or Path(tempfile.gettempdir()) / f"bnpl-locks-{os.getuid()}")
    d.mkdir(mode=0o700, parents=True, exist_ok=True)
    return d


@contextlib.contextmanager
def claim_outputs(notebook: str, params: Mapping[str, Any]) -> Iterator[None]:
    """Hold the lock of every output folder in ``params`` for the block; BnplError if another run holds one."""
    with contextlib.ExitStack() as stack:
        for name in OUTPUT_PARAMETERS:
            if params.get(name):
                stack.enter_context(claim(repo_path(params[name]), f"{notebook}: {name}"))
        yield


@contextlib.contextmanager
def claim(folder: Path, what: str) -> Iterator[None]:
    folder = folder.resolve()
    lock = lock_dir() / (hashlib.sha1(str(folder).encode()).hexdigest()[:16] + ".lock")
    fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 200, 0).decode(errors="replace").strip() or "another process"
            raise BnplError(f"{what} {folder} is being written by another run ({holder}); wait for it to "
                            "finish or give another folder") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()}, since {time.strftime('%H:%M:%S')}".encode(), 0)
        yield
    finally:
        os.close(fd)
