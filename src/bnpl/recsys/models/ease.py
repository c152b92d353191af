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


def ease_weights(gram: np.ndarray, l2: float, dropout: float = 0.0, model: str = "EASE") -> np.ndarray:
    """EASE/EDLAE item-item weights from an item Gram matrix (dense, float32): zero diagonal."""
    if not 0.0 <= dropout < 1.0:
        raise BnplError(f"{model}: parameter 'dropout' must be in [0, 1) (got {dropout})")
    if l2 <= 0:
        raise BnplError(f"{model}: parameter 'l2' must be positive (got {l2})")
    g = torch.from_numpy(np.array(gram, dtype=np.float32))  # float32: G + Lambda is well conditioned, twice as fast
    g.diagonal().add_(l2 + dropout / (1.0 - dropout) * g.diagonal())
    p = torch.linalg.inv(g)
    b = -p / p.diagonal()
    b.fill_diagonal_(0.0)
    return b.numpy()


class EASE(Recommender):
    name = "ease"
    grid = [{"l2": 100.0}, {"l2": 1000.0}, {"l2": 300.0, "dropout": 0.25}]

    def _fit(self, train_df, side) -> None:
        if self.n_items > MAX_ITEMS:
            raise BnplError(f"EASE: {self.n_items} items is too many for a dense item-item model (max {MAX_ITEMS})")
        x = self.train.astype(np.float32)
        self.b = ease_weights((x.T @ x).toarray(), float(self.params.get("l2", 500.0)),
                              float(self.params.get("dropout", 0.0)), model=self.name)

    def score(self, user_ids):
        return self.train[user_ids] @ self.b
