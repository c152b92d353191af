"""Committed notebooks carry no outputs, one literal parameters cell, and a params model the runner can import."""
from __future__ import annotations

import subprocess

import nbformat
import pytest

from bnpl.config import REPO_ROOT
from bnpl.params import load_params_model
from bnpl.runner import notebook_defaults, stage_notebooks


def committed_notebooks():
    out = subprocess.run(["git", "ls-files", "*.ipynb"], cwd=REPO_ROOT, capture_output=True, text=True)
    files = [REPO_ROOT / f for f in out.stdout.split()] if out.returncode == 0 else []
    return files or stage_notebooks()


@pytest.mark.parametrize("path", committed_notebooks(), ids=lambda p: p.name)
def test_notebook_is_clean_and_parameterised(path):
    nb = nbformat.read(path, as_version=4)
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            assert not cell.get("outputs"), f"{path.name} cell {i} has outputs"
            assert cell.get("execution_count") is None, f"{path.name} cell {i} has an execution count"
    defaults, model = notebook_defaults(path)
    assert defaults, f"{path.name} has no parameters"
    assert model, f"{path.name} names no params model in metadata.bnpl.params_model"
    load_params_model(model)(**defaults)  # the defaults themselves validate
    assert nb.metadata.get("kernelspec", {}).get("name") == "bnpl", f"{path.name} kernelspec is not 'bnpl'"
