"""Optuna storage for a sweep: a journal file on one machine, PostgreSQL for many.

Its own module (no sweep files, no runner) so that a trial's pruning hook, which ``bnpl.tracking`` calls,
opens the study without importing the runner that imports ``bnpl.tracking``.
"""
from __future__ import annotations

import time
import warnings
from pathlib import Path

import optuna

from bnpl.errors import BnplError

HEARTBEAT_S = 20
GRACE_S = 90


def make_storage(url: str | Path):
    """``postgresql://...`` → an RDB storage with heartbeats; anything else is a journal file path."""
    text = str(url)
    if text.startswith(("postgresql://", "postgresql+")):
        for attempt in range(5):  # workers starting together on a fresh database race to create its tables
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
                    return optuna.storages.RDBStorage(text, heartbeat_interval=HEARTBEAT_S, grace_period=GRACE_S)
            except Exception as e:  # connection refused, bad credentials, missing driver: one line, not a traceback
                if type(e).__name__ != "IntegrityError" or attempt == 4:
                    raise BnplError(f"storage {text}: cannot open ({type(e).__name__}: {str(e).splitlines()[0]})") from None
                time.sleep(1 + attempt)
    if "://" in text:
        raise BnplError(f"storage {text}: use a journal file path or a postgresql:// URL "
                        "(SQLite locks up with parallel workers)")
    path = Path(text)
    path.parent.mkdir(parents=True, exist_ok=True)
    from optuna.storages.journal import JournalFileBackend, JournalFileOpenLock

    backend = JournalFileBackend(str(path), lock_obj=JournalFileOpenLock(str(path)))
    return optuna.storages.JournalStorage(backend)
