"""Two-stage recommender: time features on a hand example, no held-out fact in its training, graceful without time."""
import numpy as np
import pandas as pd
import pytest

from bnpl.data.splits import per_user_random_split
from bnpl.recsys.evaluate import evaluate
from bnpl.recsys.models import model_class
from bnpl.recsys.rerank_features import time_features, time_profiles
from tests.test_recsys_models import N_ITEMS, N_USERS, planted_tastes


def test_time_features_hand_example():
    # times in [0, 10]; user 0 active in [0, 2], user 1 in [8, 10]
    df = pd.DataFrame({"user_id": [0, 0, 1, 1, 2, 2, 2], "item_id": [0, 1, 2, 1, 0, 2, 1],
                       "time": [0.0, 2.0, 8.0, 10.0, 1.0, 9.0, 5.0]})
    prof = time_profiles(df, 3, 3, n_bins=10)
    count = np.array([2.0, 3.0, 2.0])
    f = time_features(prof, np.array([0, 0, 1, 1]), np.array([0, 2, 0, 2]), count)
    # item 0 was used at t=0,1 (inside user 0's window [0, 2]); item 2 at t=8,9 (inside user 1's [8, 10])
    assert f["in_window"].tolist() == [1.0, 0.0, 0.0, 1.0]
    assert f["time_local"][0] == 1.0 and f["time_local"][1] == 0.0 and f["time_local"][3] == 1.0
    assert f["first_vs_user_end"][1] == pytest.approx((8 - 2) / 10)   # item 2 first seen 0.6 of the span after user 0's end
    assert f["user_span"][0] == pytest.approx(0.2)


def test_time_features_degrade_to_zeros_without_time():
    df = pd.DataFrame({"user_id": [0, 1], "item_id": [1, 0], "time": [3.0, 3.0]})
    assert time_profiles(df, 2, 2) is None and time_profiles(df.drop(columns="time"), 2, 2) is None
    f = time_features(None, np.array([0, 1]), np.array([0, 1]), np.array([1.0, 1.0]))
    assert all((v == 0).all() for v in f.values())


@pytest.fixture(scope="module")
def split():
    return per_user_random_split(planted_tastes(), test_frac=0.25, seed=0)


def test_ranker_is_trained_on_a_carve_of_train_only(split, monkeypatch):
    import bnpl.recsys.models.rerank as rr

    train, test = split
    seen = {}
    real_carve, real_pairs = rr.carve_validation, rr.TwoStage._pairs

    def spy_carve(df, *a, **kw):
        seen["carve_input"] = df
        seen["fit"], seen["val"] = real_carve(df, *a, **kw)
        return seen["fit"], seen["val"]

    def spy_pairs(self, stage, users):
        out = real_pairs(self, stage, users)
        seen.setdefault("pairs", []).append((stage["x"].copy(), users, out[1], out[2]))
        return out

    monkeypatch.setattr(rr, "carve_validation", spy_carve)
    monkeypatch.setattr(rr.TwoStage, "_pairs", spy_pairs)
    model = model_class("rerank")(seed=0).fit(train, N_USERS, N_ITEMS)
    assert seen["carve_input"] is train
    pairs = lambda df: set(zip(df["user_id"], df["item_id"], strict=True))  # noqa: E731
    test_pairs = pairs(test)
    assert not (pairs(seen["val"]) & test_pairs) and pairs(seen["val"]) <= pairs(train)
    # the ranker's training rows: features from the fit part only, candidates never in it, labels from the carve
    x, users, rows, items = seen["pairs"][0]
    assert x.sum() == len(pairs(seen["fit"]))
    assert not set(zip(users[rows].tolist(), items.tolist(), strict=True)) & pairs(seen["fit"])
    top = model.recommend(np.arange(N_USERS), 5)
    assert not any((u, i) in pairs(train) for u in range(N_USERS) for i in top[u])


def test_rerank_runs_without_timestamps_and_beats_popularity(split):
    train, test = split
    notime = train.drop(columns="time")
    pop = evaluate(model_class("popularity")().fit(notime, N_USERS, N_ITEMS), test, k=5)["ndcg"]
    ndcg = evaluate(model_class("rerank")(seed=0).fit(notime, N_USERS, N_ITEMS), test, k=5)["ndcg"]
    assert ndcg > pop + 0.1
