"""BPR matrix factorisation (Rendle et al. 2009) in torch, trained with :func:`train_pairwise`."""
from __future__ import annotations

from typing import Any

import torch

from bnpl.recsys.models.base import Recommender
from bnpl.recsys.models.checkpoint import open_checkpoint
from bnpl.recsys.models.pairwise import train_pairwise

DEFAULTS: dict[str, Any] = {"dim": 64, "epochs": 60, "lr": 2e-2, "l2": 1e-2, "batch_size": 16384, "loss": "bpr", "negatives": "uniform",
            "n_negatives": 1,
            "eval_every": 5}


class BPR(Recommender):
    name = "bpr"
    cost = 8
    grid = [{"l2": 3e-3}, {"l2": 1e-2}]  # two configurations: costly models get the smaller share of the <=3 budget
    #: full rankings per tuning fit (validation every ``eval_every`` epochs): on 30,000 users x 25,760 items they,
    #: not the training, are most of a fit
    rankings_per_fit = DEFAULTS["epochs"] // DEFAULTS["eval_every"]

    def _fit(self, train_df, side) -> None:
        p = DEFAULTS | self.params
        assert self.train is not None     # set by fit before _fit
        self.user_emb = torch.nn.Embedding(self.n_users, p["dim"])
        self.item_emb = torch.nn.Embedding(self.n_items, p["dim"])
        for e in (self.user_emb, self.item_emb):
            torch.nn.init.normal_(e.weight, std=0.1)
        self.history, best_epochs = train_pairwise(
            lambda: (self.user_emb.weight, self.item_emb.weight),
            [self.user_emb.weight, self.item_emb.weight], self.train,
            epochs=p["epochs"], lr=p["lr"], l2=p["l2"], batch_size=p["batch_size"], loss=p["loss"], negatives=p["negatives"],
            n_negatives=p["n_negatives"], seed=self.seed, validate=self._validation_ndcg(), eval_every=p["eval_every"],
            checkpoint=open_checkpoint(self, self.train.nnz))
        self.tuned = {"epochs": best_epochs}

    @torch.no_grad()
    def score(self, user_ids):
        return (self.user_emb.weight[torch.tensor(user_ids, dtype=torch.long)] @ self.item_emb.weight.T).numpy()
