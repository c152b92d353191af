"""Resumable training of the embedding recommenders (BPR, LightGCN, side GNN, SASRec, GRU4Rec).

Given ``checkpoint`` (a file path; the model parameter of the same name), the trainer writes, after
every epoch, the model's parameters, the optimiser state, the epoch, both random generators (the
numpy ``Generator`` that draws batches and negatives, torch's CPU generator that draws dropout) and
the early-stopping state, to a temporary file renamed onto ``checkpoint`` (never a half-written
file; writing, reading and the generators' state are :mod:`bnpl.checkpoint`'s, shared with the fraud GNNs). A later fit with the same ``checkpoint`` continues after the saved epoch, so on CPU with the
same seed it ends with exactly the weights of an uninterrupted run. The file is removed when
training finishes. A checkpoint written by another model, configuration or data is refused.
Loading uses ``torch.load(weights_only=True)``: tensors and plain containers only, no pickle.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from bnpl.checkpoint import load, rng_state, save, set_rng_state
from bnpl.errors import BnplError


@dataclass
class TrainingState:
    """Everything an epoch loop needs to continue: the next epoch to run and the early-stopping state."""

    epoch: int = 0  # last finished epoch
    best_score: float = -float("inf")
    best_epoch: int = 0
    best_params: list[torch.Tensor] | None = None
    stale: int = 0
    history: list[float] | None = None

    def keep_going(self, validate, params: list[torch.Tensor], patience: int) -> bool:
        """Score the model on validation after epoch ``self.epoch``; keep a snapshot when it is the best so
        far. False once ``patience`` evaluations in a row brought no improvement (time to stop)."""
        with torch.no_grad():
            score = float(validate())
        if score > self.best_score:
            self.best_score, self.best_epoch, self.stale = score, self.epoch, 0
            self.best_params = [p.detach().clone() for p in params]
            return True
        self.stale += 1
        return self.stale < patience

    def end_epoch(self, epoch: int, epochs: int, eval_every: int, validate, params: list[torch.Tensor], patience: int,
                  checkpoint: Checkpoint | None, optimizer: torch.optim.Optimizer, rng: np.random.Generator) -> bool:
        """Bookkeeping after ``epoch``: validate when due (every ``eval_every`` epochs and after the last), save the
        checkpoint; True when early stopping says to stop."""
        self.epoch = epoch
        due = validate is not None and (epoch % eval_every == 0 or epoch == epochs)
        stop = due and not self.keep_going(validate, params, patience)
        if checkpoint is not None:
            checkpoint.save(params, optimizer, rng, self)
        return stop

    def finish(self, params: list[torch.Tensor], checkpoint: Checkpoint | None) -> None:
        """After the last epoch: the best validated weights back into ``params``; the checkpoint removed."""
        self.restore_best(params)
        if checkpoint is not None:
            checkpoint.finish()

    def restore_best(self, params: list[torch.Tensor]) -> None:
        """Copy the best validated snapshot (if any) back into ``params``."""
        if self.best_params is not None:
            with torch.no_grad():
                for p, saved in zip(params, self.best_params, strict=True):
                    p.copy_(saved)


class Checkpoint:
    """Save / load one training run's state at ``path``; ``fingerprint`` identifies the run."""

    def __init__(self, path: str | Path, fingerprint: dict[str, Any]):
        self.path = Path(path)
        self.fingerprint = {k: str(v) for k, v in fingerprint.items()}

    def save(self, params: list[torch.Tensor], optimizer: torch.optim.Optimizer, rng: np.random.Generator,
             state: TrainingState) -> None:
        blob = {"fingerprint": self.fingerprint, "params": [p.detach().clone() for p in params],
                "optimizer": optimizer.state_dict(), "rng": rng_state(rng),
                "epoch": state.epoch, "best_score": state.best_score, "best_epoch": state.best_epoch,
                "best_params": state.best_params, "stale": state.stale, "history": state.history or []}
        save(self.path, blob)

    def load(self, params: list[torch.Tensor], optimizer: torch.optim.Optimizer, rng: np.random.Generator
             ) -> TrainingState | None:
        """Restore parameters, optimiser and generators from the file, if there is one; its training state."""
        if not self.path.exists():
            return None
        blob = load(self.path, "training checkpoint")
        if blob.get("fingerprint") != self.fingerprint:
            raise BnplError(f"{self.path}: checkpoint of another model, configuration or dataset; remove it or "
                            "choose another checkpoint path")
        with torch.no_grad():
            for p, saved in zip(params, blob["params"], strict=True):
                p.copy_(saved)
        optimizer.load_state_dict(blob["optimizer"])
        set_rng_state(blob["rng"], rng)
        return TrainingState(epoch=int(blob["epoch"]), best_score=float(blob["best_score"]),
                             best_epoch=int(blob["best_epoch"]), best_params=blob["best_params"],
                             stale=int(blob["stale"]), history=list(blob["history"]))

    def finish(self) -> None:
        self.path.unlink(missing_ok=True)


def open_checkpoint(model, n_train: int) -> Checkpoint | None:
    """The :class:`Checkpoint` named by ``model.params['checkpoint']`` (None when not given)."""
    path = model.params.get("checkpoint")
    if not path:
        return None
    config = {k: v for k, v in sorted(model.params.items()) if k not in ("checkpoint", "verbose")}
    return Checkpoint(path, {"model": model.name, "seed": model.seed, "params": config, "n_users": model.n_users,
                             "n_items": model.n_items, "n_train": n_train})
