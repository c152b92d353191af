"""GNN training: class-weighted BCE, label-as-input trick, early stopping on validation AUPRC, checkpoints.

Label trick (Wang et al. 2021, as GTAN/RGTAN's label embeddings): two input channels say "known fraud" /
"known legit" for TRAINING nodes. Each epoch a random half of the training nodes shows its label and
the other half is predicted (its own label hidden); at evaluation every training label is shown.
Validation and test labels never enter the input.

:func:`train_gnn` trains full-batch in one process. :func:`fit` is the loop itself: it takes the
optimiser steps of an epoch from a function (one full-graph step here; k-hop subgraph mini-batches of
this process's shard of training nodes in :mod:`bnpl.fraud.ddp`), a :class:`Processes` that says which
process evaluates and how the processes agree to stop, and an optional :class:`Checkpointing`.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import torch
from sklearn.metrics import average_precision_score
from tqdm.auto import tqdm

from bnpl.fraud.checkpoint import (
    Checkpointing,
    load_checkpoint,
    rng_state,
    save_checkpoint,
    set_rng_state,
)
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
    scores: np.ndarray        # fraud probability per target node (None on processes that do not evaluate)
    embeddings: np.ndarray    # hidden representation per target node (best epoch)
    best_epoch: int
    val_auprc: float
    history: list
    network: torch.nn.Module | None = None   # the trained network, weights of the last epoch


@dataclass
class Step:
    """One optimiser step: inputs ``x`` of the nodes of a graph, that graph's ``structure`` for the network
    (None: the graph the network was built on), the rows of ``x`` whose loss counts and their labels."""
    x: torch.Tensor
    structure: object | None
    target: torch.Tensor
    y: torch.Tensor


class Processes:
    """One process: it evaluates, and its own stop decision stands. :mod:`bnpl.fraud.ddp` subclasses it
    for a process group (rank 0 evaluates and its decision is broadcast)."""
    rank = 0
    is_main = True

    def agree(self, stop: bool) -> bool:
        """The stop decision every process follows (the main process's)."""
        return stop

    def gather(self, obj: object) -> list:
        """``obj`` of every process, by rank."""
        return [obj]


def model_inputs(x: torch.Tensor, y: np.ndarray, shown: np.ndarray, extra: torch.Tensor | None) -> torch.Tensor:
    """Node inputs ``x``, the two label channels set for the rows ``shown`` (labels ``y`` per row) and ``extra``."""
    lab = torch.zeros(x.shape[0], 2)
    idx = torch.as_tensor(shown, dtype=torch.long)
    yy = torch.as_tensor(y[shown], dtype=torch.long)
    lab[idx, 0] = (yy == 1).float()
    lab[idx, 1] = (yy == 0).float()
    parts = [x, lab] + ([extra] if extra is not None else [])
    return torch.cat(parts, 1)


def setup(name: str, g: HomGraph, y: np.ndarray, train: np.ndarray, seed: int, cfg: TrainConfig,
          extra: np.ndarray | None = None):
    """(network, optimiser, loss, extra inputs of every node) of model ``name``, initialised from ``seed``;
    ``extra`` columns for target nodes are zero for the other node types."""
    torch.manual_seed(seed)
    ex = None
    if extra is not None:
        ex = torch.zeros(g.x.shape[0], extra.shape[1])
        ex[: g.n_target] = torch.as_tensor(extra, dtype=torch.float32)
    in_dim = g.x.shape[1] + 2 + (0 if ex is None else ex.shape[1])
    net = build_model(name, g, in_dim, cfg.hidden, cfg.layers, cfg.dropout)
    opt = torch.optim.Adam(net.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    pos = max(1, int(y[train].sum()))
    pw = torch.tensor((len(train) - pos) / pos if cfg.class_weight else 1.0)
    return net, opt, torch.nn.BCEWithLogitsLoss(pos_weight=pw), ex


def full_graph_evaluation(g: HomGraph, y: np.ndarray, val: np.ndarray, x_eval: torch.Tensor, structure=None):
    """``evaluate(net) -> (validation AUPRC or NaN, probability and embedding per target node)`` on the
    whole graph with the inputs ``x_eval`` (and ``structure``, when not the network's own, e.g. on a GPU)."""
    def evaluate(net: Any):     # a bnpl.fraud.nets network (embed and head; no common base class)
        with torch.no_grad():
            h = net.embed(x_eval, structure)
            prob = torch.sigmoid(net.head(h))[: g.n_target].cpu().numpy()
        ap = float(average_precision_score(y[val], prob[val])) if len(val) else float("nan")
        return ap, prob, h[: g.n_target].cpu().numpy()
    return evaluate


def checkpoint_meta(name: str, g: HomGraph, train: np.ndarray, seed: int, cfg: TrainConfig,
                    processes: int = 1, **more) -> dict:
    """What a checkpoint must match to be resumed (the epoch count may grow)."""
    return {"model": name, "seed": seed, "nodes": int(g.x.shape[0]), "edges": int(g.edge_index.shape[1]),
            "train": int(len(train)), "processes": processes,
            **{k: v for k, v in asdict(cfg).items() if k != "epochs"}, **more}


def fit(net: torch.nn.Module, opt: torch.optim.Optimizer, loss_fn, steps: Callable[[int, np.random.Generator], Iterable[Step]],
        evaluate, cfg: TrainConfig, rng: np.random.Generator, has_val: bool, model: torch.nn.Module | None = None,
        processes: Processes | None = None, checkpoint: Checkpointing | None = None, meta: dict | None = None,
        on_epoch: Callable[[dict], None] | None = None, desc: str = "", progress: bool = False) -> GNNResult:
    """Train ``net`` (through ``model``, e.g. its DistributedDataParallel wrapper) for ``cfg.epochs`` epochs
    of ``steps(epoch, rng)``; the main process evaluates after each epoch and keeps the best (or, without
    validation, the last) epoch's scores; ``cfg.patience`` epochs without improvement stop every process.
    ``on_epoch(record)`` sees each epoch's loss (mean over its steps) and validation AUPRC."""
    model = model or net
    procs = processes or Processes()
    best: tuple = (-1.0, 0, None, None)
    history: list[dict] = []
    bad, start, done = 0, 0, False
    if checkpoint is not None and checkpoint.resume and checkpoint.path.exists():
        ck = load_checkpoint(checkpoint.path, meta or {})
        net.load_state_dict(ck["model"])
        opt.load_state_dict(ck["optimizer"])
        set_rng_state(ck["rng"][procs.rank], rng)
        start, bad, history, done = ck["epoch"] + 1, ck["bad"], ck["history"], ck["done"]
        b = ck["best"]
        best = (b["ap"], b["epoch"], None if b["prob"] is None else b["prob"].numpy(),
                None if b["h"] is None else b["h"].numpy())
    for epoch in tqdm(range(start, 0 if done else cfg.epochs), desc=desc, disable=not progress, leave=False):
        model.train()
        losses = []
        for step in steps(epoch, rng):
            out = model(step.x, step.structure)
            loss = loss_fn(out[step.target], step.y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.item())
        record = {"epoch": epoch, "loss": sum(losses) / max(len(losses), 1)}
        stop = False
        if procs.is_main:
            net.eval()
            ap, prob, h = evaluate(net)
            record["val_auprc"] = ap
            if not has_val or ap > best[0]:        # without validation (a refit): the last epoch
                best, bad = (ap, epoch, prob.copy(), h.copy()), 0
            else:
                bad += 1
                stop = bad >= cfg.patience
        history.append(record)
        stop = procs.agree(stop)
        if checkpoint is not None and checkpoint.due(epoch, last=stop or epoch == cfg.epochs - 1):
            rngs = procs.gather(rng_state(rng))
            if procs.is_main:
                save_checkpoint(checkpoint.path, {
                    "meta": meta or {}, "epoch": epoch, "bad": bad, "done": stop, "history": history,
                    "model": net.state_dict(), "optimizer": opt.state_dict(), "rng": rngs,
                    "best": {"ap": best[0], "epoch": best[1],
                             "prob": None if best[2] is None else torch.from_numpy(best[2]),
                             "h": None if best[3] is None else torch.from_numpy(best[3])}})
        if on_epoch is not None:
            on_epoch(record)
        if stop:
            break
    return GNNResult(best[2], best[3], best[1], best[0], history, net)


def train_gnn(name: str, g: HomGraph, y: np.ndarray, train: np.ndarray, val: np.ndarray, seed: int,
              cfg: TrainConfig | None = None, extra: np.ndarray | None = None, progress: bool = False,
              checkpoint: Checkpointing | None = None, on_epoch: Callable[[dict], None] | None = None) -> GNNResult:
    """Train model ``name`` full-batch on target-node labels ``y`` (-1 unlabelled); ``extra`` are optional
    extra input columns for target nodes (zero for other node types). With an empty ``val`` it trains
    ``cfg.epochs`` epochs and keeps the last (the refit once validation has chosen the epochs).
    ``checkpoint``: write (and with its ``resume``, continue from) checkpoints; see :func:`fit`."""
    cfg = cfg or TrainConfig()
    net, opt, loss_fn, ex = setup(name, g, y, train, seed, cfg, extra)
    rng = np.random.default_rng(seed)
    evaluate = full_graph_evaluation(g, y, val, model_inputs(g.x, y, train if cfg.label_trick else train[:0], ex))

    def steps(epoch: int, rng: np.random.Generator) -> Iterable[Step]:
        if cfg.label_trick:
            m = rng.random(len(train)) < 0.5
            shown, target = train[m], train[~m]
        else:
            shown, target = train[:0], train
        yield Step(model_inputs(g.x, y, shown, ex), None, torch.as_tensor(target, dtype=torch.long),
                   torch.as_tensor(y[target], dtype=torch.float32))

    meta = checkpoint_meta(name, g, train, seed, cfg, val=int(len(val)), extra=0 if ex is None else ex.shape[1])
    return fit(net, opt, loss_fn, steps, evaluate, cfg, rng, has_val=len(val) > 0, checkpoint=checkpoint,
               meta=meta, on_epoch=on_epoch, desc=name, progress=progress)
