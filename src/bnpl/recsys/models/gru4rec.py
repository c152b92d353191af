"""GRU4Rec (Hidasi et al. 2016), in its cross-entropy form: a GRU over the user's last items, its
hidden state scored against the (tied) item embeddings to predict the next item; dropout on the
embeddings and the hidden states. Trained on every position (see :mod:`bnpl.recsys.models.sequential`).
"""
from __future__ import annotations

import torch

from bnpl.recsys.models.sequential import SequentialRecommender


class GRU4RecNet(torch.nn.Module):
    def __init__(self, n_items: int, dim: int, dropout: float, time_buckets: int = 0):
        super().__init__()
        self.item_emb = torch.nn.Embedding(n_items + 1, dim, padding_idx=0)
        self.time_emb = torch.nn.Embedding(time_buckets + 1, dim, padding_idx=0) if time_buckets else None
        self.drop = torch.nn.Dropout(dropout)
        self.gru = torch.nn.GRU(dim, dim, batch_first=True)
        torch.nn.init.normal_(self.item_emb.weight, std=0.05)

    def forward(self, ids: torch.Tensor, times: torch.Tensor | None = None) -> torch.Tensor:
        x = self.item_emb(ids)
        if self.time_emb is not None and times is not None:
            x = x + self.time_emb(times)
        out, _ = self.gru(self.drop(x))
        return self.drop(out)


class GRU4Rec(SequentialRecommender):
    name = "gru4rec"
    cost = 2
    #: chosen on the validation carve of Amazon Grocery, seed 0 (docs/recsys-benchmarks.md)
    grid = [{"negatives": 0, "dropout": 0.3, "lr": 5e-3, "epochs": 16}]

    def _network(self, n_items, p):
        return GRU4RecNet(n_items, int(p["dim"]), float(p["dropout"]), int(p["time_buckets"]))
