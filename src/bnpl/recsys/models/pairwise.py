"""Mini-batch training of embedding recommenders on (user, positive, sampled negatives) triples.

Shared by BPR-MF, LightGCN and the side-information GNN, so that loss and
negative sampling are one ablation switch for all of them:

* ``loss="bpr"``: ``-log sigmoid(s_pos - s_neg)`` averaged over negatives;
* ``loss="softmax"``: sampled softmax: each positive against a pool of ``n_negatives`` items
  shared by the mini-batch (one matrix product, cheap even with hundreds of negatives);
* ``negatives="uniform"`` or ``"popularity"`` (items drawn proportionally to training counts^0.75).
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np
import scipy.sparse as sp
import torch
import torch.nn.functional as F
from tqdm.auto import tqdm


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
) -> list[float]:
    """Fit with Adam. ``embed()`` returns (user_emb, item_emb) for all nodes (recomputed each step,
    so graph propagation is full-batch). ``l2`` penalises the batch's embeddings. Returns the loss per epoch."""
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
    opt = torch.optim.Adam(parameters, lr=lr)
    history = []
    for _ in tqdm(range(epochs), disable=not progress, desc="epochs", leave=False):
        order = rng.permutation(len(users))
        total = 0.0
        for start in range(0, len(order), batch_size):
            idx = order[start:start + batch_size]
            u = torch.from_numpy(users[idx])
            p = torch.from_numpy(items[idx])
            shared = loss == "softmax"
            n = torch.from_numpy(sample_negatives(rng, n_negatives if shared else len(idx) * n_negatives, n_items, probs))
            ue, ie = embed()
            eu, ep, en = ue[u], ie[p], ie[n]
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
    return history
