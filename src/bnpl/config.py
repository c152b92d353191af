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
