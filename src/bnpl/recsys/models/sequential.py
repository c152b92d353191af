"""Shared machinery of the next-item models (SASRec, GRU4Rec): each user's training history as a
time-ordered sequence, next-item training on every position, early stopping on validation, and
scoring from the hidden state after the user's last ``max_len`` items.

Loss: cross-entropy over the full catalogue (``negatives=0``) or sampled softmax against
``negatives`` items drawn uniformly and shared by the mini-batch, with the logQ correction
(subtracting ``log`` of the sampling probability keeps the estimate unbiased).
Item ids are shifted by one inside the network; 0 is padding (sequences are left-padded).

``time_buckets`` > 0 (and a ``time`` column) adds the WHEN of each input interaction: its time is
cut into that many buckets at the quantiles of the training times, and a learned embedding of the
bucket is added to the item's input embedding (an absolute-time embedding as in MEANTIME, Cho et
al. 2020), so the model can tell an item bought in one year from the same item bought in another and
prefer items of the user's period. Bucket edges come from the data the model is fitted on; 0 (the
default) leaves the model order-only.
"""
from __future__ import annotations

import math
from typing import Any, cast

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F

from bnpl.errors import BnplError
from bnpl.recsys.models.base import Recommender
from bnpl.recsys.models.checkpoint import TrainingState, open_checkpoint

DEFAULTS: dict[str, Any] = {"dim": 64, "max_len": 20, "dropout": 0.3, "epochs": 60, "lr": 2e-3, "l2": 0.0, "batch_size": 256,
            "negatives": 1000, "eval_every": 2, "patience": 2, "time_buckets": 0}


def user_sequences(train_df: pd.DataFrame, n_users: int, values: np.ndarray | None = None) -> list[np.ndarray]:
    """Each user's item ids (or, given ``values``, those of the rows) ordered by time, then row order
    (empty array for users without rows)."""
    keys = [train_df["user_id"].to_numpy()]
    if "time" in train_df.columns:
        keys.insert(0, train_df["time"].to_numpy())
    order = np.lexsort([np.arange(len(train_df))] + keys)
    users = train_df["user_id"].to_numpy()[order]
    items = (train_df["item_id"].to_numpy() if values is None else values)[order].astype(np.int64)
    bounds = np.searchsorted(users, np.arange(n_users + 1))
    return [items[bounds[u]:bounds[u + 1]] for u in range(n_users)]


def time_bucket_edges(train_df: pd.DataFrame, buckets: int) -> np.ndarray | None:
    """``buckets - 1`` inner edges at the quantiles of the ``time`` column (None without a usable column)."""
    if buckets < 1 or "time" not in train_df.columns:
        return None
    t = pd.to_numeric(train_df["time"], errors="coerce").to_numpy(dtype=np.float64)
    if not np.isfinite(t).all():
        raise BnplError("time_buckets: the interactions' 'time' column has missing or non-numeric values")
    return np.quantile(t, np.arange(1, buckets) / buckets)


def time_buckets(train_df: pd.DataFrame, edges: np.ndarray) -> np.ndarray:
    """Bucket of each row's time, 0 .. len(edges) (shifted by one inside the network, 0 = padding)."""
    return np.searchsorted(edges, pd.to_numeric(train_df["time"]).to_numpy(dtype=np.float64), side="right")


def left_padded(seqs: list[np.ndarray], max_len: int) -> np.ndarray:
    """``(len(seqs), max_len)`` array of the last ``max_len`` items + 1 of each sequence, 0-padded on the left."""
    out = np.zeros((len(seqs), max_len), dtype=np.int64)
    for r, s in enumerate(seqs):
        s = s[-max_len:]
        if len(s):
            out[r, -len(s):] = s + 1
    return out


class SequentialRecommender(Recommender):
    """Subclasses implement ``_network(n_items, p)``: a module mapping ``(B, L)`` padded ids (and, with
    ``time_buckets``, ``(B, L)`` padded time buckets) to ``(B, L, dim)`` hidden states, with an
    ``item_emb`` embedding of ``n_items + 1`` rows (tied output)."""
    inputs = "ids + time (order)"

    scales_with = "epochs"
    typical_epochs = 30
    rankings_per_fit = 8  # validation every few epochs

    def _fit(self, train_df, side) -> None:
        p = self.p = DEFAULTS | self.params
        for key in ("dim", "max_len", "batch_size", "epochs"):
            if int(p[key]) < 1:
                raise BnplError(f"{self.name}: parameter {key!r} must be at least 1 (got {p[key]})")
        if not 0.0 <= float(p["dropout"]) < 1.0:
            raise BnplError(f"{self.name}: parameter 'dropout' must be in [0, 1) (got {p['dropout']})")
        self.sequences = user_sequences(train_df, self.n_users)
        edges = time_bucket_edges(train_df, int(p["time_buckets"]))
        self.times = None if edges is None else user_sequences(train_df, self.n_users, time_buckets(train_df, edges))
        self.net = self._network(self.n_items, p | {"time_buckets": 0 if edges is None else int(p["time_buckets"])})
        self.tuned = {"epochs": self._train(p)}
        self.net.eval()

    def _network(self, n_items: int, p: dict[str, Any]) -> torch.nn.Module:
        raise NotImplementedError

    def _train(self, p: dict[str, Any]) -> int:
        """Adam on next-item loss; returns the epochs kept (best validated epoch, or all epochs). Resumes from
        and saves to ``checkpoint`` when that parameter is given (:mod:`bnpl.recsys.models.checkpoint`)."""
        rng = np.random.default_rng(self.seed)
        # training windows: the last max_len + 1 items of each user (input = all but last, target = all but first)
        keep = [u for u, s in enumerate(self.sequences) if len(s) >= 2]
        windows = torch.from_numpy(left_padded([self.sequences[u] for u in keep], int(p["max_len"]) + 1))
        # with time buckets: (W, 2, max_len + 1), ids and buckets side by side so one permutation draws both
        if self.times is not None:
            windows = torch.stack([windows, torch.from_numpy(left_padded([self.times[u] for u in keep],
                                                                         int(p["max_len"]) + 1))], 1)
        params: list[torch.Tensor] = list(self.net.parameters())
        opt = torch.optim.Adam(params, lr=float(p["lr"]), weight_decay=float(p["l2"]))
        validate = self._validation_ndcg(lambda: self.net.eval())
        checkpoint = open_checkpoint(self, len(windows))
        state = (checkpoint.load(params, opt, rng) if checkpoint is not None else None) or \
            TrainingState(best_epoch=int(p["epochs"]))
        for epoch in range(state.epoch + 1, int(p["epochs"]) + 1):
            self.net.train()
            order = torch.from_numpy(rng.permutation(len(windows)))
            for start in range(0, len(windows), int(p["batch_size"])):
                batch = windows[order[start:start + int(p["batch_size"])]]
                ids, times = (batch, None) if self.times is None else (batch[:, 0], batch[:, 1, :-1])
                loss = self._loss(ids[:, :-1], ids[:, 1:], int(p["negatives"]), rng, times)
                opt.zero_grad()
                loss.backward()
                opt.step()
            stop = state.end_epoch(epoch, int(p["epochs"]), int(p["eval_every"]), validate, params, int(p["patience"]),
                                   checkpoint, opt, rng)
            if self.params.get("verbose") and validate is not None:
                print(f"{self.name} epoch {epoch}: best validation ndcg {state.best_score:.4f} (epoch {state.best_epoch})",
                      flush=True)
            if stop:
                break
        state.finish(params, checkpoint)
        return state.best_epoch

    def _loss(self, inputs: torch.Tensor, targets: torch.Tensor, negatives: int, rng: np.random.Generator,
              times: torch.Tensor | None = None) -> torch.Tensor:
        hidden = self.net(inputs) if times is None else self.net(inputs, times)
        valid = targets > 0
        h, t = hidden[valid], targets[valid]
        emb = cast(torch.nn.Embedding, self.net.item_emb).weight
        if negatives <= 0 or negatives >= self.n_items:
            return F.cross_entropy(h @ emb[1:].T, t - 1)
        neg = torch.from_numpy(rng.integers(1, self.n_items + 1, size=negatives))
        pos_logit = (h * emb[t]).sum(-1, keepdim=True)
        neg_logit = h @ emb[neg].T - math.log(negatives / self.n_items)  # logQ correction (uniform sampling)
        neg_logit = neg_logit.masked_fill(neg[None, :] == t[:, None], -math.inf)
        return F.cross_entropy(torch.cat([pos_logit, neg_logit], 1), torch.zeros(len(t), dtype=torch.long))

    @torch.no_grad()
    def score(self, user_ids):
        user_ids = np.asarray(user_ids, dtype=np.int64)
        x = torch.from_numpy(left_padded([self.sequences[u] for u in user_ids], int(self.p["max_len"])))
        if self.times is None:
            h = self.net(x)[:, -1]
        else:
            h = self.net(x, torch.from_numpy(left_padded([self.times[u] for u in user_ids], int(self.p["max_len"]))))[:, -1]
        return (h @ self.net.item_emb.weight[1:].T).numpy()
