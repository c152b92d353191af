"""Paths, tracking URI and defaults shared by the CLI, the runner and the notebooks."""
from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
DATA_DIR = REPO_ROOT / "data"
RUNS_DIR = REPO_ROOT / "runs"
REPORTS_DIR = REPO_ROOT / "reports"
NOTEBOOKS_DIR = REPO_ROOT / "notebooks"
EXPERIMENTS_DIR = REPO_ROOT / "experiments"
SHARED_DATA_DIR = REPO_ROOT.parent / "shared" / "data"
KERNEL_NAME = "bnpl"
# CPU threads of torch and LightGBM in the fraud models ($BNPL_THREADS; the benchmarks were measured with 2)
THREADS = int(os.environ.get("BNPL_THREADS", "2"))


def tracking_uri() -> str:
    """MLflow tracking URI: ``$MLFLOW_TRACKING_URI`` or SQLite ``mlflow.db`` at the repository root."""
    return os.environ.get("MLFLOW_TRACKING_URI") or f"sqlite:///{REPO_ROOT / 'mlflow.db'}"


def shared_data(*parts: str) -> Path | None:
    """Path under ``../shared/data`` if that file or folder exists, else ``None``."""
    p = SHARED_DATA_DIR.joinpath(*parts)
    return p if p.exists() else None


def repo_path(path: str | Path) -> Path:
    """``path`` as given when absolute, else relative to the repository root (notebook parameters use this)."""
    p = Path(path)
    return p if p.is_absolute() else REPO_ROOT / p


def env(name: str, default: str | None = None) -> str | None:
    """``$name`` from the environment, else from the repository's ``.env`` file, else ``default``.

    ``.env`` (ignored by git, never committed) holds ``NAME=value`` lines; it is read on each call
    and never copied into ``os.environ``, so its secrets do not reach child processes or logs.
    """
    if name in os.environ:
        return os.environ[name]
    return read_env_file(REPO_ROOT / ".env").get(name, default)


def read_env_file(path: str | Path) -> dict[str, str]:
    """``NAME=value`` pairs of a ``.env`` file: blank lines and ``#`` comments skipped, an ``export ``
    prefix and matching quotes around the value removed; {} when the file does not exist."""
    p = Path(path)
    if not p.is_file():
        return {}
    out = {}
    for line in p.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        name, _, value = line.removeprefix("export ").partition("=")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        elif " #" in value:
            value = value.split(" #", 1)[0].rstrip()
        out[name.strip()] = value
    return out
