"""Property-based tests (hypothesis) over the loaders and the splits.

Loaders: any valid interactions CSV round-trips (ids, latest weight per pair); any valid S-FFSD file
loads with its labels; one invalid value anywhere in an S-FFSD numeric column is always a DataError
naming the column and its row. Splits: parts are disjoint and cover the labelled nodes / rows; a
temporal split never puts a later node in train than in validation or test; a split either succeeds
with non-empty parts or raises a one-line BnplError.
"""
from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, event, given, settings
from hypothesis import strategies as st

from bnpl.data.loaders.interactions_csv import load_interactions_csv
from bnpl.data.loaders.sffsd import load_sffsd
from bnpl.data.normalised import FraudData
from bnpl.data.splits import (
    leave_last_out_split,
    per_user_random_split,
    random_stratified_split,
    temporal_interaction_split,
    temporal_split,
)
from bnpl.errors import BnplError, DataError, DataWarning

FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
ids = st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-", min_size=1, max_size=8)
finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("prop")


def _write(folder: Path, text: str, name: str) -> Path:
    (folder / name).write_text(text)
    return folder / name


def _quiet(fn, *a, **k):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        return fn(*a, **k)


# ---------------------------------------------------------------- loaders
@FAST
@given(rows=st.lists(st.tuples(ids, ids, finite, st.integers(0, 10**9)), min_size=1, max_size=40),
       sep=st.sampled_from([",", "\t", ";", "|"]))
def test_valid_interaction_csv_round_trips(folder, rows, sep):
    text = sep.join(["user_id", "item_id", "rating", "timestamp"]) + "\n"
    text += "".join(sep.join([u, i, repr(w), str(t)]) + "\n" for u, i, w, t in rows)
    d = _quiet(load_interactions_csv, _write(folder, text, "x.csv"))
    inter = d.interactions
    users, items = d.user_index[inter["user_id"]], d.item_index[inter["item_id"]]
    got = {(u, i): (w, t) for u, i, w, t in zip(users, items, inter["weight"], inter["time"], strict=True)}
    latest = {}
    for k, (u, i, w, t) in enumerate(rows):  # the latest by time, ties to the later row
        if (u, i) not in latest or (t, k) >= latest[(u, i)][2:]:
            latest[(u, i)] = (w, float(t), t, k)
    assert got == {k: (v[0], v[1]) for k, v in latest.items()}
    assert d.n_users == len({u for u, *_ in rows}) and d.n_items == len({i for _, i, *_ in rows})
    assert d.meta["duplicates_dropped"] == len(rows) - len(latest)


sffsd_rows = st.lists(st.tuples(st.integers(0, 10**6), ids, ids, st.floats(0, 1e9, allow_nan=False), ids, ids,
                                st.sampled_from([0, 1, 2])), min_size=1, max_size=30)


@FAST
@given(rows=sffsd_rows)
def test_valid_sffsd_loads_with_its_labels(folder, rows):
    assume(any(r[-1] != 2 for r in rows))
    text = "Time,Source,Target,Amount,Location,Type,Labels\n"
    text += "".join(",".join([str(t), s, d, repr(a), loc, typ, str(y)]) + "\n" for t, s, d, a, loc, typ, y in rows)
    data = _quiet(load_sffsd, _write(folder, text, "S-FFSD.csv"))
    unique = list(dict.fromkeys(rows))  # exact duplicates are removed, first kept
    assert len(data.nodes["transaction"]) == len(unique)
    assert data.labels["label"].tolist() == [y for *_, y in unique if y != 2]
    assert np.allclose(data.nodes["transaction"]["amount"], [r[3] for r in unique])


@FAST
@given(rows=sffsd_rows.filter(lambda r: len(r) >= 2), data=st.data())
def test_one_invalid_value_is_always_a_data_error_naming_column_and_row(folder, rows, data):
    col, bad = data.draw(st.sampled_from([
        ("Time", "x1"), ("Time", "inf"), ("Time", "nan"), ("Time", ""), ("Amount", "-1"), ("Amount", "1e300"),
        ("Amount", "-inf"), ("Amount", "abc"), ("Amount", "NaN"), ("Labels", "3"), ("Labels", "-1"),
        ("Labels", "0.5"), ("Labels", "fraud"), ("Labels", "")]))
    row = data.draw(st.integers(0, len(rows) - 1))
    header = ["Time", "Source", "Target", "Amount", "Location", "Type", "Labels"]
    lines = [[str(t), s, d, repr(a), loc, typ, str(y)] for t, s, d, a, loc, typ, y in rows]
    lines[row][header.index(col)] = bad
    text = ",".join(header) + "\n" + "".join(",".join(line) + "\n" for line in lines)
    with pytest.raises(DataError) as e:
        _quiet(load_sffsd, _write(folder, text, "S-FFSD.csv"))
    msg = str(e.value)
    assert "S-FFSD.csv" in msg and f"'{col}'" in msg and f"row {row + 1}" in msg and "\n" not in msg


# ---------------------------------------------------------------- fraud splits
@st.composite
def fraud_data(draw):
    n = draw(st.integers(3, 60))
    t = np.array(draw(st.lists(st.integers(0, 20), min_size=n, max_size=n)), dtype=np.float64)
    delay = np.array(draw(st.lists(st.integers(0, 10), min_size=n, max_size=n)), dtype=np.float64)
    y = np.array(draw(st.lists(st.integers(0, 1), min_size=n, max_size=n)))
    labelled = np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n)))
    assume(labelled.sum() >= 3)
    ids = np.flatnonzero(labelled)
    labels = pd.DataFrame({"node_id": ids, "label": y[ids], "label_time": t[ids] + delay[ids]})
    return FraudData("prop", {"tx": pd.DataFrame({"node_id": np.arange(n), "time": t})}, {}, "tx", labels)


fracs = st.tuples(st.sampled_from([0.0, 0.1, 0.2, 0.3]), st.sampled_from([0.1, 0.2, 0.3, 0.5]))


@FAST
@given(d=fraud_data(), f=fracs, seed=st.integers(0, 2**32 - 1))
def test_random_split_is_a_disjoint_cover_or_a_clear_error(d, f, seed):
    val, test = f
    try:
        s = random_stratified_split(d, test_size=test, val_size=val, seed=seed)
    except BnplError as e:
        event("clear error")
        assert "\n" not in str(e)
        return
    parts = [set(s.train), set(s.val), set(s.test)]
    assert not (parts[0] & parts[1] or parts[0] & parts[2] or parts[1] & parts[2])
    assert parts[0] | parts[1] | parts[2] == set(d.labels["node_id"])


@FAST
@given(d=fraud_data(), f=fracs, strict=st.booleans())
def test_temporal_split_never_trains_on_a_later_node(d, f, strict):
    val, test = f
    try:
        s = temporal_split(d, val_frac=val, test_frac=test, strict_val=strict)
    except BnplError as e:
        event("clear error")
        assert "\n" not in str(e)
        return
    t = d.nodes["tx"]["time"].to_numpy()
    known = d.labels.set_index("node_id")["label_time"]
    assert len(s.train) and len(s.test)
    assert t[s.train].max() <= s.train_cutoff
    if len(s.val):
        assert s.train_cutoff < t[s.val].min() and t[s.val].max() <= s.val_cutoff
    assert t[s.test].min() > s.val_cutoff >= t[s.train].max()
    assert (known[s.train] <= s.train_cutoff).all()  # only labels known at the cutoff train
    assert not (set(s.train) & set(s.val) or set(s.train) & set(s.test) or set(s.val) & set(s.test))
    assert set(s.train) | set(s.val) | set(s.test) <= set(d.labels["node_id"])
    assert set(s.test) == set(d.labels["node_id"][t[d.labels["node_id"]] > s.val_cutoff])


# ---------------------------------------------------------------- recommendation splits
@st.composite
def interactions(draw):
    n = draw(st.integers(1, 60))
    return pd.DataFrame({"user_id": draw(st.lists(st.integers(0, 6), min_size=n, max_size=n)),
                         "item_id": draw(st.lists(st.integers(0, 8), min_size=n, max_size=n)),
                         "time": draw(st.lists(st.integers(0, 15), min_size=n, max_size=n)),
                         "weight": 1.0}).astype({"time": np.float64})


def _pairs(df):
    return set(zip(df["user_id"], df["item_id"], strict=True))


def _rows(df):
    return sorted(map(tuple, df[["user_id", "item_id", "time"]].to_numpy().tolist()))


@FAST
@given(inter=interactions(), frac=st.sampled_from([0.1, 0.25, 0.5, 0.9]), seed=st.integers(0, 1000))
def test_per_user_split_covers_rows_and_keeps_pairs_on_one_side(inter, frac, seed):
    try:
        train, test = per_user_random_split(inter, test_frac=frac, seed=seed)
    except BnplError as e:
        event("clear error")
        assert "\n" not in str(e)
        n = inter[["user_id", "item_id"]].drop_duplicates().groupby("user_id").size().to_numpy()
        assert (np.minimum(np.floor(n * frac + 0.5), n - 1) == 0).all()  # nobody had enough pairs for test
        return
    assert len(test) and not _pairs(train) & _pairs(test)
    assert _rows(pd.concat([train, test])) == _rows(inter)
    for u, n_items in inter.groupby("user_id")["item_id"].nunique().items():
        if n_items >= 2:
            assert u in set(train["user_id"])  # every user with two items keeps one in train


@FAST
@given(inter=interactions(), frac=st.sampled_from([0.1, 0.2, 0.5]), drop=st.booleans())
def test_temporal_interaction_split_is_ordered_in_time(inter, frac, drop):
    try:
        train, test = temporal_interaction_split(inter, test_frac=frac, drop_repeats=drop)
    except BnplError as e:
        event("clear error")
        assert "\n" not in str(e)
        return
    assert len(train) and len(test) and train["time"].max() < test["time"].min()
    if drop:
        assert not _pairs(train) & _pairs(test)
    else:
        assert _rows(pd.concat([train, test])) == _rows(inter)


@FAST
@given(inter=interactions())
def test_leave_last_out_tests_each_users_last_row(inter):
    try:
        train, test = leave_last_out_split(inter)
    except BnplError as e:
        event("clear error")
        assert "\n" not in str(e)
        assert inter.groupby("user_id")["item_id"].nunique().max() < 2
        return
    assert test["user_id"].is_unique and not _pairs(train) & _pairs(test)
    for u, row in test.set_index("user_id").iterrows():
        assert row["time"] >= inter.loc[inter["user_id"] == u, "time"].max()
        assert u in set(train["user_id"])
