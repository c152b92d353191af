"""Every recommender trains briefly on a planted taste structure, beats popularity, never recommends training items."""
import numpy as np
import pandas as pd
import pytest

from bnpl.data.splits import per_user_random_split
from bnpl.recsys.evaluate import evaluate
from bnpl.recsys.models import MODELS, model_class

N_USERS, N_ITEMS, N_GROUPS = 120, 60, 4
FAST = {"bpr": {"epochs": 30, "lr": 0.02, "dim": 16}, "lightgcn": {"epochs": 30, "lr": 0.02, "dim": 16},
        "sidegnn": {"epochs": 30, "lr": 0.02, "dim": 16}}
SEQUENTIAL = ("sasrec", "gru4rec")  # next-item models: tested on planted sequences in tests/test_recsys_sequential.py


def planted_tastes(seed: int = 0) -> pd.DataFrame:
    """Each user likes the 15 items of one group; items of group 0 are globally most popular."""
    rng = np.random.default_rng(seed)
    rows = []
    for u in range(N_USERS):
        g = u % N_GROUPS
        liked = np.arange(g * 15, (g + 1) * 15)
        picks = rng.choice(liked, size=8, replace=False)
        noise = rng.choice(np.arange(0, 15), size=2 if g else 0, replace=False)  # popular group 0 items
        for i in np.unique(np.concatenate([picks, noise])):
            rows.append((u, int(i)))
    df = pd.DataFrame(rows, columns=["user_id", "item_id"])
    return df.assign(time=np.arange(len(df), dtype=float), weight=1.0)


@pytest.fixture(scope="module")
def split():
    return per_user_random_split(planted_tastes(), test_frac=0.25, seed=0)


@pytest.fixture(scope="module")
def popularity_ndcg(split):
    train, test = split
    return evaluate(model_class("popularity")().fit(train, N_USERS, N_ITEMS), test, k=5)["ndcg"]


@pytest.mark.parametrize("name", [m for m in MODELS if m != "popularity" and m not in SEQUENTIAL])
def test_model_beats_popularity_on_planted_tastes(name, split, popularity_ndcg):
    train, test = split
    model = model_class(name)(seed=0, **FAST.get(name, {})).fit(train, N_USERS, N_ITEMS)
    ndcg = evaluate(model, test, k=5)["ndcg"]
    assert ndcg > popularity_ndcg + 0.1, f"{name}: ndcg {ndcg:.3f} vs popularity {popularity_ndcg:.3f}"


@pytest.mark.parametrize("name", ["popularity", "ease"])
def test_recommend_masks_training_items(name, split):
    train, _ = split
    model = model_class(name)().fit(train, N_USERS, N_ITEMS)
    users = np.arange(N_USERS)
    top = model.recommend(users, k=10)
    assert top.shape == (N_USERS, 10)
    seen = set(zip(train["user_id"], train["item_id"], strict=True))
    assert not any((u, i) in seen for u in users for i in top[u])
    assert all(len(set(row)) == 10 for row in top)


def test_recommend_k_larger_than_unseen_catalogue_is_clipped(split):
    train, _ = split
    model = model_class("popularity")().fit(train, N_USERS, N_ITEMS)
    top = model.recommend([0], k=N_ITEMS + 5)
    assert top.shape == (1, N_ITEMS)
    n_seen = int((train["user_id"] == 0).sum())
    assert (top[0, -n_seen:] == -1).all() and (top[0, :-n_seen] >= 0).all()


def test_ease_and_edlae_closed_forms_match_numpy(split):
    train, _ = split
    from bnpl.recsys.matrix import interaction_matrix

    x = interaction_matrix(train, N_USERS, N_ITEMS).toarray().astype(np.float64)
    g = x.T @ x
    for l2, p in [(10.0, 0.0), (10.0, 0.3)]:
        lam = l2 + p / (1 - p) * np.diag(g)
        inv = np.linalg.inv(g + np.diag(lam))
        expected = -inv / np.diag(inv)
        np.fill_diagonal(expected, 0.0)
        got = model_class("ease")(l2=l2, dropout=p).fit(train, N_USERS, N_ITEMS).b
        np.testing.assert_allclose(got, expected, atol=2e-4)


def test_every_model_has_the_same_tuning_budget_rule():
    """Baselines and graph models alike search at most three configurations on validation."""
    assert all(1 <= len(cls.grid) <= 3 for cls in MODELS.values())


def test_early_stopping_keeps_the_best_validated_epoch_and_restores_its_parameters(split):
    import torch

    from bnpl.recsys.matrix import interaction_matrix
    from bnpl.recsys.models.pairwise import train_pairwise

    train, _ = split
    x = interaction_matrix(train, N_USERS, N_ITEMS)
    u, i = torch.nn.Parameter(torch.randn(N_USERS, 4)), torch.nn.Parameter(torch.randn(N_ITEMS, 4))
    scores, snapshots = iter([0.1, 0.3, 0.2, 0.25, 0.9]), []

    def validate():
        snapshots.append(u.detach().clone())
        return next(scores)

    history, best = train_pairwise(lambda: (u, i), [u, i], x, epochs=50, lr=0.05, l2=0.0, batch_size=64,
                                   validate=validate, eval_every=2, patience=2)
    assert best == 4 and len(history) == 8  # evaluations at epochs 2, 4, 6, 8: two without improvement after 4
    assert torch.equal(u.detach(), snapshots[1])


def test_tuning_reports_early_stopped_epochs_scaled_to_the_refit(split):
    from bnpl.recsys.tune import tune

    train, _ = split
    params, table = tune(model_class("bpr"), train, N_USERS, N_ITEMS, k=5, seed=0,
                         fixed={"epochs": 10, "eval_every": 2, "dim": 8})
    assert len(table) == len(model_class("bpr").grid)
    assert 1 <= params["epochs"] <= round(10 * 4 / 3) + 1  # best epoch on the carve x (train size / carve fit size)


def test_lightgcn_propagation_equals_pyg_get_embedding(split):
    import torch

    from bnpl.recsys.matrix import interaction_matrix
    from bnpl.recsys.models.lightgcn import (
        PygLightGCN,
        bipartite,
        normalised_adjacency,
        propagate,
    )

    train, _ = split
    adj = normalised_adjacency(bipartite(interaction_matrix(train, N_USERS, N_ITEMS)))
    model = PygLightGCN(adj.shape[0], 8, 3, normalize=False)
    ours = propagate(model, adj)
    torch.testing.assert_close(ours, model.get_embedding(adj), atol=1e-5, rtol=1e-4)
    # gradients too: backward through the symmetric product equals torch's own
    ours.pow(2).sum().backward()
    g_ours = model.embedding.weight.grad.clone()
    model.embedding.weight.grad = None
    model.get_embedding(adj).pow(2).sum().backward()
    torch.testing.assert_close(g_ours, model.embedding.weight.grad, atol=1e-4, rtol=1e-4)
