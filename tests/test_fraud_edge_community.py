"""Edge-level laundering scores, community label features and past-only sequence features (tiny data)."""
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from bnpl.data.normalised import FraudData
from bnpl.fraud.features import flow_label_block, graph_features, sequence_features
from bnpl.fraud.features.edge_scores import edge_score_features, transfer_features
from bnpl.fraud.features.labels import community_label_block


def planted_laundering(n: int = 300, seed: int = 0) -> FraudData:
    """Accounts paying their usual amount to random counterparts; fraud accounts also pass small,
    repeated amounts around rings of 4."""
    rng = np.random.default_rng(seed)
    usual = rng.uniform(100, 600, n).round(2)
    src = rng.integers(0, n, 6 * n)
    dst = rng.integers(0, n, 6 * n)
    rows = [pd.DataFrame({"src": src, "dst": dst, "time": rng.integers(0, 50, 6 * n).astype(float),
                          "amount": usual[src]})]
    fraud = np.arange(0, 60)
    for ring in fraud.reshape(-1, 4):
        amt = rng.uniform(10, 20)
        for step in range(3):
            rows.append(pd.DataFrame({"src": ring, "dst": np.roll(ring, -1), "time": float(10 + 10 * step),
                                      "amount": round(amt, 2)}))
    tr = pd.concat(rows, ignore_index=True)
    y = np.zeros(n, dtype=np.int64)
    y[fraud] = 1
    nodes = {"account": pd.DataFrame({"node_id": np.arange(n), "init_balance": rng.uniform(100, 600, n)})}
    labels = pd.DataFrame({"node_id": np.arange(n), "label": y, "label_time": 50.0})
    return FraudData("laundering", nodes, {("account", "transfer", "account"): tr}, "account", labels)


def _transfers(d: FraudData) -> pd.DataFrame:
    return d.relations[("account", "transfer", "account")]


def test_transfer_features_hand_example():
    df = pd.DataFrame({"src": [0, 1, 0, 2], "dst": [1, 0, 1, 0], "time": [1.0, 2.0, 3.0, 3.0],
                       "amount": [10.0, 10.0, 30.0, 5.0]})
    x = transfer_features(df, 3)
    assert x.shape[0] == 4
    np.testing.assert_allclose(x["pair_n"], [2, 1, 2, 1])          # 0->1 twice
    np.testing.assert_allclose(x["reverse_n"], [1, 2, 1, 0])
    np.testing.assert_allclose(x["src_out_median_ratio"], [0.5, 1, 1.5, 1])   # account 0 sends 10 and 30
    np.testing.assert_allclose(x["dst_sends_same_amt"], [1, 1, 0, 0])  # 1 sends 10 on; 0 sends 10 too
    assert x.loc[0, "dst_next_out_gap"] == 1.0 and x.loc[0, "dst_next_out_amt_ratio"] == 1.0
    assert np.isnan(x.loc[0, "src_prev_out_gap"]) and x.loc[2, "src_prev_out_gap"] == 2.0
    causal = transfer_features(df, 3, causal=True)
    assert not any(c.startswith("dst_next_out") for c in causal.columns)


def test_edge_scores_find_planted_rings_without_own_label():
    d = planted_laundering()
    y = d.labels["label"].to_numpy()
    train = np.arange(1, 300, 2)
    f = edge_score_features(_transfers(d), 300, y, train, seed=0)
    held = np.setdiff1d(np.arange(300), train)
    from sklearn.metrics import roc_auc_score
    assert roc_auc_score(y[held], f["edge_out_max"].to_numpy()[held]) > 0.9
    # a training account's own label never reaches its own features
    y2 = y.copy()
    y2[1] ^= 1
    g = edge_score_features(_transfers(d), 300, y2, train, seed=0)
    pd.testing.assert_series_equal(f.iloc[1], g.iloc[1], check_names=False)
    assert not f.equals(g)
    # a held-out label changes nothing
    y3 = y.copy()
    y3[0] ^= 1
    pd.testing.assert_frame_equal(f, edge_score_features(_transfers(d), 300, y3, train, seed=0))


def test_community_label_block_hand_example():
    # undirected path 0 - 1 - 2 and a reciprocal pair 3 <-> 4; nodes 2 and 4 are known fraud
    a = sp.csr_matrix((np.ones(5), ([0, 1, 3, 4, 2], [1, 2, 4, 3, 1])), shape=(5, 5))
    fraud = np.array([0, 0, 1, 0, 1.0])
    known = np.array([1, 0, 1, 1, 1.0])
    f = community_label_block("t", a, fraud, known, steps=2, alpha=0.5)
    np.testing.assert_allclose(f["t_recip_nb_fraud"], [0, 1, 0, 1, 0])
    np.testing.assert_allclose(f["t_und_nb_fraud"], [0, 1, 0, 1, 0])
    np.testing.assert_allclose(f["t_reach2_fraud"], [1, 1, 0, 1, 0])
    # walk from node 0: 1 hop reaches 1 (not fraud); 2 hops reach 0 or 2 with prob 1/2 each
    assert f["t_lp_fraud"][0] == pytest.approx(0.25 * 0.5)


def test_pushed_fraud_mass_hand_example():
    # 0 -> 2, 1 -> 2, 1 -> 3, 1 -> 4, 2 -> 5; known fraud: 1 (pays three accounts) and 2 (pays one)
    a = sp.csr_matrix((np.ones(5), ([0, 1, 1, 1, 2], [2, 2, 3, 4, 5])), shape=(6, 6))
    fraud = np.array([0, 1, 1, 0, 0, 0.0])
    f = flow_label_block("t", a, fraud, np.ones(6))
    # 5 is the only payee of fraud 2: a whole unit; 3 and 4 are one of three payees of fraud 1
    np.testing.assert_allclose(f["t_in_push"], [0, 0, 1 / 3, 1 / 3, 1 / 3, 1])
    # 0 is one of 2's two payers; 1 also pays 2
    np.testing.assert_allclose(f["t_out_push"], [0.5, 0.5, 0, 0, 0, 0])
    # undirected: 2 has neighbours 0, 1, 5 (1/3 each); 1 has neighbours 2, 3, 4 (1/3 each)
    np.testing.assert_allclose(f["t_und_push"], [1 / 3, 1 / 3, 1 / 3, 1 / 3, 1 / 3, 1 / 3])
    assert f["t_in_nb_fraud"][3] == f["t_in_nb_fraud"][5] == 1      # the plain count cannot tell them apart


def test_sequence_features_use_only_the_past():
    key = np.array([0, 0, 1, 0, 1, 0])
    time = np.array([0.0, 1.0, 2.0, 4.0, 7.0, 8.0])
    val = np.array([1.0, 3.0, 5.0, 5.0, 1.0, 9.0])
    f = sequence_features("e", key, time, val, spans=(2,))
    np.testing.assert_allclose(f["e_prior_count"], [0, 1, 0, 2, 1, 3])
    np.testing.assert_allclose(f["e_gap_prev"], [np.nan, 1, np.nan, 3, 5, 4])
    np.testing.assert_allclose(f["e_span2"], [np.nan, np.nan, np.nan, 4, np.nan, 7])
    np.testing.assert_allclose(f["e_dev2"], [np.nan, 2, np.nan, 3, -4, 5])
    later = val.copy()
    later[5] = 100.0                                  # changing the last event leaves earlier rows alone
    g = sequence_features("e", key, time, later, spans=(2,))
    for c in f:
        np.testing.assert_allclose(f[c][:5], g[c][:5])


def test_graph_features_on_transfers_flag_rings_and_hide_own_label():
    d = planted_laundering()
    train = np.arange(1, 300, 2)
    x = graph_features(d, train, seed=0)
    assert any(c.startswith("transfer_edge_") for c in x.columns)
    assert "transfer_lp_fraud" in x.columns and "time" not in graph_features(d, train, causal=True).columns
    labels = d.labels.copy()
    labels.loc[labels["node_id"] == 3, "label"] ^= 1          # a training account
    d2 = FraudData("laundering", d.nodes, d.relations, "account", labels)
    pd.testing.assert_series_equal(x.iloc[3], graph_features(d2, train, seed=0).iloc[3], check_names=False)


def test_delayed_window_sums_match_brute_force():
    from bnpl.fraud.features.sequence import delayed_window_sums

    rng = np.random.default_rng(0)
    g, t, v = rng.integers(0, 4, 60), rng.integers(0, 30, 60).astype(float), rng.random(60)
    for k in (None, 2):
        got = delayed_window_sums(g, t, v, k, 3.0)
        for i in range(60):
            past = [j for j in np.lexsort((np.arange(60), t)) if g[j] == g[i] and t[j] <= t[i] - 3]
            assert got[i] == pytest.approx(v[past[-k:] if k else past].sum())


def test_causal_label_features_only_use_old_labels():
    from tests.fixtures.planted import planted_ring_data

    d = planted_ring_data(with_transfers=False)
    train = np.arange(0, 120)
    a = graph_features(d, train, causal=True, label_delay=10.0)
    labels = d.labels.copy()
    labels.loc[labels["node_id"].between(100, 119), "label"] ^= 1     # labels younger than 10 steps at t=110
    b = graph_features(FraudData("tiny", d.nodes, d.relations, "transaction", labels), train, causal=True,
                       label_delay=10.0)
    # label counts (the smoothing prior of the rates is the overall training fraud rate, a constant)
    lab_cols = [c for c in a.columns if c.endswith("_fraud")]
    assert len(lab_cols) >= 10
    pd.testing.assert_frame_equal(a.loc[:109, lab_cols], b.loc[:109, lab_cols])


def test_causal_features_of_a_node_do_not_change_as_later_nodes_arrive():
    from bnpl.data.subset import restrict_to_time
    from tests.fixtures.planted import planted_ring_data

    d = planted_ring_data(with_transfers=False)
    train = np.arange(0, 100)
    full = graph_features(d, train, causal=True, seed=0)
    view = graph_features(restrict_to_time(d, 149.0), train, causal=True, seed=0)
    assert len(view) == 150
    pd.testing.assert_frame_equal(full.iloc[:150][view.columns].reset_index(drop=True), view)
