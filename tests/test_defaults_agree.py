"""One source for each default: a notebook's parameters cell (literals only) holds its parameter model's
defaults; GNN epochs / hidden size agree across notebook 02, FraudParams, the CLI, the benchmark and the
training config; the world defaults of notebook 01 and ``bnpl data generate`` are WorldConfig's."""
from __future__ import annotations

import pytest

from bnpl.cli import build_parser
from bnpl.config import NOTEBOOKS_DIR
from bnpl.data.params import DataPrepParams
from bnpl.data.synthetic.config import WorldConfig
from bnpl.fraud.benchmark import BenchmarkConfig
from bnpl.fraud.defaults import DEFAULT_EPOCHS, DEFAULT_HIDDEN, DEFAULT_PATIENCE
from bnpl.fraud.params import FraudParams
from bnpl.fraud.train import TrainConfig
from bnpl.params import load_params_model
from bnpl.runner import notebook_defaults

NOTEBOOKS = sorted(NOTEBOOKS_DIR.glob("0[1-4]_*.ipynb"))


def _model_defaults(model) -> dict:
    return {name: f.get_default(call_default_factory=True) for name, f in model.model_fields.items()}


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=lambda p: p.stem)
def test_parameters_cell_holds_the_model_defaults(nb):
    cell, spec = notebook_defaults(nb)
    model = load_params_model(spec)
    assert cell == _model_defaults(model)
    assert all(f.description for f in model.model_fields.values()), "every parameter has a description"


def test_gnn_defaults_agree_everywhere():
    cell, _ = notebook_defaults(NOTEBOOKS_DIR / "02_fraud_gnn.ipynb")
    args = build_parser().parse_args(["fraud", "benchmark", "--dataset", "s-ffsd", "--path", "x", "--out", "y"])
    train, bench, params = TrainConfig(), BenchmarkConfig(), FraudParams()
    for value in (cell["epochs"], params.epochs, args.epochs, bench.epochs, train.epochs):
        assert value == DEFAULT_EPOCHS
    for value in (cell["hidden"], params.hidden, args.hidden, bench.hidden, train.hidden):
        assert value == DEFAULT_HIDDEN
    assert bench.patience == train.patience == DEFAULT_PATIENCE


def test_world_defaults_come_from_world_config(capsys):
    world = WorldConfig().model_dump()
    assert DataPrepParams().world_config() == WorldConfig()
    for name, f in WorldConfig.model_fields.items():           # inherited: bounds and meaning included
        assert repr(DataPrepParams.model_fields[name]) == repr(f)
    args = build_parser().parse_args(["data", "generate", "--out", "x"])
    assert all(getattr(args, name) is None for name in world)  # unset options fall back to WorldConfig
    with pytest.raises(SystemExit):
        build_parser().parse_args(["data", "generate", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    for name, value in world.items():
        assert f"--{name.replace('_', '-')}" in text and f"(default {value})" in text


@pytest.mark.parametrize("days", [float("inf"), float("nan"), 0.0, 7.0, 3651.0])
def test_days_is_bounded(days):
    from bnpl.errors import BnplError
    from bnpl.params import validate

    with pytest.raises(BnplError, match="'days'"):
        validate(DataPrepParams, {"days": days})
