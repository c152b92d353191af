"""Full-batch GNN training: class-weighted BCE, label-as-input trick, early stopping on validation AUPRC.

Label trick (Wang et al. 2021, as GTAN/RGTAN's label embeddings): two input channels say "known fraud" /
"known legit" for TRAINING nodes. Each epoch a random half of the training nodes shows its label and
the other half is predicted (its own label hidden); at evaluation every training label is shown.
Validation and test labels never enter the input.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from sklearn.metrics import average_precision_score
from tqdm.auto import tqdm

from bnpl.fraud.defaults import DEFAULT_EPOCHS, DEFAULT_HIDDEN, DEFAULT_PATIENCE
from bnpl.fraud.graph import HomGraph
from bnpl.fraud.nets import build_model


@dataclass
class TrainConfig:
    epochs: int = DEFAULT_EPOCHS
    hidden: int = DEFAULT_HIDDEN
    layers: int = 2
    dropout: float = 0.2
    lr: float = 0.01
    weight_decay: float = 1e-5
    patience: int = DEFAULT_PATIENCE
    label_trick: bool = True
    class_weight: bool = True


@dataclass
class GNNResult:
    scores: np.ndarray        # fraud probability per target node
    embeddings: np.ndarray    # hidden representation per target node (best epoch)
    best_epoch: int
    val_auprc: float
    history: list


def _inputs(g: HomGraph, y: np.ndarray, shown: np.ndarray, extra: torch.Tensor | None) -> torch.Tensor:
    n = g.x.shape[0]
    lab = torch.zeros(n, 2)
    idx = torch.as_tensor(shown, dtype=torch.long)
    yy = torch.as_tensor(y[shown], dtype=torch.long)
    lab[idx, 0] = (yy == 1).float()
    lab[idx, 1] = (yy == 0).float()
    parts = [g.x, lab] + ([extra] if extra is not None else [])
    return torch.cat(parts, 1)


def train_gnn(name: str, g: HomGraph, y: np.ndarray, train: np.ndarray, val: np.ndarray, seed: int,
              cfg: TrainConfig | None = None, extra: np.ndarray | None = None, progress: bool = False) -> GNNResult:
    """Train model ``name`` on target-node labels ``y`` (-1 unlabelled); ``extra`` are optional extra
    input columns for target nodes (zero for other node types). With an empty ``val`` it trains
    ``cfg.epochs`` epochs and keeps the last (the refit once validation has chosen the epochs)."""
    cfg = cfg or TrainConfig()
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    ex = None
    if extra is not None:
        ex = torch.zeros(g.x.shape[0], extra.shape[1])
        ex[: g.n_target] = torch.as_tensor(extra, dtype=torch.float32)
    in_dim = g.x.shape[1] + 2 + (0 if ex is None else ex.shape[1])
    model = build_model(name, g, in_dim, cfg.hidden, cfg.layers, cfg.dropout)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    pos = max(1, int(y[train].sum()))
    pw = torch.tensor((len(train) - pos) / pos if cfg.class_weight else 1.0)
    loss_fn = torch.nn.BCEWithLogitsLoss(pos_weight=pw)
    x_eval = _inputs(g, y, train if cfg.label_trick else train[:0], ex)
    best = (-1.0, 0, None, None)
    history, bad = [], 0
    for epoch in tqdm(range(cfg.epochs), desc=name, disable=not progress, leave=False):
        model.train()
        if cfg.label_trick:
            m = rng.random(len(train)) < 0.5
            shown, target = train[m], train[~m]
        else:
            shown, target = train[:0], train
        out = model(_inputs(g, y, shown, ex))
        loss = loss_fn(out[target], torch.as_tensor(y[target], dtype=torch.float32))
        opt.zero_grad()
        loss.backward()
        opt.step()
        model.eval()
        with torch.no_grad():
            h = model.embed(x_eval)
            prob = torch.sigmoid(model.head(h))[: g.n_target].numpy()
        ap = float(average_precision_score(y[val], prob[val])) if len(val) else float("nan")
        history.append({"epoch": epoch, "loss": loss.item(), "val_auprc": ap})
        if not len(val) or ap > best[0]:           # without validation (a refit): the last epoch
            best, bad = (ap, epoch, prob.copy(), h[: g.n_target].numpy().copy()), 0
        else:
            bad += 1
            if bad >= cfg.patience:
                break
    return GNNResult(best[2], best[3], best[1], best[0], history)
