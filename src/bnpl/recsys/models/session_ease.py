"""Session- and side-information-aware EASE: EASE whose item Gram matrix also counts co-occurrence
within a user's sessions and shared item attributes, with user attributes as extra input columns,
and whose scoring weighs the user's items by their rating.

People interact in sessions: in MovieLens, half of a user's consecutive ratings share the same
second (a page of ratings submitted at once); in a shop, the products of one visit. Two items
in the same session are more closely related than two items anywhere in a user's history.
With ``X`` the binary user x item matrix of the training data and ``S`` the binary
session x item matrix of the same rows cut into sessions,

    ``G = X^T X + session_weight * S^T S``

replaces ``X^T X`` in the EASE / EDLAE closed form (:func:`~bnpl.recsys.models.ease.ease_weights`).

Side information (when the fit is given an :class:`~bnpl.data.normalised.InteractionData` with
``item_features`` / ``user_features``; attributes one-hot encoded by
:func:`~bnpl.recsys.side_graph.attribute_matrix`: genres, categories, brands, price or age bands):

* item attributes ``F`` (items x attributes) add ``beta * F F^T`` to ``G``, i.e. each attribute
  acts as a pseudo-user who interacted with every item that has it; ``beta = item_side *
  mean(diag X^T X) / mean(diag F F^T)``, so ``item_side`` is relative to an average item's count;
* user attributes ``U`` (users x attributes) become extra input columns ``[X, user_side * U]``:
  the model learns how much each attribute (age band, occupation, region) predicts each item,
  which matters most for users with few interactions. Only the item columns of ``B`` are scored.

Sessions: a user's training rows sorted by time; a new session starts where the gap to the
previous row exceeds the ``session_quantile`` quantile of all within-user gaps of the training
data (so the threshold adapts to the time unit and to the dataset: seconds in MovieLens, days
in Amazon reviews). Without a usable ``time`` column this is plain EASE.

Scoring: ``score(u) = w_u B`` where ``w_u[i] = max(0, 1 + rating_weight * z(u, i))`` on the
user's training items, ``z`` the rating (``weight`` column) standardised over the training
data; with constant weights (implicit data) ``w_u`` is the binary row of ``X``.

Only training rows are used (never the held-out items' times).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp

from bnpl.errors import BnplError
from bnpl.recsys.models.base import Recommender
from bnpl.recsys.models.ease import MAX_ITEMS, ease_neighbourhood_weights, ease_weights
from bnpl.recsys.side_graph import attribute_matrix

DEFAULTS = {"l2": 400.0, "dropout": 0.25, "session_weight": 1.0, "session_quantile": 0.7, "rating_weight": 0.2,
            "item_side": 0.2, "user_side": 1.0}


def session_matrix(df: pd.DataFrame, n_items: int, quantile: float) -> sp.csr_matrix | None:
    """Binary (sessions x items) matrix of ``df`` (see the module docstring); None without usable times."""
    if not 0.0 <= quantile <= 1.0:
        raise BnplError(f"parameter 'session_quantile' must be in [0, 1] (got {quantile})")
    if "time" not in df.columns or len(df) == 0:
        return None
    t = pd.to_numeric(df["time"], errors="coerce").to_numpy(dtype=np.float64)
    if not np.isfinite(t).all() or t.max() <= t.min():
        return None
    users = df["user_id"].to_numpy()
    order = np.lexsort((t, users))
    u, t, items = users[order], t[order], df["item_id"].to_numpy()[order]
    same_user = np.r_[False, u[1:] == u[:-1]]
    gaps = np.diff(t, prepend=t[0])
    within = gaps[same_user]
    if len(within) == 0:
        return None
    threshold = np.quantile(within, quantile)
    new = ~same_user | (gaps > threshold)
    session = np.cumsum(new) - 1
    s = sp.csr_matrix((np.ones(len(items), np.float32), (session, items)), shape=(int(session[-1]) + 1, n_items))
    s.data[:] = 1.0  # an item repeated inside a session counts once
    return s


def rating_weights(df: pd.DataFrame, n_users: int, n_items: int, strength: float) -> sp.csr_matrix | None:
    """User x item matrix ``max(0, 1 + strength * z)`` on training pairs (z: standardised ``weight``);
    None when the weights are constant or absent (the binary matrix is then used)."""
    if strength == 0.0 or "weight" not in df.columns:
        return None
    w = pd.to_numeric(df["weight"], errors="coerce").to_numpy(dtype=np.float64)
    if not np.isfinite(w).all() or w.std() == 0:
        return None
    z = (w - w.mean()) / w.std()
    pairs = pd.DataFrame({"u": df["user_id"].to_numpy(), "i": df["item_id"].to_numpy(), "w": np.maximum(0.0, 1.0 + strength * z)})
    pairs = pairs.groupby(["u", "i"], sort=False)["w"].mean().reset_index()  # repeated pairs: their mean weight
    return sp.csr_matrix((pairs["w"].to_numpy(np.float32), (pairs["u"].to_numpy(), pairs["i"].to_numpy())), shape=(n_users, n_items))


class SessionEASE(Recommender):
    inputs = "ids + time (sessions) + ratings + user/item attributes"
    name = "sease"
    cost = 1.5
    # the defaults, a weaker ridge penalty, and no side information (for data whose attributes are noise)
    grid = [{}, {"l2": 250.0}, {"item_side": 0.0, "user_side": 0.0}]
    cheaper = {"neighbours": 100}
    scales_with = "items_cubed"

    def _fit(self, train_df, side) -> None:
        p = self.p = DEFAULTS | self.params
        if self.n_items > MAX_ITEMS and not p.get("neighbours"):
            raise BnplError(f"sease: {self.n_items} items is too many for a dense item-item model (max {MAX_ITEMS}); "
                            "set parameter 'neighbours' for the sparse approximation")
        for key in ("session_weight", "item_side", "user_side"):
            if float(p[key]) < 0:
                raise BnplError(f"sease: parameter {key!r} must be >= 0 (got {p[key]})")
        assert self.train is not None     # set by fit before _fit
        x = self.train.astype(np.float32)
        gram = (x.T @ x).tocsr()
        s = session_matrix(train_df, self.n_items, float(p["session_quantile"])) if p["session_weight"] > 0 else None
        if s is not None:
            gram = gram + float(p["session_weight"]) * (s.T @ s)
        f = attribute_matrix(getattr(side, "item_features", None), self.n_items) if p["item_side"] > 0 else None
        if f is not None and f.shape[1]:
            ff = (f @ f.T).tocsr()
            gram = gram + float(p["item_side"]) * gram.diagonal().mean() / max(ff.diagonal().mean(), 1e-9) * ff
        u = attribute_matrix(getattr(side, "user_features", None), self.n_users) if p["user_side"] > 0 else None
        self.user_attrs = float(p["user_side"]) * u if u is not None and u.shape[1] else None
        if self.user_attrs is not None:  # Gram of [X, a U]
            xu = x.T @ self.user_attrs
            gram = sp.bmat([[gram, xu], [xu.T, self.user_attrs.T @ self.user_attrs]])
        if p.get("neighbours"):
            b = ease_neighbourhood_weights(gram, float(p["l2"]), float(p["dropout"]), int(p["neighbours"]), model=self.name)
            self.b = b.tocsc()[:, :self.n_items].tocsr()
        else:
            self.b = ease_weights(gram.toarray(), float(p["l2"]), float(p["dropout"]), model=self.name)[:, :self.n_items]
        w = rating_weights(train_df, self.n_users, self.n_items, float(p["rating_weight"]))
        self.user_rows = w if w is not None else self.train
        if self.user_attrs is not None:
            self.user_rows = sp.hstack([self.user_rows, self.user_attrs]).tocsr()

    def score(self, user_ids):
        s = self.user_rows[user_ids] @ self.b
        return s.toarray() if sp.issparse(s) else np.asarray(s)
