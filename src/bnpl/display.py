"""Readable tables and labels for rendered notebooks: parameters, data summaries, feature names.

A stakeholder reads the notebooks as HTML without code, so what a cell shows must read as a
table of names and values, not a Python ``repr``.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import pandas as pd


def _value(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:,.6g}"
    if isinstance(v, int) and not isinstance(v, bool):
        return f"{v:,}"
    if isinstance(v, (list, tuple)):
        return ", ".join(_value(x) for x in v) if v else "(none)"
    if v is None:
        return "(default)"
    return str(v)


def flatten(d: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"nodes": {"customer": 3}}`` -> ``{"nodes / customer": 3}``."""
    out: dict[str, Any] = {}
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, Mapping):
            out |= flatten(v, f"{key} / ")
        else:
            out[key] = v
    return out


def summary_table(d: Mapping[str, Any], name: str = "value") -> pd.DataFrame:
    """A data summary (possibly nested) as a two-column table with every value written out in full."""
    flat = flatten(d)
    return pd.DataFrame({name: [_value(v) for v in flat.values()]}, index=pd.Index(list(flat), name="item"))


def params_table(params) -> pd.DataFrame:
    """A pydantic parameter model as a table: name, value, and the field's description where it has one."""
    fields = type(params).model_fields
    rows = {k: {"value": _value(v), "meaning": fields[k].description or ""} for k, v in params.model_dump().items()}
    t = pd.DataFrame.from_dict(rows, orient="index")
    t.index.name = "parameter"
    return t if t["meaning"].any() else t[["value"]]


_TOKENS = {"nb": "neighbours'", "std": "spread", "mean": "mean", "diff": "minus its group mean", "n": "count",
           "uniq": "distinct counterparties", "prev": "previous", "und": "undirected", "recip": "reciprocal",
           "win": "window", "dev": "deviation", "span": "time span"}


def homogeneous_input_names(data) -> list[str]:
    """Names of the columns of :func:`bnpl.fraud.graph.build_homogeneous_graph`'s ``x`` (the inputs that
    ``hom_hop<k>_<j>`` features average): node-type indicators, then per type its feature columns and
    its degree per relation, in the order the graph builder stacks them."""
    from bnpl.data.normalised import feature_columns

    types = [data.target] + [t for t in data.nodes if t != data.target]
    names = [f"is a {t}" for t in types]
    for t in types:
        cols = [f"{t} {c.replace('_', ' ')}" for c in feature_columns(data.nodes[t])]
        for (s, r, d) in data.relations:
            if s == t:
                cols.append(f"{t} degree ({r} out)")
            if d == t:
                cols.append(f"{t} degree ({r} in)")
        names += cols or [f"{t} (no inputs)"]
    return names


def readable_feature(name: str, inputs: list[str] | None = None) -> str:
    """A feature column name as words: ``hom_hop2_7`` -> ``2-hop neighbours' mean of <input 7>`` (its
    name from ``inputs``, :func:`homogeneous_input_names`), ``device_fraud_rate`` -> ``device: training
    fraud rate``."""
    m = re.fullmatch(r"hom_hop(\d+)_(\d+)", name)
    if m:
        j = int(m[2])
        what = inputs[j] if inputs is not None and j < len(inputs) else f"input {j}"
        return f"{m[1]}-hop neighbours' mean of: {what}"
    m = re.fullmatch(r"(.+)_win(\d+)_(rate|fraud)", name)
    if m:
        what = "training fraud rate" if m[3] == "rate" else "known frauds"
        return f"{_entity(m[1])}: {what} among its {m[2]} nearest transactions in time"
    for suffix, words in (("_fraud_rate", "training fraud rate"), ("_train_fraud", "known frauds (training)"),
                          ("_train_known", "known labels (training)"), ("_count", "number of linked transactions"),
                          ("_prior_count", "earlier transactions"), ("_gap_prev", "time since previous")):
        if name.endswith(suffix) and len(name) > len(suffix):
            return f"{_entity(name[: -len(suffix)])}: {words}"
    return _words(name)


# relation names of the fraud graph -> the entity a transaction shares through them
_RELATIONS = {"made_by": "customer", "billed_to": "account", "paid_with": "instrument", "at": "merchant",
              "from": "device", "ships_to": "shipping address"}


def _entity(prefix: str) -> str:
    return _RELATIONS.get(prefix, _words(prefix))


def _words(name: str) -> str:
    parts = re.split(r"_+", name)
    out = []
    for p in parts:
        m = re.fullmatch(r"([a-z]+)(\d+)", p)
        if m and m[1] in _TOKENS:
            out.append(f"{_TOKENS[m[1]]} {m[2]}")
        else:
            out.append(_TOKENS.get(p, p))
    return " ".join(out)
