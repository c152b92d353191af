"""Shared fixtures: every test gets its own MLflow store and run folder, never the repository's."""
from __future__ import annotations

import os

import pytest

os.environ.setdefault("MPLBACKEND", "Agg")


@pytest.fixture(autouse=True)
def _isolated_tracking(tmp_path_factory, monkeypatch):
    root = tmp_path_factory.mktemp("tracking")
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{root / 'mlflow.db'}")
    monkeypatch.setenv("BNPL_RUN_DIR", str(root / "run"))
    monkeypatch.delenv("BNPL_MLFLOW_RUN_ID", raising=False)
    yield
