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
