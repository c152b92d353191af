"""Mini-batch training of embedding recommenders on (user, positive, sampled negatives) triples.

Shared by BPR-MF, LightGCN and the side-information GNN, so that loss and
negative sampling are one ablation switch for all of them:

* ``loss="bpr"``: ``-log sigmoid(s_pos - s_neg)`` averaged over negatives;
* ``loss="softmax"``: sampled softmax: each positive against a pool of ``n_negatives`` items
  shared by the mini-batch (one matrix product, cheap even with hundreds of negatives);
* ``negatives="uniform"`` or ``"popularity"`` (items drawn proportionally to training counts^0.75).

Early stopping: given ``validate`` (a callable returning validation NDCG), the trainer scores
the model every ``eval_every`` epochs, keeps the best parameters and stops after ``patience``
evaluations without improvement. Tuning uses it to pick the number of epochs on the validation
carve; the refit on the full training data then runs exactly that many epochs.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np
import scipy.sparse as sp
import torch
import torch.nn.functional as F
from tqdm.auto import tqdm

from bnpl.recsys.models.checkpoint import Checkpoint, TrainingState


def sample_negatives(rng: np.random.Generator, n: int, n_items: int, probs: np.ndarray | None) -> np.ndarray:
    """``n`` item ids, uniform or from ``probs``. Collisions with positives are rare and left in (standard practice)."""
    if probs is None:
        return rng.integers(0, n_items, size=n)
    return rng.choice(n_items, size=n, p=probs)


def pairwise_loss(pos: torch.Tensor, neg: torch.Tensor, loss: str) -> torch.Tensor:
    """``pos``: (B,), ``neg``: (B, n_neg) scores."""
    if loss == "bpr":
        return -F.logsigmoid(pos[:, None] - neg).mean()
    if loss == "softmax":
        logits = torch.cat([pos[:, None], neg], 1)
        return F.cross_entropy(logits, torch.zeros(len(pos), dtype=torch.long))
    raise ValueError(f"unknown loss {loss!r} (use 'bpr' or 'softmax')")


def train_pairwise(
    embed: Callable[[], tuple[torch.Tensor, torch.Tensor]],
    parameters,
    train: sp.csr_matrix,
    *,
    epochs: int,
    lr: float,
    l2: float,
    batch_size: int = 4096,
    n_negatives: int = 1,
    loss: str = "bpr",
    negatives: str = "uniform",
    seed: int = 0,
    progress: bool = False,
    validate: Callable[[], float] | None = None,
    eval_every: int = 5,
    patience: int = 2,
    checkpoint: Checkpoint | None = None,
) -> tuple[list[float], int]:
    """Fit with Adam. ``embed()`` returns (user_emb, item_emb) for all nodes (recomputed each step,
    so graph propagation is full-batch). ``l2`` penalises the batch's embeddings.

    Returns (loss per epoch, number of epochs whose parameters were kept: the best validated
    epoch when ``validate`` is given, else ``epochs``). With ``checkpoint``, training resumes from
    it when it exists and saves after every epoch (:mod:`bnpl.recsys.models.checkpoint`)."""
    rng = np.random.default_rng(seed)
    coo = train.tocoo()
    users, items = coo.row.astype(np.int64), coo.col.astype(np.int64)
    n_items = train.shape[1]
    probs = None
    if negatives == "popularity":
        c = np.asarray(train.sum(0)).ravel() ** 0.75
        probs = c / c.sum()
    elif negatives != "uniform":
        raise ValueError(f"unknown negative sampling {negatives!r} (use 'uniform' or 'popularity')")
    parameters = list(parameters)
    opt = torch.optim.Adam(parameters, lr=lr)
    state = (checkpoint.load(parameters, opt, rng) if checkpoint is not None else None) or TrainingState(best_epoch=epochs)
    history = state.history = state.history or []
    for epoch in tqdm(range(state.epoch + 1, epochs + 1), disable=not progress, desc="epochs", leave=False):
        order = rng.permutation(len(users))
        total = 0.0
        for start in range(0, len(order), batch_size):
            idx = order[start:start + batch_size]
            u = torch.from_numpy(users[idx])
            p = torch.from_numpy(items[idx])
            shared = loss == "softmax"
            n = torch.from_numpy(sample_negatives(rng, n_negatives if shared else len(idx) * n_negatives, n_items, probs))
            ue, ie = embed()
            # index_select: its backward (index_add) is much faster on CPU than that of ue[u] (index_put)
            eu, ep, en = ue.index_select(0, u), ie.index_select(0, p), ie.index_select(0, n)
            s_pos = (eu * ep).sum(-1)
            if shared:
                s_neg = eu @ en.T
            else:
                s_neg = (eu[:, None, :] * en.view(len(idx), n_negatives, -1)).sum(-1)
            reg = (eu.pow(2).sum() + ep.pow(2).sum()) / len(idx) + en.pow(2).sum() / len(n)
            batch_loss = pairwise_loss(s_pos, s_neg, loss) + l2 * reg
            opt.zero_grad()
            batch_loss.backward()
            opt.step()
            total += batch_loss.item() * len(idx)
        history.append(total / len(users))
        if state.end_epoch(epoch, epochs, eval_every, validate, parameters, patience, checkpoint, opt, rng):
            break
    state.finish(parameters, checkpoint)
    return history, state.best_epoch
