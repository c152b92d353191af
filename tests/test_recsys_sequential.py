"""SASRec and GRU4Rec learn a planted next-item rule that order-blind models cannot see."""
import numpy as np
import pandas as pd
import pytest

from bnpl.data.splits import leave_last_out_split
from bnpl.errors import BnplError
from bnpl.recsys.evaluate import evaluate
from bnpl.recsys.models import model_class
from bnpl.recsys.models.sequential import left_padded, user_sequences

N_USERS, N_ITEMS = 300, 40
FAST = {"epochs": 30, "lr": 0.01, "dim": 16, "negatives": 0, "dropout": 0.1, "max_len": 8}


def planted_chains(seed: int = 0) -> pd.DataFrame:
    """Each user walks i, i+1, i+2, ... (mod N_ITEMS) from a random start: the next item is always
    the successor of the last one, while every item is equally popular and co-occurs with its neighbours both ways."""
    rng = np.random.default_rng(seed)
    rows = []
    for u in range(N_USERS):
        start, length = rng.integers(0, N_ITEMS), rng.integers(4, 9)
        rows += [(u, int((start + t) % N_ITEMS), float(t)) for t in range(length)]
    return pd.DataFrame(rows, columns=["user_id", "item_id", "time"])


def test_user_sequences_follow_time_then_row_order():
    df = pd.DataFrame({"user_id": [1, 0, 1, 1], "item_id": [5, 2, 3, 4], "time": [2.0, 0.0, 1.0, 1.0]})
    seqs = user_sequences(df, 3)
    assert [s.tolist() for s in seqs] == [[2], [3, 4, 5], []]
    assert left_padded(seqs, 2).tolist() == [[0, 3], [5, 6], [0, 0]]


@pytest.mark.parametrize("name", ["sasrec", "gru4rec"])
def test_sequential_model_learns_the_next_item(name):
    train, test = leave_last_out_split(planted_chains())
    seq = evaluate(model_class(name)(seed=0, **FAST).fit(train, N_USERS, N_ITEMS), test, k=5)["ndcg"]
    ease = evaluate(model_class("ease")(l2=10.0).fit(train, N_USERS, N_ITEMS), test, k=5)["ndcg"]
    assert seq > 0.95 and seq > ease + 0.1, f"{name}: ndcg {seq:.3f} vs EASE {ease:.3f}"


@pytest.mark.parametrize("loss", [{"negatives": 0}, {"negatives": 10}])
def test_sampled_and_full_softmax_both_train(loss):
    train, test = leave_last_out_split(planted_chains())
    model = model_class("gru4rec")(seed=0, **(FAST | loss)).fit(train, N_USERS, N_ITEMS)
    assert evaluate(model, test, k=5)["ndcg"] > 0.5


def test_bad_dropout_is_one_line_error():
    with pytest.raises(BnplError, match="dropout"):
        model_class("sasrec")(dropout=1.5).fit(planted_chains(), N_USERS, N_ITEMS)


def time_driven_log(seed: int = 0) -> pd.DataFrame:
    """Interactions happen in periods (time ``100 * period`` + a little), a user skipping 0-2 periods between
    purchases; the next item is one of the 5 items of block ``period % 8`` of the PREVIOUS interaction, so the
    previous item narrows the next block to three, its time to one."""
    rng = np.random.default_rng(seed)
    rows = []
    for u in range(N_USERS):
        period = rng.integers(0, 8) + np.cumsum(rng.integers(1, 4, size=8))
        times = 100.0 * period + rng.uniform(0, 10, size=8)
        items = [int(rng.integers(0, N_ITEMS))] + [int(p % 8) * 5 + int(rng.integers(0, 5)) for p in period[:-1]]
        rows += [(u, i, t) for i, t in zip(items, times, strict=True)]
    return pd.DataFrame(rows, columns=["user_id", "item_id", "time"])


def test_time_buckets_let_sasrec_read_when_the_last_purchase_was():
    train, test = leave_last_out_split(time_driven_log())
    params = FAST | {"epochs": 40, "max_len": 8}
    recall = {b: evaluate(model_class("sasrec")(seed=0, time_buckets=b, **params).fit(train, N_USERS, N_ITEMS), test,
                          k=5)["recall"] for b in (0, 64)}
    assert recall[64] > 0.6 and recall[64] > recall[0] + 0.25, recall


def test_time_buckets_without_time_column_fall_back_to_order_only():
    train = planted_chains().drop(columns="time")
    model = model_class("gru4rec")(seed=0, time_buckets=8, **(FAST | {"epochs": 2})).fit(train, N_USERS, N_ITEMS)
    assert model.times is None and model.net.time_emb is None

