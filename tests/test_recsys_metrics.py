"""Ranking metrics on hand-computed cases (definitions of Microsoft Recommenders' python_evaluation)."""
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from bnpl.recsys.metrics import (
    catalogue_coverage,
    per_user_metrics,
    popularity_bias,
    ranking_metrics,
)


def _relevant(rows, n_items=6):
    r, c = zip(*[(u, i) for u, items in enumerate(rows) for i in items], strict=True)
    return sp.csr_matrix((np.ones(len(r)), (r, c)), shape=(len(rows), n_items))


def test_hand_computed_two_users_and_one_without_test_items():
    topk = np.array([[1, 2, 3], [4, 0, 1], [0, 1, 2]])
    rel = _relevant([[2, 5], [4, 1, 0, 3], []])
    m = per_user_metrics(topk, rel, k=3)
    assert list(m.index) == [0, 1]  # the user without test items is left out
    # user 0: one hit at rank 2 of 2 relevant
    assert m.loc[0, "precision"] == pytest.approx(1 / 3)
    assert m.loc[0, "recall"] == pytest.approx(1 / 2)
    assert m.loc[0, "ndcg"] == pytest.approx((1 / np.log2(3)) / (1 + 1 / np.log2(3)))
    assert m.loc[0, "map"] == pytest.approx((1 / 2) / 2)
    # user 1: hits at ranks 1..3 of 4 relevant; ideal DCG over min(4, k) = 3 positions
    assert m.loc[1, "precision"] == pytest.approx(1.0)
    assert m.loc[1, "recall"] == pytest.approx(3 / 4)
    assert m.loc[1, "ndcg"] == pytest.approx(1.0)
    assert m.loc[1, "map"] == pytest.approx(3 / 4)
    mean = ranking_metrics(topk, rel, k=3)
    assert mean["map"] == pytest.approx((0.25 + 0.75) / 2)


def test_ndcg_against_a_literal_formula_on_random_cases():
    rng = np.random.default_rng(0)
    n_users, n_items, k = 30, 20, 5
    rel_sets = [set(rng.choice(n_items, size=rng.integers(1, 8), replace=False)) for _ in range(n_users)]
    topk = np.array([rng.permutation(n_items)[:k] for _ in range(n_users)])
    got = per_user_metrics(topk, _relevant([sorted(s) for s in rel_sets], n_items), k)
    for u, s in enumerate(rel_sets):
        dcg = sum(1 / np.log(1 + r) for r, i in enumerate(topk[u], 1) if i in s)
        idcg = sum(1 / np.log(1 + r) for r in range(1, min(len(s), k) + 1))
        hits = np.array([i in s for i in topk[u]])
        ap = sum(hits[:r].sum() / r for r in range(1, k + 1) if hits[r - 1]) / len(s)
        assert got.loc[u, "ndcg"] == pytest.approx(dcg / idcg)
        assert got.loc[u, "map"] == pytest.approx(ap)
        assert got.loc[u, "recall"] == pytest.approx(hits.sum() / len(s))


def test_coverage_and_popularity_bias():
    train = sp.csr_matrix(np.array([[1, 1, 1, 0], [1, 1, 0, 0], [1, 0, 0, 0]], dtype=float))
    topk = np.array([[0], [0], [1]])
    assert catalogue_coverage(topk, 4) == pytest.approx(0.5)
    pct = pd.Series([3, 2, 1, 0]).rank(pct=True).to_numpy()
    assert popularity_bias(topk, train) == pytest.approx((2 * pct[0] + pct[1]) / 3)
    assert popularity_bias(np.array([[3]]), train) < popularity_bias(np.array([[0]]), train)
