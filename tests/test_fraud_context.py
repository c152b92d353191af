"""Past-only entity context (bnpl.fraud.context) on hand-made sequences."""
import numpy as np
import pandas as pd

from bnpl.data.normalised import FraudData
from bnpl.fraud.features import graph_features
from bnpl.fraud.features.sequence import entity_age, entity_context, past_window_mean
from tests.fixtures.planted import planted_ring_data as tiny

# six payments: customer per row, merchant per row, times (rows 2 and 3 tie at t=3)
CUSTOMER = np.array([0, 1, 0, 2, 3, 1])
MERCHANT = np.array([0, 0, 1, 0, 0, 1])
TIME = np.array([1.0, 2.0, 3.0, 3.0, 7.0, 9.0])
LINKS = [("by", "customer", CUSTOMER), ("at", "merchant", MERCHANT)]


def test_entity_age_counts_from_the_first_target():
    np.testing.assert_array_equal(entity_age(MERCHANT, TIME), [0, 1, 0, 2, 6, 6])


def test_past_window_mean_uses_only_earlier_rows_ties_by_row_order():
    v = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    # merchant 0 rows: 0 (t1), 1 (t2), 3 (t3), 4 (t7); merchant 1 rows: 2 (t3), 5 (t9)
    np.testing.assert_allclose(past_window_mean(MERCHANT, TIME, v, 2), [np.nan, 1, np.nan, 1.5, 3, 3])
    # a tie in time: the row later in the table sees the earlier one, never the reverse
    g, t = np.array([0, 0]), np.array([5.0, 5.0])
    np.testing.assert_allclose(past_window_mean(g, t, np.array([10.0, 20.0]), 3), [np.nan, 10])


def test_newcomer_share_by_hand():
    f = entity_context(LINKS, TIME, windows=(2,))
    # the customer entity (most distinct values) gets only its age; newcomers: rows 0, 1, 3, 4
    assert "by_newcomer_share2" not in f and "by_age" in f
    np.testing.assert_allclose(f["at_newcomer_share2"], [np.nan, 1, np.nan, 1, 1, 0])
    # customers' earlier target counts: rows 0..5 -> 0, 0, 1, 0, 0, 1
    np.testing.assert_allclose(f["at_customer_history2"], [np.nan, 0, np.nan, 0, 0, np.log1p(1)])
    np.testing.assert_allclose(f["at_span2"], [np.nan, np.nan, np.nan, 2, 5, np.nan])   # t - t two targets back


def test_context_ignores_the_future_and_the_labels():
    cut = 4                                           # rows 0..3 (t <= 3) are the past
    a = entity_context(LINKS, TIME, windows=(2, 3))
    later_time = TIME.copy()
    later_time[cut:] += 100                           # the future moves and changes partners
    links2 = [("by", "customer", np.r_[CUSTOMER[:cut], [0, 0]]), ("at", "merchant", np.r_[MERCHANT[:cut], [1, 1]])]
    b = entity_context(links2, later_time, windows=(2, 3))
    for c in a:
        np.testing.assert_allclose(a[c][:cut], b[c][:cut], err_msg=c)
    # in graph_features: future rows rewired to other entities change nothing before them; labels enter no context
    d = tiny(with_transfers=False)
    train = np.arange(0, 100, 2)
    x = graph_features(d, train, causal=True)
    rels = {k: v.copy() for k, v in d.relations.items()}
    rels[("transaction", "from_device", "device")].loc[150:, "dst"] = 0
    labels = d.labels.assign(label=np.where(d.labels["node_id"] >= 100, 1 - d.labels["label"], d.labels["label"]))
    x2 = graph_features(FraudData("tiny", d.nodes, rels, "transaction", labels), train, causal=True)
    ctx = [c for c in x.columns if "newcomer" in c or c.endswith("_age")]
    assert ctx
    pd.testing.assert_frame_equal(x.iloc[:150], x2.iloc[:150])
