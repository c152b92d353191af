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
