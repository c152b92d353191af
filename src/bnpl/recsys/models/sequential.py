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

``time_prior`` > 0 (and a ``time`` column) adds a time-local popularity prior to the scores: the
training times are cut into that many quantile bins, and item ``i``'s score for a user whose last
item falls in bin ``b`` gets ``prior_weight * log(1 + n_i)``, where ``n_i`` counts item ``i``'s training
interactions in bins ``b - prior_window .. b + prior_window`` (which items sell in the weeks the user
shops, what an order-only model cannot know). The network is trained without it (added to the
training loss, the prior made the network learn less: validation NDCG@10 0.0596 against 0.0610
without, docs/recsys-benchmarks.md). Given ``validate``, the weight is chosen after training
among ``prior_weights`` on validation and kept in ``tuned`` for the refit; otherwise
``prior_weight`` is used. Counts come from the data the model is fitted on only. ``prior_window``
is one number (that many bins either side) or a pair ``[before, after]``: the held-out item comes after
the user's last one, and on Amazon Grocery's validation carve bins ``b .. b + 2`` beat ``b - 1 .. b + 1``.

``transitions`` > 0 adds a first-order transition prior (the Markov-chain half of FPMC, Rendle et al.
2010): ``n_ij`` counts how often item ``j`` follows item ``i`` within ``transitions`` positions in a
user's training sequence, and item ``j``'s score gets ``transition_weight * sum log(1 + n_ij)`` over
the user's last ``transition_last`` items ``i``. Directed on purpose: following ``i`` is what a next
purchase does, and in the screening on the Grocery carve (docs/recsys-benchmarks.md) the directed
counts beat the same counts taken both ways. The network learns item-to-item order too, but only for
items it has seen often enough to place their embeddings; the counts remember every pair. Its weight is
chosen on validation like the prior's (the two weights in turn, twice), from the user's hidden state
computed once.
"""
from __future__ import annotations

import math
from typing import Any, cast

import numpy as np
import pandas as pd
import scipy.sparse as sp
import torch
import torch.nn.functional as F

from bnpl.errors import BnplError
from bnpl.recsys.models.base import Recommender
from bnpl.recsys.models.checkpoint import TrainingState, open_checkpoint

DEFAULTS: dict[str, Any] = {"dim": 64, "max_len": 20, "dropout": 0.3, "epochs": 60, "lr": 2e-3, "l2": 0.0, "batch_size": 256,
            "negatives": 1000, "eval_every": 2, "patience": 2, "time_buckets": 0, "windows": 1, "time_prior": 0,
            "prior_window": 1, "prior_weight": 0.5, "prior_weights": (0.0, 0.25, 0.5, 0.75, 1.0), "transitions": 0,
            "transition_last": 3, "transition_weight": 0.5, "transition_weights": (0.0, 0.25, 0.5, 1.0, 1.5, 2.0, 3.0)}


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


def time_bucket_edges(train_df: pd.DataFrame, buckets: int, param: str = "time_buckets") -> np.ndarray | None:
    """``buckets - 1`` inner edges at the quantiles of the ``time`` column (None without a usable column);
    ``param`` names the parameter in the error for a bad column."""
    if buckets < 1 or "time" not in train_df.columns:
        return None
    t = pd.to_numeric(train_df["time"], errors="coerce").to_numpy(dtype=np.float64)
    if not np.isfinite(t).all():
        raise BnplError(f"{param}: the interactions' 'time' column has missing or non-numeric values")
    return np.quantile(t, np.arange(1, buckets) / buckets)


def time_buckets(train_df: pd.DataFrame, edges: np.ndarray) -> np.ndarray:
    """Bucket of each row's time, 0 .. len(edges) (shifted by one inside the network, 0 = padding)."""
    return np.searchsorted(edges, pd.to_numeric(train_df["time"]).to_numpy(dtype=np.float64), side="right")


def prior_span(window: Any) -> tuple[int, int]:
    """``(before, after)`` bins of a ``prior_window`` (one number: that many either side)."""
    try:
        span = np.asarray(window, dtype=np.float64)
    except (TypeError, ValueError):
        span = np.full(1, np.nan)
    span = np.repeat(span, 2) if span.ndim == 0 else span
    if span.shape != (2,) or not (np.isfinite(span) & (span >= 0) & (span == np.round(span))).all():
        raise BnplError(f"parameter 'prior_window' must be a whole number of bins >= 0, or a pair [before, after] "
                        f"of them (got {window!r})")
    return int(span[0]), int(span[1])


def time_prior(train_df: pd.DataFrame, n_users: int, n_items: int, bins: int, window: Any
               ) -> tuple[np.ndarray, np.ndarray] | None:
    """``(last, prior)`` of the time-local popularity prior (None without a usable ``time`` column): ``last[u]``
    is the quantile time bin (of ``bins``) of user ``u``'s last row (-1 without rows), ``prior`` the
    ``(bins, n_items)`` array of ``log(1 + n)``, ``n`` the count of each item's rows in bins ``b - before ..
    b + after`` (clipped at both ends; ``window``: see :func:`prior_span`)."""
    before, after = prior_span(window)
    edges = time_bucket_edges(train_df, bins, "time_prior")
    if edges is None:
        return None
    row_bins = time_buckets(train_df, edges)
    per_bin = np.zeros((len(edges) + 1, n_items), dtype=np.float64)
    np.add.at(per_bin, (row_bins, train_df["item_id"].to_numpy()), 1.0)
    cum = np.vstack([np.zeros((1, n_items)), np.cumsum(per_bin, 0)])
    b = np.arange(len(per_bin))
    lo, hi = np.maximum(b - before, 0), np.minimum(b + after, len(per_bin) - 1) + 1
    last = np.array([q[-1] if len(q) else -1 for q in user_sequences(train_df, n_users, row_bins)], dtype=np.int64)
    return last, np.log1p(cum[hi] - cum[lo]).astype(np.float32)


def transition_prior(sequences: list[np.ndarray], n_items: int, lag: int, last: int
                     ) -> tuple[sp.csr_matrix, sp.csr_matrix]:
    """``(recent, log_counts)`` of the transition prior: ``recent`` is the ``(users, n_items)`` count of each
    user's last ``last`` items, ``log_counts[i, j]`` is ``log(1 + n_ij)``, ``n_ij`` the number of times item ``j``
    follows item ``i`` at most ``lag`` positions later in one of ``sequences``. A user's prior is
    ``recent[u] @ log_counts``."""
    rows, cols = [np.zeros(0, np.int64)], [np.zeros(0, np.int64)]
    for q in sequences:
        for d in range(1, min(lag, len(q) - 1) + 1):
            rows.append(q[:-d])
            cols.append(q[d:])
    r, c = np.concatenate(rows), np.concatenate(cols)
    counts = sp.csr_matrix((np.ones(len(r), np.float32), (r, c)), shape=(n_items, n_items))
    counts.sum_duplicates()
    counts.data = np.log1p(counts.data)
    tails = [q[-last:] for q in sequences]
    recent = sp.csr_matrix((np.ones(sum(map(len, tails)), np.float32),
                            (np.repeat(np.arange(len(tails)), [len(t) for t in tails]),
                             np.concatenate([np.zeros(0, np.int64)] + tails))), shape=(len(tails), n_items))
    recent.sum_duplicates()
    return recent, counts


def training_windows(lengths: list[int], max_len: int, per_user: int) -> list[tuple[int, int, int]]:
    """``(user, start, end)`` slices of the users' sequences to train on: the last ``max_len + 1`` items, then (up
    to ``per_user`` windows) the ``max_len + 1`` items ending where the previous window's targets began, so that
    every item after a user's first is a target once, and no more than once, when ``per_user`` is large enough.
    Users with fewer than 2 items give none."""
    out = []
    for u, n in enumerate(lengths):
        end = n
        for _ in range(per_user):
            if end < 2:
                break
            out.append((u, max(0, end - max_len - 1), end))
            end -= max_len
    return out


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

    @classmethod
    def work_factor(cls, params: dict[str, Any]) -> float:
        """Training work relative to the 20 items of history the ``epochs`` cost constant was measured with
        (:mod:`bnpl.recsys.budget`): every window is padded to ``max_len``, so an epoch grows with it."""
        return float((DEFAULTS | cls.grid[0] | params)["max_len"]) / 20

    def _fit(self, train_df, side) -> None:
        p = self.p = DEFAULTS | self.params
        for key in ("dim", "max_len", "batch_size", "epochs", "windows"):
            if int(p[key]) < 1:
                raise BnplError(f"{self.name}: parameter {key!r} must be at least 1 (got {p[key]})")
        if not 0.0 <= float(p["dropout"]) < 1.0:
            raise BnplError(f"{self.name}: parameter 'dropout' must be in [0, 1) (got {p['dropout']})")
        prior_span(p["prior_window"])  # a bad window fails before training
        for key in ("prior_weights", "transition_weights"):
            if not len(p[key]):
                raise BnplError(f"{self.name}: parameter {key!r} must list at least one weight")
        if int(p["transitions"]) < 0 or int(p["transition_last"]) < 1:
            raise BnplError(f"{self.name}: parameters 'transitions' (got {p['transitions']}) and 'transition_last' "
                            f"(got {p['transition_last']}) must be at least 0 and 1")
        self.sequences = user_sequences(train_df, self.n_users)
        edges = time_bucket_edges(train_df, int(p["time_buckets"]))
        self.times = None if edges is None else user_sequences(train_df, self.n_users, time_buckets(train_df, edges))
        self.net = self._network(self.n_items, p | {"time_buckets": 0 if edges is None else int(p["time_buckets"])})
        prior = time_prior(train_df, self.n_users, self.n_items, int(p["time_prior"]), p["prior_window"])
        #: bin of each user's last item (-1: none) and the prior per bin; None without ``time_prior``
        self.prior = None if prior is None else (torch.from_numpy(prior[0]), torch.from_numpy(prior[1]))
        self.prior_weight = float(p["prior_weight"])
        #: each user's last items and the item-to-item log counts; None without ``transitions``
        self.transitions = transition_prior(self.sequences, self.n_items, int(p["transitions"]),
                                            int(p["transition_last"])) if int(p["transitions"]) else None
        self.transition_weight = float(p["transition_weight"])
        self._hidden_cache: torch.Tensor | None = None
        self.tuned = {"epochs": self._train(p)}
        self.net.eval()
        if self.validate is not None:
            self._choose_weights(p)

    def _choose_weights(self, p: dict[str, Any]) -> None:
        """The prior and transition weights with the best validation score, each chosen in turn given the other
        (twice when both are on), starting from 0; kept in ``tuned`` for the refit."""
        searched = [(attr, grid) for attr, grid, on in (("prior_weight", p["prior_weights"], self.prior is not None),
                    ("transition_weight", p["transition_weights"], self.transitions is not None)) if on]
        if not searched:
            return
        assert self.validate is not None
        self._hidden_cache = torch.cat([self._hidden(np.arange(a, min(a + 2048, self.n_users)))
                                        for a in range(0, self.n_users, 2048)])
        for attr, _ in searched:
            setattr(self, attr, 0.0)
        for _ in range(2 if len(searched) > 1 else 1):
            for attr, grid in searched:
                scores = {}
                for w in grid:
                    setattr(self, attr, float(w))
                    scores[float(w)] = float(self.validate(self))
                setattr(self, attr, max(scores, key=lambda w: scores[w]))  # ties: the first listed weight
                if self.params.get("verbose"):
                    print(f"{self.name} {attr} on validation: {scores}", flush=True)
        self._hidden_cache = None
        for attr, _ in searched:
            self.tuned[attr] = getattr(self, attr)

    def _network(self, n_items: int, p: dict[str, Any]) -> torch.nn.Module:
        raise NotImplementedError

    def _train(self, p: dict[str, Any]) -> int:
        """Adam on next-item loss; returns the epochs kept (best validated epoch, or all epochs). Resumes from
        and saves to ``checkpoint`` when that parameter is given (:mod:`bnpl.recsys.models.checkpoint`)."""
        rng = np.random.default_rng(self.seed)
        # training windows (input = all but last, target = all but first): see training_windows
        spans = training_windows([len(q) for q in self.sequences], int(p["max_len"]), int(p["windows"]))
        windows = torch.from_numpy(left_padded([self.sequences[u][a:b] for u, a, b in spans], int(p["max_len"]) + 1))
        # with time buckets: (W, 2, max_len + 1), ids and buckets side by side so one permutation draws both
        if self.times is not None:
            windows = torch.stack([windows, torch.from_numpy(left_padded([self.times[u][a:b] for u, a, b in spans],
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
    def _hidden(self, user_ids: np.ndarray) -> torch.Tensor:
        """``(len(user_ids), dim)`` hidden state after each user's last ``max_len`` items."""
        x = torch.from_numpy(left_padded([self.sequences[u] for u in user_ids], int(self.p["max_len"])))
        if self.times is None:
            return self.net(x)[:, -1]
        return self.net(x, torch.from_numpy(left_padded([self.times[u] for u in user_ids], int(self.p["max_len"]))))[:, -1]

    @torch.no_grad()
    def score(self, user_ids):
        user_ids = np.asarray(user_ids, dtype=np.int64)
        h = self._hidden(user_ids) if self._hidden_cache is None else self._hidden_cache[torch.from_numpy(user_ids)]
        logits = h @ self.net.item_emb.weight[1:].T
        if self.prior is not None and self.prior_weight:  # the bin of the user's last item (none: no prior)
            last = self.prior[0][torch.from_numpy(user_ids)]
            logits += self.prior_weight * self.prior[1][last.clamp(min=0)] * (last >= 0)[:, None]
        if self.transitions is not None and self.transition_weight:
            recent, counts = self.transitions
            logits += self.transition_weight * torch.from_numpy((recent[user_ids] @ counts).toarray())
        return logits.numpy()
