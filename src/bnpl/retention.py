"""``bnpl runs clean``: remove old run folders that ``bnpl run`` wrote, and folders its crashed runs left.

A run folder is ``<runs>/<notebook>/<YYYYMMDD-HHMMSS>-<params hash>[-N]`` (:mod:`bnpl.runner`). Removed:

* a folder with the runner's ``run.json`` whose run ended (any status but RUNNING, or RUNNING on this
  host with its process gone) more than ``--older-than`` days ago (by the file's modification time);
* a folder with that name but without ``run.json``, untouched for ``--older-than`` days: the runner
  writes ``run.json`` as soon as it creates the folder, so only a run that crashed before this
  marker existed (an older version of the runner) leaves one.

Anything else is never touched: folders with another name (``interactive``, ``sweeps`` with their
Optuna journals), files, a run still RUNNING on another host or in a live process. Without ``--delete``
the command only lists what it would remove. The MLflow runs stay; their artifacts are in MLflow.
"""
from __future__ import annotations

import argparse
import json
import re
import shutil
import socket
import time
from dataclasses import dataclass
from pathlib import Path

from bnpl.config import RUNS_DIR
from bnpl.errors import BnplError
from bnpl.io import process_alive

RUN_FOLDER = re.compile(r"\d{8}-\d{6}-[0-9a-f]{8}(-\d+)?")
RETENTION_DAYS = 30.0


@dataclass
class Candidate:
    path: Path
    age_days: float
    reason: str


def candidates(runs_dir: Path, older_than_days: float, now: float | None = None) -> list[Candidate]:
    """The run folders under ``runs_dir`` that :func:`clean` would remove (see the module docstring)."""
    now = time.time() if now is None else now
    out = []
    for folder in sorted(p for p in runs_dir.glob("*/*") if p.is_dir() and not p.is_symlink()):
        if not RUN_FOLDER.fullmatch(folder.name):
            continue
        marker = folder / "run.json"
        if marker.exists():
            rec = _read(marker)
            if rec is None or (rec.get("status") == "RUNNING" and not _owner_gone(rec)):
                continue
            age = (now - marker.stat().st_mtime) / 86400
            reason = f"{rec.get('status', '?')} run"
        else:
            age = (now - max((p.stat().st_mtime for p in [folder, *folder.rglob("*")]), default=0)) / 86400
            reason = "no run.json (a crashed run)"
        if age > older_than_days:
            out.append(Candidate(folder, age, reason))
    return out


def _read(marker: Path) -> dict | None:
    try:
        rec = json.loads(marker.read_text())
    except (OSError, ValueError):
        return None
    return rec if isinstance(rec, dict) and "notebook" in rec else None  # not the runner's file: leave it


def _owner_gone(rec: dict) -> bool:
    pid = str(rec.get("pid", ""))
    return rec.get("host") == socket.gethostname() and pid.isdigit() and not process_alive(int(pid))


def clean(runs_dir: Path, older_than_days: float, delete: bool = False) -> list[Candidate]:
    found = candidates(runs_dir, older_than_days)
    if delete:
        for c in found:
            shutil.rmtree(c.path)
    return found


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("runs", help="manage run folders (runs/)")
    what = p.add_subparsers(dest="runs_command", metavar="SUBCOMMAND")
    what.required = True
    c = what.add_parser("clean", help="list (or with --delete remove) run folders older than the retention",
                        description=__doc__.split("\n\n")[1] if __doc__ else None)
    c.add_argument("--older-than", type=float, default=RETENTION_DAYS, metavar="DAYS",
                   help="retention: folders of runs that ended more than DAYS days ago")
    c.add_argument("--runs-dir", type=Path, default=RUNS_DIR, help="folder of run outputs")
    c.add_argument("--delete", action="store_true", help="remove them (without it: only list them)")
    c.set_defaults(func=_clean)


def _clean(args: argparse.Namespace) -> int:
    from bnpl import cli_checks

    cli_checks.in_range("--older-than", args.older_than, 0, 36500)
    if not args.runs_dir.is_dir():
        raise BnplError(f"{args.runs_dir}: no such folder of runs")
    found = clean(args.runs_dir, args.older_than, delete=args.delete)
    verb = "removed" if args.delete else "would remove"
    for c in found:
        print(f"{verb} {c.path}  ({c.reason}, {c.age_days:.1f} days old)")
    print(f"{verb} {len(found)} run folder(s) older than {args.older_than:g} days"
          + ("" if args.delete or not found else "; add --delete to remove them"))
    return 0
