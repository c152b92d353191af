"""EASE (Steck 2019): closed-form shallow autoencoder ``B = I - P / diag(P)``, ``P = (X^T X + lambda I)^-1``."""
from __future__ import annotations

import numpy as np
import torch

from bnpl.errors import BnplError
from bnpl.recsys.models.base import Recommender

MAX_ITEMS = 40_000  # a dense n_items^2 matrix beyond this does not fit in memory


class EASE(Recommender):
    name = "ease"
    grid = [{"l2": 50.0}, {"l2": 250.0}, {"l2": 1000.0}]

    def _fit(self, train_df, side) -> None:
        if self.n_items > MAX_ITEMS:
            raise BnplError(f"EASE: {self.n_items} items is too many for a dense item-item model (max {MAX_ITEMS})")
        l2 = float(self.params.get("l2", 500.0))
        x = self.train.astype(np.float32)
        g = torch.from_numpy((x.T @ x).toarray())  # float32: G + l2*I is well conditioned, twice as fast
        g.diagonal().add_(l2)
        p = torch.linalg.inv(g)
        b = -p / p.diagonal()
        b.fill_diagonal_(0.0)
        self.b = b.numpy()

    def score(self, user_ids):
        return self.train[user_ids] @ self.b
