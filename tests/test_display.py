"""Readable parameter and summary tables, and feature names as words."""
from __future__ import annotations

import numpy as np
from pydantic import Field

from bnpl.display import (
    homogeneous_input_names,
    params_table,
    readable_feature,
    summary_table,
)
from bnpl.fraud.graph import build_homogeneous_graph
from bnpl.params import NotebookParams
from tests.fixtures.planted import planted_ring_data


class _Demo(NotebookParams):
    seeds: list[int] = [0, 1, 2]
    models: list[str] = ["lgbm_tabular", "lgbm_graph", "sage", "a_very_long_model_name_that_must_not_be_cut"]
    refit: bool | None = None
    n: int = Field(200000, description="transactions")


def test_params_table_writes_every_value_in_full():
    t = params_table(_Demo())
    assert list(t.columns) == ["value", "meaning"]
    assert t.loc["models", "value"] == "lgbm_tabular, lgbm_graph, sage, a_very_long_model_name_that_must_not_be_cut"
    assert t.loc["n", "value"] == "200,000" and t.loc["n", "meaning"] == "transactions"
    assert t.loc["refit", "value"] == "(default)"
    html = _Demo()._repr_html_()
    assert "<table" in html and "a_very_long_model_name_that_must_not_be_cut" in html and "_Demo(" not in html


def test_summary_table_flattens_nested_dicts():
    t = summary_table({"name": "w", "nodes": {"customer": 1234, "device": 5}, "fraud_rate": 0.0123456})
    assert t["value"].to_dict() == {"name": "w", "nodes / customer": "1,234", "nodes / device": "5",
                                   "fraud_rate": "0.0123456"}


def test_homogeneous_input_names_match_the_graph_columns():
    d = planted_ring_data()
    names = homogeneous_input_names(d)
    h = build_homogeneous_graph(d)
    x, node_type = h.x.numpy(), h.node_type.numpy()
    assert len(names) == x.shape[1]
    types = [d.target] + [t for t in d.nodes if t != d.target]
    assert names[: len(types)] == [f"is a {t}" for t in types]
    for j in range(len(types)):                  # indicator column j is 1 exactly on nodes of type j
        assert np.array_equal(x[:, j] == 1, node_type == j)


def test_readable_feature():
    assert readable_feature("hom_hop2_1", ["is a transaction", "is a customer"]) == \
        "2-hop neighbours' mean of: is a customer"
    assert readable_feature("hom_hop1_9") == "1-hop neighbours' mean of: input 9"
    assert readable_feature("device_fraud_rate") == "device: training fraud rate"
    assert readable_feature("at_fraud_rate") == "merchant: training fraud rate"
    assert readable_feature("ships_to_win10_rate") == \
        "shipping address: training fraud rate among its 10 nearest transactions in time"
    assert readable_feature("customer_amount_diff") == "customer amount minus its group mean"
