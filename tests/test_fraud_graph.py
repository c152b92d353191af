"""Graph builder, temporal mode and feature leakage on tiny hand-made data."""
import numpy as np
import pandas as pd
import pytest

from bnpl.data.normalised import FraudData, feature_columns
from bnpl.data.subset import restrict_to_time
from bnpl.errors import DataError
from bnpl.fraud.features import graph_features
from bnpl.fraud.graph import build_hetero_graph, build_homogeneous_graph
from tests.fixtures.planted import planted_ring_data as tiny


def test_hetero_graph_counts_and_reverse_edges():
    d = tiny()
    g = build_hetero_graph(d)
    assert g["transaction"].num_nodes == 200 and g["customer"].num_nodes == 40 and g["device"].num_nodes == 11
    assert len(g.edge_types) == 2 * len(d.relations)
    fwd = g["transaction", "made_by", "customer"].edge_index
    rev = g["customer", "rev_made_by", "transaction"].edge_index
    assert fwd.shape == (2, 200) and bool((rev == fwd.flip(0)).all())
    assert g["transaction", "follows", "transaction"].edge_attr.shape == (199, 1)
    assert int((g["transaction"].y == 1).sum()) == int(d.labels["label"].sum())


def test_homogeneous_projection_offsets():
    d = tiny()
    h = build_homogeneous_graph(d)
    assert h.x.shape[0] == 251 and h.n_target == 200
    assert h.edge_index.shape[1] == 200 + 200 + 199
    # made_by edges point from transactions (rows 0..199) to customers (rows 200..239)
    made_by = h.edge_index[:, h.edge_type == 0]
    assert int(made_by[0].max()) < 200 and int(made_by[1].min()) >= 200 and int(made_by[1].max()) < 240
    assert h.adj_t("both").shape == (251, 251)


def test_temporal_mode_drops_future_nodes_edges_and_labels():
    d = tiny()
    past = restrict_to_time(d, 99.0)
    assert past.num_nodes("transaction") == 100
    assert (past.nodes["transaction"]["time"] <= 99).all()
    for df in past.relations.values():
        assert (df["time"] <= 99).all()
        assert df["src"].max() < len(past.nodes["transaction"])
    assert (past.labels["label_time"] <= 99).all()
    assert len(past.labels) == 95                # labels of transactions 95..99 arrive after the cutoff
    g = build_hetero_graph(past)
    assert g["transaction", "follows", "transaction"].edge_index.max() < 100


def test_label_derived_column_is_never_a_feature():
    bad = pd.DataFrame({"node_id": [0, 1], "amount": [1.0, 2.0], "fraudStep": [-1, 3]})
    with pytest.raises(DataError, match="fraudStep"):
        feature_columns(bad)
    d = tiny()
    with pytest.raises(DataError, match="leak"):
        FraudData("x", {**d.nodes, "transaction": d.nodes["transaction"].assign(isFraud=0)}, d.relations,
                  "transaction", d.labels)
    cols = graph_features(d, np.arange(0, 200, 2)).columns
    assert not any(c.lower() in ("label", "isfraud", "fraudstep", "label_time", "typology") for c in cols)


def test_label_features_never_see_own_or_held_out_labels():
    d = tiny()
    train = np.arange(0, 200, 2)
    base = graph_features(d, train, seed=0)
    flipped_labels = d.labels.copy()
    flipped_labels.loc[flipped_labels["node_id"] == 10, "label"] ^= 1     # a training node
    flipped_labels.loc[flipped_labels["node_id"] == 11, "label"] ^= 1     # a held-out node
    d2 = FraudData("tiny", d.nodes, d.relations, "transaction", flipped_labels)
    other = graph_features(d2, train, seed=0)
    pd.testing.assert_series_equal(base.iloc[10], other.iloc[10], check_names=False)   # own label unseen
    assert (base != other).any().any()                                                  # but others see it
    # flipping only a held-out label changes nothing anywhere
    only_held = d.labels.copy()
    only_held.loc[only_held["node_id"] == 11, "label"] ^= 1
    d3 = FraudData("tiny", d.nodes, d.relations, "transaction", only_held)
    pd.testing.assert_frame_equal(base, graph_features(d3, train, seed=0))


def test_causal_features_ignore_the_future():
    d = tiny(with_transfers=False)
    train = np.arange(0, 100, 2)
    a = graph_features(d, train, causal=True)
    later = d.nodes["transaction"].copy()
    later.loc[150:, "amount"] *= 10                                   # change only the future
    d2 = FraudData("tiny", {**d.nodes, "transaction": later}, d.relations, "transaction", d.labels)
    b = graph_features(d2, train, causal=True)
    pd.testing.assert_frame_equal(a.iloc[:150], b.iloc[:150])
