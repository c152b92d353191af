"""Scale helpers: neighbourhood EASE against the closed form, sparse top-k, the time budget."""
import numpy as np
import pytest
import scipy.sparse as sp

import bnpl.recsys.models.ease as ease_module
from bnpl.recsys.budget import plan_model
from bnpl.recsys.models import model_class
from bnpl.recsys.sparse_ops import top_k_per_row


@pytest.mark.parametrize("dense_gather", [True, False])
@pytest.mark.parametrize("dropout", [0.0, 0.25])
def test_neighbourhood_ease_equals_closed_form_with_all_neighbours(dropout, dense_gather, monkeypatch):
    x = sp.random(300, 60, density=0.5, random_state=0, format="csr")
    x.data[:] = 1.0
    gram = x.T @ x
    assert gram.nnz == 60 * 60  # every pair co-occurs, so 59 neighbours is every other item
    if not dense_gather:
        monkeypatch.setattr(ease_module, "DENSE_GATHER_ITEMS", 0)
    exact = ease_module.ease_weights(gram.toarray(), 10.0, dropout)
    approx = ease_module.ease_neighbourhood_weights(gram, 10.0, dropout, neighbours=59, chunk=7).toarray()
    np.testing.assert_allclose(approx, exact, atol=1e-5)


def test_top_k_per_row_keeps_largest():
    m = sp.csr_matrix(np.array([[3.0, 1.0, 2.0, 0.0], [0.0, 5.0, 0.0, 4.0]], dtype=np.float32))
    assert top_k_per_row(m, 1).toarray().tolist() == [[3.0, 0.0, 0.0, 0.0], [0.0, 5.0, 0.0, 0.0]]


def test_budget_picks_cheaper_ease_on_large_catalogue_and_full_on_small():
    ease = model_class("ease")
    assert plan_model("ease", ease, 943, 1682, 100_000, 300.0).action == "full"
    plan = plan_model("ease", ease, 30_000, 25_000, 300_000, 300.0)
    assert plan.action in ("cheaper", "one-config") and plan.fixed == {"neighbours": 100}
    assert "ease" in plan.line() and "budget" in plan.line()
    assert plan_model("ease", ease, 30_000, 25_000, 300_000, 0.001).action == "skipped"


@pytest.mark.parametrize("name, rankings", [("bpr", 60 // 5), ("lightgcn", 40 // 4), ("sidegnn", 40 // 4)])
def test_budget_counts_the_validation_rankings_of_embedding_models(name, rankings):
    """BPR ranks the whole catalogue for validation every 5 of its 60 epochs; with 30,000 users x 25,760 items
    those rankings were most of its 405 s, which an estimate counting one ranking per fit put at 80 s."""
    from bnpl.recsys.budget import RANKING_SECONDS, estimate_seconds

    cls = model_class(name)
    fits = len(cls.grid) + 1
    extra = estimate_seconds(cls, 60_000, 25_760, 293_487) - estimate_seconds(cls, 30_000, 25_760, 293_487)
    assert extra == pytest.approx(RANKING_SECONDS * 30 * 25.76 * rankings * fits)


def test_budget_reads_the_history_length_of_sequential_models():
    """An epoch of SASRec pads every window to ``max_len``: the estimate grows with it (its grid's 50 items cost
    2.5 times the 20 the constant was measured with), and the ranking part does not."""
    from bnpl.recsys.budget import estimate_seconds

    cls = model_class("sasrec")
    sizes = (1, 1, 100_000)  # a negligible ranking part
    long, short = (estimate_seconds(cls, *sizes, params={"max_len": n}) for n in (50, 20))
    assert long == pytest.approx(2.5 * short, rel=1e-3)
    assert estimate_seconds(cls, *sizes) == pytest.approx(estimate_seconds(cls, *sizes, params={"max_len": cls.grid[0]["max_len"]}))
