"""Checkpoints of GNN training, to resume an interrupted run where it stopped.

A checkpoint holds the network's and the optimiser's state, the last finished epoch, what early
stopping tracks (best epoch, its scores and embeddings, epochs without improvement, the history) and
the random-number state of every process (torch, and the numpy generator of the label trick), so a
resumed run ends with the same weights as one that was never interrupted (on CPU, same seed). It is
written with ``torch.save`` to a temporary file renamed onto the target (:func:`bnpl.io.atomic_path`):
a run killed while writing leaves the previous checkpoint, never a truncated one. It is read with
``weights_only=True`` (tensors and plain Python values only, nothing executed).
"""
from __future__ import annotations

import pickle
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from bnpl.errors import BnplError
from bnpl.io import atomic_path


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


def rng_state(rng: np.random.Generator) -> dict[str, Any]:
    """This process's random-number state: torch's (CPU, and the current CUDA device's when used) and ``rng``'s."""
    state: dict[str, Any] = {"torch": torch.get_rng_state(), "numpy": rng.bit_generator.state}
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state["cuda"] = torch.cuda.get_rng_state()
    return state


def set_rng_state(state: dict[str, Any], rng: np.random.Generator) -> None:
    """Restore what :func:`rng_state` returned."""
    torch.set_rng_state(state["torch"])
    rng.bit_generator.state = state["numpy"]
    if "cuda" in state:
        torch.cuda.set_rng_state(state["cuda"])


def save_checkpoint(path: Path, state: dict[str, Any]) -> None:
    """``torch.save`` ``state`` to ``path`` through a temporary file and a rename."""
    with atomic_path(path) as tmp:
        torch.save(state, tmp)


def load_checkpoint(path: Path, meta: dict[str, Any]) -> dict[str, Any]:
    """The checkpoint at ``path``; BnplError naming the file when it cannot be read or was written by a
    run with other settings than ``meta`` (model, seed, hyperparameters, graph size, processes)."""
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except (OSError, RuntimeError, EOFError, pickle.UnpicklingError) as e:
        raise BnplError(f"{path}: not a readable checkpoint ({str(e).splitlines()[0]})") from None
    if not isinstance(state, dict) or "meta" not in state:
        raise BnplError(f"{path}: not a GNN training checkpoint (no 'meta' entry)")
    diff = sorted(k for k in set(meta) | set(state["meta"]) if meta.get(k) != state["meta"].get(k))
    if diff:
        pairs = ", ".join(f"{k}: {state['meta'].get(k)!r} there, {meta.get(k)!r} now" for k in diff)
        raise BnplError(f"{path}: checkpoint of another run ({pairs}); remove it or resume with its settings")
    return state
