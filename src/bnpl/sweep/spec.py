"""Sweep files: what a sweep runs, read from YAML and checked before any trial starts.

A sweep file names a notebook, the parameters every trial shares (``fixed``), an
``objective`` (a *validation* metric the notebook logs, and a direction) and either a
``grid`` (every combination runs once) or an Optuna ``search`` (sampler, seed, number
of trials, search space)::

    notebook: 02_fraud_gnn
    fixed: {dataset: synthetic, seeds: [0]}
    objective: {metric: best.val_auprc, direction: maximize}
    search:
      sampler: tpe            # tpe | random
      pruner: {type: median}  # none | median (needs the notebook to log the objective with a step)
      seed: 0
      n_trials: 20
      space:
        epochs: {type: int, low: 20, high: 150, log: true}
        hidden: {type: categorical, choices: [16, 32, 64]}

Unknown keys and bad values raise :class:`~bnpl.errors.BnplError` in one line naming the
file and the key; trial parameters are checked against the notebook's params model
(``bnpl.runner.check_params``), so a misspelt parameter fails before anything runs.
"""
from __future__ import annotations

import hashlib
import itertools
import json
import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from bnpl.errors import BnplError
from bnpl.io import read_yaml_mapping

_VALIDATION = re.compile(r"^(val|valid|validation)(?![a-z])", re.IGNORECASE)


def is_validation_metric(name: str) -> bool:
    """True when one dotted/slashed part of ``name`` starts with ``val``/``valid``/``validation`` and none says ``test``.

    ``best.val_auprc`` and ``val/ndcg`` qualify; ``best.auprc``, ``test_val_auprc`` and ``interval`` do not.
    """
    parts = re.split(r"[./]", name)
    return any(_VALIDATION.match(p) for p in parts) and "test" not in name.lower()


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Objective(_Strict):
    metric: str
    direction: Literal["maximize", "minimize"] = "maximize"

    @field_validator("metric")
    @classmethod
    def _validation_only(cls, v: str) -> str:
        if not is_validation_metric(v):
            raise ValueError(f"{v!r} is not a validation metric (a sweep must not tune on test): "
                             "name one whose part starts with 'val', e.g. 'best.val_auprc'")
        return v


class IntParam(_Strict):
    type: Literal["int"]
    low: int
    high: int
    step: int = 1
    log: bool = False

    @model_validator(mode="after")
    def _range(self):
        if self.low > self.high:
            raise ValueError(f"low {self.low} > high {self.high}")
        return self


class FloatParam(_Strict):
    type: Literal["float"]
    low: float
    high: float
    log: bool = False

    @model_validator(mode="after")
    def _range(self):
        if self.low > self.high or (self.log and self.low <= 0):
            raise ValueError(f"bad range low={self.low} high={self.high}" + (" (log needs low > 0)" if self.log else ""))
        return self


class CategoricalParam(_Strict):
    type: Literal["categorical"]
    choices: list[Any] = Field(min_length=1)


ParamSpace = Annotated[IntParam | FloatParam | CategoricalParam, Field(discriminator="type")]


class Pruner(_Strict):
    """Stops a trial whose intermediate objective (logged with a step) is worse than the median of earlier trials."""

    type: Literal["none", "median"] = "none"
    n_startup_trials: int = Field(5, ge=0)
    n_warmup_steps: int = Field(0, ge=0)


class Search(_Strict):
    sampler: Literal["tpe", "random"] = "tpe"
    pruner: Pruner = Field(default_factory=Pruner)
    seed: int = 0
    n_trials: int = Field(ge=1)
    space: dict[str, ParamSpace] = Field(min_length=1)


class Sweep(_Strict):
    name: str = Field("", pattern=r"^[A-Za-z0-9_.-]*$")
    notebook: str
    fixed: dict[str, Any] = Field(default_factory=dict)
    objective: Objective
    grid: dict[str, list[Any]] | None = None
    search: Search | None = None

    @model_validator(mode="after")
    def _one_mode(self):
        if (self.grid is None) == (self.search is None):
            raise ValueError("give exactly one of 'grid' and 'search'")
        if self.grid is not None and any(len(v) == 0 for v in self.grid.values()):
            raise ValueError("every grid parameter needs at least one value")
        varied = set(self.grid or {}) | set(self.search.space if self.search else {})
        both = sorted(varied & set(self.fixed))
        if both:
            raise ValueError(f"parameter {both[0]!r} is both fixed and varied")
        return self

    @property
    def n_trials(self) -> int:
        if self.grid is not None:
            return len(grid_points(self))
        return self.search.n_trials

    def identity(self) -> str:
        """Hash of what defines the study's trials (everything but the number of trials)."""
        d = self.model_dump()
        if d["search"]:
            d["search"].pop("n_trials")
        return hashlib.sha1(json.dumps(d, sort_keys=True, default=str).encode()).hexdigest()[:8]


def load_sweep(path: str | Path) -> Sweep:
    """Read and validate a sweep file; the sweep's ``name`` defaults to the file's stem."""
    path = Path(path)
    raw = read_yaml_mapping(path, "sweep file")
    try:
        sweep = Sweep(**raw)
    except ValidationError as e:
        err = sorted(e.errors(), key=lambda x: x["type"] != "extra_forbidden")[0]  # a misspelt key explains the rest
        parts = [str(x) for x in err["loc"]]
        if parts[:2] == ["search", "space"] and len(parts) > 3:
            del parts[3]  # the discriminator (int/float/categorical) pydantic adds to the path
        loc = ".".join(parts) or "sweep"
        msg = "unknown key" if err["type"] == "extra_forbidden" else err["msg"].removeprefix("Value error, ")
        raise BnplError(f"{path}: {loc}: {msg}") from None
    if not sweep.name:
        sweep.name = path.stem
    return sweep


def check_trial_params(sweep: Sweep) -> None:
    """Check the fixed parameters with every grid point, or with the search space's bounds, against the notebook."""
    from bnpl.runner import check_params, resolve_notebook

    nb = resolve_notebook(sweep.notebook)
    if sweep.grid is not None:
        for point in grid_points(sweep):
            check_params(nb, {**sweep.fixed, **point})
        return
    for name, dist in sweep.search.space.items():
        values = dist.choices if isinstance(dist, CategoricalParam) else [dist.low, dist.high]
        for v in values:
            check_params(nb, {**sweep.fixed, name: v})


def grid_points(sweep: Sweep) -> list[dict[str, Any]]:
    """Every combination of the grid's values, in file order (the last parameter varies fastest)."""
    names = list(sweep.grid)
    return [dict(zip(names, combo, strict=True)) for combo in itertools.product(*(sweep.grid[n] for n in names))]


# Optuna categorical choices must be None/bool/int/float/str: other values (lists, mappings) travel as JSON text.
def encode_choice(value: Any) -> Any:
    return value if value is None or isinstance(value, (bool, int, float, str)) else "json:" + json.dumps(value)


def decode_choice(value: Any) -> Any:
    return json.loads(value[5:]) if isinstance(value, str) and value.startswith("json:") else value


def suggest(trial, sweep: Sweep) -> dict[str, Any]:
    """The trial's varied parameters, drawn from the search space (or fixed by an enqueued trial)."""
    out: dict[str, Any] = {}
    if sweep.grid is not None:
        for name, values in sweep.grid.items():
            out[name] = decode_choice(trial.suggest_categorical(name, [encode_choice(v) for v in values]))
        return out
    for name, d in sweep.search.space.items():
        if isinstance(d, IntParam):
            out[name] = trial.suggest_int(name, d.low, d.high, step=d.step, log=d.log)
        elif isinstance(d, FloatParam):
            out[name] = trial.suggest_float(name, d.low, d.high, log=d.log)
        else:
            out[name] = decode_choice(trial.suggest_categorical(name, [encode_choice(c) for c in d.choices]))
    return out


def encode_params(params: dict[str, Any]) -> dict[str, Any]:
    return {k: encode_choice(v) for k, v in params.items()}
