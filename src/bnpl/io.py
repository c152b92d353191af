"""Atomic writes: outputs go to a temporary path next to the target, renamed only on success.

A process killed mid-write (even with SIGKILL) leaves the old file or the new one at the target,
never a truncated one; the temporary file (``.<name>.<random>.tmp``) is all that can be left
behind. Files written this way get the mode a plain ``open(path, "w")`` would give them: an
existing target keeps its mode, a new one gets ``0o666`` minus the process umask.

JSON is strict (RFC 8259): NaN and +/-infinity, which are not JSON, are written as ``null``
(the rule pandas' ``to_json`` follows), so every file :func:`write_json` writes is read back by
any JSON parser. Numpy scalars and arrays, paths and dates (ISO 8601) are converted; other
objects are refused with a :class:`~bnpl.errors.BnplError` naming the key.
"""
from __future__ import annotations

import datetime
import json
import math
import os
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bnpl.errors import BnplError


@contextmanager
def atomic_path(path: str | Path, suffix: str = "") -> Iterator[Path]:
    """Yield a temporary path next to ``path``; rename it onto ``path`` only if the block succeeds."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=suffix or ".tmp")
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        if tmp_path.exists():
            os.chmod(tmp_path, _mode_for(path))
        os.replace(tmp_path, path)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def _mode_for(path: Path) -> int:
    """The permission bits a plain write would leave on ``path``: its current ones, else 0o666 & ~umask."""
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        return 0o666 & ~current_umask()


def current_umask() -> int:
    """The process umask, read from /proc where it exists (setting it to read it races with threads)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except OSError:
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def check_output(path: str | Path, folder: bool = False) -> Path:
    """Raise :class:`BnplError` naming ``path`` unless a file (or, with ``folder``, a folder) can be
    written there: call it before long work, so a bad ``--out`` fails first, not after the work."""
    p = Path(path)
    what = "folder" if folder else "file"
    if p.exists() and p.is_dir() != folder:
        raise BnplError(f"{p}: cannot write a {what} here: it is {'a folder' if p.is_dir() else 'a file'}")
    ancestor = p if p.is_dir() else p.parent
    while not ancestor.exists():
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        raise BnplError(f"{p}: cannot write a {what} here: {ancestor} is a file, not a folder")
    if not os.access(ancestor, os.W_OK | os.X_OK):
        raise BnplError(f"{p}: cannot write a {what} here: {ancestor} is not writable")
    return p


def write_text(path: str | Path, text: str) -> Path:
    with atomic_path(path) as tmp:
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
    return Path(path)


def write_json(path: str | Path, obj: Any) -> Path:
    """Write ``obj`` as strict JSON (NaN and infinities become ``null``; see the module docstring)."""
    return write_text(path, json.dumps(strict_json(obj), indent=2, sort_keys=False, allow_nan=False) + "\n")


def strict_json(obj: Any, where: str = "$") -> Any:
    """``obj`` with numpy values, paths and tuples converted and non-finite floats replaced by ``None``.

    Raises :class:`BnplError` naming the key (as a JSON path such as ``$.metrics.auroc``) of an
    object JSON cannot hold.
    """
    import numpy as np

    if isinstance(obj, dict):
        out = {}
        for k, v in obj.items():
            k = k.item() if isinstance(k, np.generic) else k
            if not isinstance(k, (str, int, float, bool)) and k is not None:
                raise BnplError(f"cannot write JSON: key {k!r} at {where} is a {type(k).__name__}, not a string")
            out[k] = strict_json(v, f"{where}.{k}")
        return out
    if isinstance(obj, (list, tuple)):
        return [strict_json(v, f"{where}[{i}]") for i, v in enumerate(obj)]
    if isinstance(obj, np.ndarray):
        return strict_json(obj.tolist(), where)
    if isinstance(obj, (bool, np.bool_)):
        return bool(obj)
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        return float(obj) if math.isfinite(obj) else None
    if obj is None or isinstance(obj, str):
        return obj
    if isinstance(obj, Path):
        return str(obj)
    if isinstance(obj, (datetime.date, datetime.datetime)):
        return obj.isoformat()
    raise BnplError(f"cannot write JSON: value at {where} is a {type(obj).__name__}")


def process_alive(pid: int) -> bool:
    """Whether process ``pid`` still runs on this machine (to tell a killed writer's leftovers from a live one's)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, owned by someone else
        return True
    return True


def read_yaml_mapping(path: str | Path, what: str) -> dict:
    """The YAML mapping in ``path`` (``yaml.safe_load``; an empty file is ``{}``), or one BnplError that names
    ``what`` and the file: missing, a folder, not valid YAML, or not a mapping."""
    from bnpl.errors import BnplError

    path = Path(path)
    if not path.is_file():
        raise BnplError(f"{what} {path} not found" + (" (it is a folder)" if path.is_dir() else ""))
    import yaml

    try:
        loaded = yaml.safe_load(path.read_text())
    except (yaml.YAMLError, UnicodeDecodeError) as e:
        raise BnplError(f"{what} {path}: not valid YAML ({str(e).splitlines()[0]})") from None
    if loaded is None:
        return {}
    if not isinstance(loaded, dict):
        raise BnplError(f"{what} {path}: expected a mapping of keys to values, got {type(loaded).__name__}")
    return loaded
