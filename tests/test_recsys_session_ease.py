"""Session-aware EASE: sessions, rating weights and the closed form on hand-made data."""
import numpy as np
import pandas as pd
import pytest

from bnpl.errors import BnplError
from bnpl.recsys.matrix import interaction_matrix
from bnpl.recsys.models.ease import EASE
from bnpl.recsys.models.session_ease import SessionEASE, rating_weights, session_matrix


def frame(rows):
    return pd.DataFrame(rows, columns=["user_id", "item_id", "time", "weight"])


def test_sessions_split_at_the_gap_quantile():
    # within-user gaps: user 0: 0, 10, 90; user 1: 0, 1000 -> median 10: a new session where the gap exceeds 10
    df = frame([(0, 0, 0, 1), (0, 1, 0, 1), (0, 2, 10, 1), (0, 3, 100, 1),
                (1, 1, 5, 1), (1, 2, 5, 1), (1, 4, 1005, 1)])
    s = session_matrix(df.sample(frac=1.0, random_state=0), n_items=5, quantile=0.5)  # row order must not matter
    sessions = sorted(tuple(np.flatnonzero(r)) for r in s.toarray())
    assert sessions == [(0, 1, 2), (1, 2), (3,), (4,)]


def test_no_sessions_without_usable_times():
    df = frame([(0, 0, 1, 1), (0, 1, 1, 1), (1, 1, 1, 1)])
    assert session_matrix(df, 2, 0.7) is None  # constant time
    assert session_matrix(df.drop(columns="time"), 2, 0.7) is None
    with pytest.raises(BnplError, match="session_quantile"):
        session_matrix(df, 2, 1.5)


def test_rating_weights_standardise_the_weight_column():
    df = frame([(0, 0, 0, 1.0), (0, 1, 0, 3.0), (1, 1, 0, 5.0)])
    w = rating_weights(df, 2, 2, strength=0.5).toarray()
    z = (np.array([1.0, 3.0, 5.0]) - 3.0) / np.std([1.0, 3.0, 5.0])
    assert np.allclose([w[0, 0], w[0, 1], w[1, 1]], 1 + 0.5 * z)
    assert w[1, 0] == 0
    assert rating_weights(df.assign(weight=1.0), 2, 2, strength=0.5) is None  # implicit data: binary rows


def test_closed_form_adds_the_session_gram():
    rng = np.random.default_rng(0)
    df = frame([(u, i, t, 1.0) for u in range(30) for t, i in enumerate(rng.choice(12, 6, replace=False))
                for t in [t * (50 if t % 3 == 0 else 1)]])
    model = SessionEASE(l2=5.0, dropout=0.2, session_weight=0.7, session_quantile=0.5, rating_weight=0.0).fit(df, 30, 12)
    x = interaction_matrix(df, 30, 12).toarray().astype(np.float64)
    s = session_matrix(df, 12, 0.5).toarray().astype(np.float64)
    assert 30 < s.shape[0] < len(df)  # some users have several sessions
    g = x.T @ x + 0.7 * s.T @ s
    inv = np.linalg.inv(g + np.diag(5.0 + 0.2 / 0.8 * np.diag(g)))
    expected = -inv / np.diag(inv)
    np.fill_diagonal(expected, 0.0)
    assert np.allclose(model.b, expected, atol=1e-4)


def test_without_sessions_and_rating_weights_it_is_ease():
    rng = np.random.default_rng(1)
    df = frame([(u, int(i), float(rng.integers(0, 100)), float(rng.integers(1, 6))) for u in range(20)
                for i in rng.choice(10, 5, replace=False)])
    plain = SessionEASE(l2=3.0, dropout=0.1, session_weight=0.0, rating_weight=0.0).fit(df, 20, 10)
    ease = EASE(l2=3.0, dropout=0.1).fit(df, 20, 10)
    assert np.allclose(plain.score(np.arange(20)), ease.score(np.arange(20)), atol=1e-5)
    with pytest.raises(BnplError, match="session_weight"):
        SessionEASE(session_weight=-1.0).fit(df, 20, 10)


def test_side_information_enters_the_gram_as_pseudo_users_and_pseudo_items():
    from types import SimpleNamespace

    rng = np.random.default_rng(2)
    df = frame([(u, int(i), 0.0, 1.0) for u in range(25) for i in rng.choice(8, 4, replace=False)])
    genre = pd.DataFrame({"g_a": (np.arange(8) % 2).astype(float), "g_b": (np.arange(8) < 3).astype(float)})
    users = pd.DataFrame({"female": (np.arange(25) % 3 == 0).astype(float)})
    side = SimpleNamespace(item_features=genre, user_features=users)
    model = SessionEASE(l2=4.0, dropout=0.0, rating_weight=0.0, item_side=0.5, user_side=2.0).fit(df, 25, 8, side=side)
    x = interaction_matrix(df, 25, 8).toarray().astype(np.float64)
    f, u = genre.to_numpy(), 2.0 * users.to_numpy()
    g = x.T @ x
    g = g + 0.5 * np.diag(g).mean() / np.diag(f @ f.T).mean() * (f @ f.T)
    z = np.hstack([x, u])
    full = z.T @ z
    full[:8, :8] = g
    inv = np.linalg.inv(full + 4.0 * np.eye(9))
    b = -inv / np.diag(inv)
    np.fill_diagonal(b, 0.0)
    assert np.allclose(model.score(np.arange(25)), z @ b[:, :8], atol=1e-4)
    no_side = SessionEASE(l2=4.0, dropout=0.0, rating_weight=0.0).fit(df, 25, 8)
    assert not np.allclose(no_side.score(np.arange(25)), model.score(np.arange(25)), atol=1e-3)
