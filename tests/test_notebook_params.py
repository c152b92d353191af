"""Every name in a notebook's parameters cell reaches its parameter model and is logged to MLflow."""
from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from bnpl.errors import BnplError
from bnpl.params import load_params_model

NOTEBOOKS = sorted(Path(__file__).resolve().parents[1].joinpath("notebooks").glob("0[1-4]_*.ipynb"))


def _cells(nb: Path) -> tuple[dict, str, type]:
    doc = json.loads(nb.read_text())
    code = [c for c in doc["cells"] if c["cell_type"] == "code"]
    i = next(i for i, c in enumerate(code) if "parameters" in c["metadata"].get("tags", []))
    values = {}
    for node in ast.parse("".join(code[i]["source"])).body:
        values[node.targets[0].id] = ast.literal_eval(node.value)
    rest = "\n".join("".join(c["source"]) for c in code[i + 1:])
    return values, rest, load_params_model(doc["metadata"]["bnpl"]["params_model"])


def test_the_four_stage_notebooks_are_checked():
    assert [nb.name[:2] for nb in NOTEBOOKS] == ["01", "02", "03", "04"]


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_parameter_reaches_the_model_and_mlflow(nb):
    values, rest, model = _cells(nb)
    assert set(values) == set(model.model_fields), "parameters cell and model fields differ"
    p = model.from_cell(dict(values, unrelated_global=1))
    assert p.model_dump() == values                  # every literal arrives unchanged
    for name in values:                              # ... and is read: a bad value in it is reported by name
        with pytest.raises(BnplError, match=repr(name)):
            model.from_cell(dict(values, **{name: object()}))
    # the validation cell builds p from the cell without restating names, and p is logged as a whole
    assert f"p = {model.__name__}.from_cell(globals())" in rest
    assert "tracking.log_params(p.model_dump())" in rest or "tracking.log_params({**p.model_dump()" in rest


def test_fraud_notebook_refit_parameter_is_not_ignored():
    values, _, model = _cells(NOTEBOOKS[1])
    assert model.from_cell(dict(values, refit=False)).refit is False
    assert model.from_cell(dict(values, refit=True)).refit is True
