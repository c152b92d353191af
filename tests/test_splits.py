"""Splits: sizes, determinism, and above all no test-period fact in training."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import train_test_split

from bnpl.config import shared_data
from bnpl.data.normalised import FraudData
from bnpl.data.splits import (
    Split,
    all_rows_split,
    carve_validation,
    leave_last_out_split,
    per_user_random_split,
    random_stratified_split,
    temporal_interaction_split,
    temporal_split,
)
from bnpl.errors import BnplError, DataError
from tests.realdata import needs_shared


def fraud_data(n=100, delay=None, seed=0):
    """Transactions at times 0..n-1, every one labelled, label known ``delay`` after the event."""
    rng = np.random.default_rng(seed)
    t = np.arange(n, dtype=float)
    delay = np.zeros(n) if delay is None else delay
    nodes = {"transaction": pd.DataFrame({"node_id": np.arange(n), "time": t, "amount": rng.random(n)})}
    labels = pd.DataFrame({"node_id": np.arange(n), "label": (rng.random(n) < 0.3).astype(int),
                           "label_time": t + delay})
    return FraudData("toy", nodes, {}, "transaction", labels)


def pairs(df):
    return set(map(tuple, df[["user_id", "item_id"]].to_numpy()))


# ---------------------------------------------------------------- random stratified
def test_random_stratified_sizes_disjoint_stratified_deterministic():
    d = fraud_data(1000)
    s = random_stratified_split(d, test_size=0.3, val_size=0.1, seed=3)
    assert (len(s.train), len(s.val), len(s.test)) == (600, 100, 300)
    parts = [set(s.train), set(s.val), set(s.test)]
    assert not (parts[0] & parts[1] or parts[0] & parts[2] or parts[1] & parts[2])
    assert set().union(*parts) == set(d.labels["node_id"])
    rate = d.labels["label"].mean()
    desc = s.describe()
    assert (desc["fraud_rate"] - rate).abs().max() < 0.01            # stratified
    assert desc.loc["test", "nodes"] == 300
    again = random_stratified_split(d.labels, test_size=0.3, val_size=0.1, seed=3)
    assert np.array_equal(again.test, s.test) and np.array_equal(again.val, s.val)
    other = random_stratified_split(d.labels, test_size=0.3, val_size=0.1, seed=4)
    assert not np.array_equal(other.test, s.test)


def test_random_stratified_no_val_and_bad_sizes():
    d = fraud_data(50)
    assert len(random_stratified_split(d, 0.2, 0.0).val) == 0
    with pytest.raises(BnplError, match="'test_size'"):
        random_stratified_split(d, test_size=1.2)
    with pytest.raises(BnplError, match="'test_size' \\+ 'val_size'"):
        random_stratified_split(d, test_size=0.6, val_size=0.5)
    with pytest.raises(DataError, match="'label'"):
        random_stratified_split(pd.DataFrame({"node_id": [1, 2, 3]}))


# ---------------------------------------------------------------- all rows (GTAN / RGTAN protocol)
def half_labelled(n=1000, seed=0):
    """``fraud_data`` with every other transaction unlabelled (as S-FFSD's label 2)."""
    d = fraud_data(n, seed=seed)
    return FraudData("toy", d.nodes, {}, "transaction", d.labels[d.labels["node_id"] % 2 == 0].reset_index(drop=True))


def test_all_rows_split_is_sklearns_split_of_every_row_keeping_the_labelled():
    d = half_labelled()
    s = all_rows_split(d, test_size=0.6, val_size=0.1, seed=5)
    cls = np.full(1000, 2)                                          # by hand: fraud / legit / unlabelled
    cls[d.labels["node_id"]] = d.labels["label"]
    train, test = train_test_split(np.arange(1000), test_size=600, stratify=cls, random_state=5)
    train, val = train_test_split(train, test_size=100, stratify=cls[train], random_state=5)
    for got, want in ((s.train, train), (s.val, val), (s.test, test)):
        assert np.array_equal(got, np.sort(want[cls[want] != 2]))
    parts = [set(s.train), set(s.val), set(s.test)]
    assert not (parts[0] & parts[1] or parts[0] & parts[2] or parts[1] & parts[2])
    assert set().union(*parts) == set(d.labels["node_id"])          # labelled only, every one of them
    assert abs(len(s.test) - 300) <= 1 and abs(len(s.val) - 50) <= 1  # 60 % / 10 % of the 500 labelled
    assert (s.describe()["fraud_rate"] - d.labels["label"].mean()).abs().max() < 0.02
    assert np.array_equal(all_rows_split(d, 0.6, 0.1, seed=5).test, s.test)
    assert not np.array_equal(all_rows_split(d, 0.6, 0.1, seed=6).test, s.test)


def test_all_rows_split_checks_sizes():
    d = half_labelled()
    with pytest.raises(BnplError, match="'val_size'"):
        all_rows_split(d, test_size=0.6, val_size=1.5)
    with pytest.raises(BnplError, match="cannot be split"):
        all_rows_split(half_labelled(6), test_size=0.2, val_size=0.2)


# ---------------------------------------------------------------- temporal (fraud)
def test_temporal_split_cutoffs_by_hand():
    s = temporal_split(fraud_data(100), val_frac=0.15, test_frac=0.2)
    # 100 nodes at times 0..99: test = last 20 (80..99), val = 15 before (65..79), train = 0..64
    assert (s.train_cutoff, s.val_cutoff) == (64.0, 79.0)
    assert s.train.tolist() == list(range(65)) and s.val.tolist() == list(range(65, 80))
    assert s.test.tolist() == list(range(80, 100)) and s.dropped_late_labels == 0


def test_temporal_split_respects_when_labels_became_known():
    n = 200
    delay = np.where(np.arange(n) % 3 == 0, 30.0, 0.0)               # every third label arrives 30 later
    d = fraud_data(n, delay=delay)
    s = temporal_split(d, val_frac=0.15, test_frac=0.2)
    t = d.nodes["transaction"]["time"]
    known = d.labels.set_index("node_id")["label_time"]
    assert t[s.train].max() <= s.train_cutoff < t[s.val].min()
    assert t[s.val].max() <= s.val_cutoff < t[s.test].min()
    assert known[s.train].max() <= s.train_cutoff                     # train labels known at the cutoff
    late = [i for i in range(n) if t[i] <= s.train_cutoff and known[i] > s.train_cutoff]
    assert late and not set(late) & set(s.train) and s.dropped_late_labels == len(late)
    assert (len(s.val), len(s.test)) == (30, 40)                      # evaluated in hindsight: every node
    strict = temporal_split(d, val_frac=0.15, test_frac=0.2, strict_val=True)
    assert known[strict.val].max() <= strict.val_cutoff and 0 < len(strict.val) < 30
    assert np.array_equal(strict.train, s.train) and np.array_equal(strict.test, s.test)
    late_val = sum(1 for i in range(n) if s.train_cutoff < t[i] <= s.val_cutoff and known[i] > s.val_cutoff)
    assert strict.dropped_late_labels == len(late) + late_val


def test_temporal_split_ties_stay_on_one_side():
    d = fraud_data(100)
    d.nodes["transaction"]["time"] = np.repeat(np.arange(10.0), 10)  # ten nodes per time step
    d.labels["label_time"] = d.nodes["transaction"]["time"]
    s = temporal_split(d, val_frac=0.15, test_frac=0.25)
    t = d.nodes["transaction"]["time"]
    assert t[s.train].max() < t[s.val].min() and t[s.val].max() < t[s.test].min()


def test_temporal_split_errors():
    d = fraud_data(20)
    with pytest.raises(DataError, match="no 'time' column"):
        temporal_split(FraudData("x", {"transaction": d.nodes["transaction"].drop(columns="time")}, {},
                                 "transaction", d.labels))
    late = fraud_data(20, delay=np.full(20, 1000.0))
    with pytest.raises(BnplError, match="empty part"):
        temporal_split(late)
    with pytest.raises(BnplError, match="'val_frac'"):
        temporal_split(d, val_frac=-0.1)


# ---------------------------------------------------------------- recsys
def interactions(n_users=50, n_items=40, per_user=(1, 12), seed=0):
    rng = np.random.default_rng(seed)
    rows = []
    for u in range(n_users):
        k = rng.integers(per_user[0], per_user[1] + 1)
        for i in rng.choice(n_items, size=k, replace=False):
            rows.append((u, int(i), float(rng.integers(0, 1000)), 1.0))
    return pd.DataFrame(rows, columns=["user_id", "item_id", "time", "weight"])


def test_per_user_random_split():
    inter = interactions()
    train, test = per_user_random_split(inter, test_frac=0.25, seed=1)
    assert len(train) + len(test) == len(inter)
    assert not pairs(train) & pairs(test)
    n = inter.groupby("user_id").size()
    n_test = test.groupby("user_id").size().reindex(n.index, fill_value=0)
    assert (n_test == np.minimum(np.floor(n * 0.25 + 0.5), n - 1)).all()   # per user, like python_stratified_split
    assert set(train["user_id"]) == set(inter["user_id"])                  # every user keeps a training item
    hand = pd.DataFrame({"user_id": [0, 0, 0, 0, 1, 2, 2], "item_id": [1, 2, 3, 4, 1, 1, 2], "time": 0.0,
                         "weight": 1.0})
    _, t = per_user_random_split(hand, test_frac=0.25, seed=0)
    assert t.groupby("user_id").size().to_dict() == {0: 1, 2: 1}         # 4 -> 1, 1 -> 0, 2 -> 1 (at most n - 1)
    again, _ = per_user_random_split(inter, test_frac=0.25, seed=1)
    other, _ = per_user_random_split(inter, test_frac=0.25, seed=2)
    assert again.equals(train) and not other.equals(train)


def test_per_user_random_split_keeps_repeated_pairs_together():
    inter = pd.DataFrame({"user_id": [0] * 6, "item_id": [1, 1, 1, 2, 3, 4], "time": range(6), "weight": 1.0})
    for seed in range(10):
        train, test = per_user_random_split(inter, test_frac=0.5, seed=seed)
        assert not pairs(train) & pairs(test) and len(pairs(test)) == 2


def test_temporal_interaction_split():
    inter = interactions()
    train, test = temporal_interaction_split(inter, test_frac=0.2)
    assert train["time"].max() < test["time"].min()
    assert not pairs(train) & pairs(test)
    hand = pd.DataFrame({"user_id": [0, 0, 1, 1, 0], "item_id": [1, 2, 1, 3, 1], "time": [1, 2, 3, 4, 5.0],
                         "weight": 1.0})
    train, test = temporal_interaction_split(hand, test_frac=0.4)       # cutoff 3: rows at 4 and 5 are test
    assert train["time"].tolist() == [1, 2, 3] and test["time"].tolist() == [4.0]   # (0, 1) at 5 is a repeat
    _, test = temporal_interaction_split(hand, test_frac=0.4, drop_repeats=False)
    assert test["time"].tolist() == [4.0, 5.0]
    with pytest.raises(BnplError, match="empty part"):
        temporal_interaction_split(hand.assign(time=1.0), test_frac=0.2)


def test_leave_last_out_split():
    inter = interactions()
    train, test = leave_last_out_split(inter)
    multi = inter.groupby("user_id")["item_id"].nunique()
    assert sorted(test["user_id"]) == sorted(multi[multi >= 2].index)        # one test row per such user
    last_time = inter.groupby("user_id")["time"].max()
    assert (test.set_index("user_id")["time"] == last_time.reindex(test["user_id"]).to_numpy()).all()
    assert not pairs(train) & pairs(test)
    assert set(multi[multi < 2].index) <= set(train["user_id"])              # single-item users stay in train
    hand = pd.DataFrame({"user_id": [0, 0, 0, 1], "item_id": [5, 6, 5, 7], "time": [1, 2, 3, 1.0], "weight": 1.0})
    train, test = leave_last_out_split(hand)
    assert test.values.tolist() == [[0, 5, 3.0, 1.0]]
    assert train.values.tolist() == [[0, 6, 2.0, 1.0], [1, 7, 1.0, 1.0]]     # the earlier (0, 5) is dropped


def test_carve_validation_uses_the_same_protocols():
    inter = interactions()
    train, _ = leave_last_out_split(inter)
    fit, val = carve_validation(train, method="leave_last_out")
    assert len(val) and not pairs(fit) & pairs(val)
    assert val.groupby("user_id").size().max() == 1
    fit, val = carve_validation(train, method="temporal", frac=0.1)
    assert fit["time"].max() < val["time"].min()
    fit, val = carve_validation(train, method="per_user", frac=0.2, seed=0)
    assert len(fit) + len(val) == len(train)
    with pytest.raises(BnplError, match="unknown method 'kfold'"):
        carve_validation(train, method="kfold")


def test_split_describe_without_labels():
    s = Split(np.array([0, 1]), np.array([], dtype=int), np.array([2]))
    assert s.describe()["nodes"].tolist() == [2, 0, 1]


# ---------------------------------------------------------------- real data
@needs_shared("fraud", "s-ffsd", "S-FFSD.csv")
def test_real_sffsd_splits():
    from bnpl.data.loaders import load_fraud
    d = load_fraud("s-ffsd", shared_data("fraud", "s-ffsd"))
    s = random_stratified_split(d, test_size=0.3, val_size=0.1, seed=0)
    assert len(s.train) + len(s.val) + len(s.test) == 29643
    s = temporal_split(d)
    t = d.nodes["transaction"]["time"]
    assert t[s.train].max() <= s.train_cutoff < t[s.test].min()


@needs_shared("recsys", "ml-100k")
def test_real_movielens_per_user_75_25():
    from bnpl.data.loaders import load_interactions
    inter = load_interactions(shared_data("recsys", "ml-100k")).interactions
    train, test = per_user_random_split(inter, test_frac=0.25, seed=42)
    assert len(train) + len(test) == 100000 and 0.24 < len(test) / 100000 < 0.26
    assert train["user_id"].nunique() == 943 and not pairs(train) & pairs(test)
