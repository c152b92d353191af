"""Checkpoints of GNN training, to resume an interrupted run where it stopped.

A checkpoint holds the network's and the optimiser's state, the last finished epoch, what early
stopping tracks (best epoch, its scores and embeddings, epochs without improvement, the history) and
the random-number state of every process (torch, and the numpy generator of the label trick), so a
resumed run ends with the same weights as one that was never interrupted (on CPU, same seed). Writing,
reading and the random-number state are :mod:`bnpl.checkpoint`'s, shared with the recommenders.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bnpl.checkpoint import load, rng_state, save, set_rng_state
from bnpl.errors import BnplError

__all__ = ["Checkpointing", "load_checkpoint", "rng_state", "save_checkpoint", "set_rng_state"]


@dataclass(frozen=True)
class Checkpointing:
    """Write a checkpoint to ``path`` after every ``every`` epochs (and after the last); with ``resume``,
    start from the checkpoint at ``path`` when there is one."""
    path: Path
    every: int = 1
    resume: bool = False

    def __post_init__(self):
        if self.every < 1:
            raise BnplError(f"checkpoint every: must be >= 1 epoch (got {self.every})")
        object.__setattr__(self, "path", Path(self.path))

    def due(self, epoch: int, last: bool) -> bool:
        return last or (epoch + 1) % self.every == 0


def save_checkpoint(path: Path, state: dict[str, Any]) -> None:
    """``state`` saved atomically (:func:`bnpl.checkpoint.save`)."""
    save(path, state)


def load_checkpoint(path: Path, meta: dict[str, Any]) -> dict[str, Any]:
    """The checkpoint at ``path``; BnplError naming the file when it cannot be read or was written by a
    run with other settings than ``meta`` (model, seed, hyperparameters, graph size, processes)."""
    state = load(path, "checkpoint")
    if "meta" not in state:
        raise BnplError(f"{path}: not a GNN training checkpoint (no 'meta' entry)")
    diff = sorted(k for k in set(meta) | set(state["meta"]) if meta.get(k) != state["meta"].get(k))
    if diff:
        pairs = ", ".join(f"{k}: {state['meta'].get(k)!r} there, {meta.get(k)!r} now" for k in diff)
        raise BnplError(f"{path}: checkpoint of another run ({pairs}); remove it or resume with its settings")
    return state
