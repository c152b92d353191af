"""Typed notebook parameters.

Each notebook's parameters cell holds literals only; the cell after it builds the
notebook's parameter model from them with ``p = DataPrepParams.from_cell(globals())``
(no name restated), so a bad value fails in one line that names the parameter. The notebook names its
model in its metadata (``metadata.bnpl.params_model = "bnpl.data.params:DataPrepParams"``)
so that ``bnpl run`` can check overrides before execution starts.
"""
from __future__ import annotations

import importlib
import types
import typing

from pydantic import (
    BaseModel,
    ConfigDict,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from bnpl.errors import BnplError


class NotebookParams(BaseModel):
    """Base class: unknown names are errors, values are checked on assignment too, NaN and infinities are refused."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True, allow_inf_nan=False)

    @field_validator("*", mode="before")
    @classmethod
    def _no_bool_for_numbers(cls, value, info: ValidationInfo):
        """``-p seed true`` is refused: pydantic would read ``True`` as the number 1."""
        if isinstance(value, bool) and info.field_name and not admits_bool(cls.model_fields[info.field_name].annotation):
            raise ValueError("expected a number, got a boolean")
        return value

    def _repr_html_(self) -> str:
        """Shown by Jupyter (and the rendered report) as a table of names and values, not a repr."""
        from bnpl.display import params_table

        return params_table(self).to_html()

    @classmethod
    def from_cell(cls, namespace: dict) -> NotebookParams:
        """The model built from a notebook's namespace (``globals()`` after the parameters cell): every
        field of the model is read from the variable of the same name, so no name is restated; a bad
        value raises BnplError naming the parameter."""
        return validate(cls, {k: namespace[k] for k in cls.model_fields if k in namespace})


def admits_bool(annotation) -> bool:
    """Whether a field annotated ``annotation`` may hold a bool (``bool``, ``bool | None``, ``Any``...)."""
    if annotation in (bool, typing.Any, object):
        return True
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return any(admits_bool(a) for a in typing.get_args(annotation))
    return typing.get_origin(annotation) is typing.Literal and any(isinstance(a, bool) for a in typing.get_args(annotation))


def load_params_model(spec: str) -> type[NotebookParams]:
    """Import ``"package.module:ClassName"``."""
    module_name, _, cls_name = spec.partition(":")
    try:
        cls = getattr(importlib.import_module(module_name), cls_name)
    except (ImportError, AttributeError) as e:
        raise BnplError(f"parameter model {spec!r} cannot be imported: {e}") from e
    return cls


def validation_message(err: ValidationError) -> str:
    """One line naming each offending parameter."""
    parts = []
    for e in err.errors():
        loc = ".".join(str(x) for x in e["loc"])
        if not loc:  # a rule over several parameters (a model validator)
            parts.append(f"parameters: {e['msg'].removeprefix('Value error, ')}")
            continue
        parts.append(f"parameter {loc!r}: {e['msg']} (got {e.get('input')!r})" if e["type"] != "extra_forbidden"
                     else f"parameter {loc!r}: unknown parameter")
    return "; ".join(parts)


def validate(model: type[NotebookParams], values: dict) -> NotebookParams:
    try:
        return model(**values)
    except ValidationError as e:
        raise BnplError(validation_message(e)) from None
