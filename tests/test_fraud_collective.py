"""Soft-label collective features: hand-checked values and no leakage of a node's own label."""
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from bnpl.data.normalised import FraudData
from bnpl.errors import BnplError
from bnpl.fraud.collective import collective_features, soft_label_features
from bnpl.fraud.features import graph_features, label_free_features, relation_structures
from tests.fixtures.planted import planted_ring_data


def _accounts(src, dst, y) -> FraudData:
    n = len(y)
    nodes = {"account": pd.DataFrame({"node_id": np.arange(n), "time": np.zeros(n)})}
    rels = {("account", "transfer", "account"): pd.DataFrame(
        {"src": src, "dst": dst, "time": np.zeros(len(src)), "amount": np.ones(len(src))})}
    labels = pd.DataFrame({"node_id": np.arange(n), "label": y, "label_time": np.zeros(n)})
    return FraudData("tiny", nodes, rels, "account", labels)


def test_soft_label_features_by_hand():
    # 0 -> 1 -> 2 -> 0 (a cycle), 3 -> 0; soft labels: 1 known fraud, 2 scored 0.6
    data = _accounts([0, 1, 2, 3], [1, 2, 0, 0], [0, 1, 1, 0])
    f = soft_label_features(data, np.array([0.0, 1.0, 0.6, 0.0]))
    np.testing.assert_allclose(f["transfer_soft_out_max"], [1.0, 0.6, 0.0, 0.0])
    np.testing.assert_allclose(f["transfer_soft_in_max"], [0.6, 0.0, 1.0, 0.0])
    np.testing.assert_allclose(f["transfer_soft_out_n50"], [1, 1, 0, 0])
    np.testing.assert_allclose(f["transfer_soft_in_n90"], [0, 0, 1, 0])
    np.testing.assert_allclose(f["transfer_soft_out_nb_fraud"], [1.0, 0.6, 0.0, 0.0])
    # 0's undirected neighbours 1, 2, 3 with soft labels 1, 0.6, 0; the triangle 0-1-2 goes through 1 and 2
    np.testing.assert_allclose(f["transfer_soft_und_nb_fraud"][0], 1.6)
    assert not any("known" in c for c in f.columns)


def test_collective_features_never_see_own_label():
    rng = np.random.default_rng(0)
    n = 400
    src, dst = rng.integers(0, n, 2000), rng.integers(0, n, 2000)
    y = (rng.random(n) < 0.2).astype(int)
    data = _accounts(src, dst, y)
    a = sp.csr_matrix((np.ones(len(src)), (src, dst)), shape=(n, n))
    perm = rng.permutation(n)
    train, val = perm[:250], perm[250:320]

    def run(labels):
        def features_for(ids):    # deliberately label-dependent stage-1 features: known-fraud neighbours
            known = np.zeros(n)
            known[ids] = labels[ids]
            return pd.DataFrame({"out_fraud": a @ known, "in_fraud": a.T @ known, "deg": np.asarray(a.sum(1)).ravel()})
        first = features_for(train)["out_fraud"].to_numpy() / 10
        return collective_features(data, labels, train, val, 0, features_for, first)

    base = run(y)
    for v in train[:5]:
        flipped = y.copy()
        flipped[v] = 1 - flipped[v]
        other = run(flipped)
        pd.testing.assert_series_equal(base.iloc[v], other.iloc[v])
        assert not base.equals(other)        # the flip does reach other nodes' features


def test_reused_label_free_parts_change_nothing():
    # reused label-free features (per-fold rebuilds) and precomputed relation structures give the same frames
    d = planted_ring_data()
    lf = label_free_features(d)
    for ids in (np.arange(0, 200, 2), np.arange(0, 120, 3)):
        pd.testing.assert_frame_equal(graph_features(d, ids, seed=0, label_free=lf), graph_features(d, ids, seed=0))
    with pytest.raises(BnplError, match="label_free was computed with options"):
        graph_features(d, np.arange(10), causal=True, label_free=lf)
    soft = np.random.default_rng(0).random(200)
    pd.testing.assert_frame_equal(soft_label_features(d, soft, relations=relation_structures(d)),
                                  soft_label_features(d, soft))
    # the relation structures kept in the label-free object are the ones collective_features would build itself
    fresh = relation_structures(d)
    for r1, r2 in zip(lf.relations, fresh, strict=True):
        assert r1.name == r2.name and (r1.adjacency != r2.adjacency).nnz == 0
        assert (r1.structure["reach2"] != r2.structure["reach2"]).nnz == 0
    pd.testing.assert_frame_equal(soft_label_features(d, soft, relations=lf.relations), soft_label_features(d, soft))
