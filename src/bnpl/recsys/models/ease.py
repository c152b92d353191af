"""EASE (Steck 2019): closed-form shallow autoencoder ``B = I - P / diag(P)``, ``P = (X^T X + Lambda)^-1``.

``Lambda = l2 * I`` is plain EASE; ``dropout`` p > 0 adds ``p / (1 - p) * diag(X^T X)``, the
item-specific penalty of EDLAE (Steck 2020, "Autoencoders that don't overfit towards the
identity": emphasised denoising with dropout rate p, same zero-diagonal closed form).
"""
from __future__ import annotations

import numpy as np
import torch

from bnpl.errors import BnplError
from bnpl.recsys.models.base import Recommender

MAX_ITEMS = 40_000  # a dense n_items^2 matrix beyond this does not fit in memory


class EASE(Recommender):
    name = "ease"
    grid = [{"l2": 100.0}, {"l2": 1000.0}, {"l2": 300.0, "dropout": 0.25}]

    def _fit(self, train_df, side) -> None:
        if self.n_items > MAX_ITEMS:
            raise BnplError(f"EASE: {self.n_items} items is too many for a dense item-item model (max {MAX_ITEMS})")
        l2 = float(self.params.get("l2", 500.0))
        x = self.train.astype(np.float32)
        g = torch.from_numpy((x.T @ x).toarray())  # float32: G + l2*I is well conditioned, twice as fast
        p_drop = float(self.params.get("dropout", 0.0))
        if not 0.0 <= p_drop < 1.0:
            raise BnplError(f"EASE: parameter 'dropout' must be in [0, 1) (got {p_drop})")
        g.diagonal().add_(l2 + p_drop / (1.0 - p_drop) * g.diagonal())
        p = torch.linalg.inv(g)
        b = -p / p.diagonal()
        b.fill_diagonal_(0.0)
        self.b = b.numpy()

    def score(self, user_ids):
        return self.train[user_ids] @ self.b
