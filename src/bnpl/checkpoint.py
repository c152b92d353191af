"""Training checkpoints, shared by the fraud GNNs (:mod:`bnpl.fraud.checkpoint`) and the embedding
recommenders (:mod:`bnpl.recsys.models.checkpoint`).

A checkpoint is a dict of tensors and plain values written with ``torch.save`` to a temporary file renamed
onto the target (:func:`bnpl.io.atomic_path`): a run killed while writing leaves the previous checkpoint,
never a truncated one. It is read with ``weights_only=True`` (tensors and plain containers, nothing
executed). :func:`rng_state` / :func:`set_rng_state` carry a process's random generators (torch's CPU one,
the current CUDA device's when used, and a numpy ``Generator``), so a resumed run draws what an
uninterrupted one would have drawn.
"""
from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

import numpy as np
import torch

from bnpl.errors import BnplError
from bnpl.io import atomic_path


def save(path: str | Path, blob: dict[str, Any]) -> None:
    """``torch.save`` ``blob`` to ``path`` through a temporary file and a rename."""
    with atomic_path(path, suffix=".pt") as tmp:
        torch.save(blob, tmp)


def load(path: str | Path, what: str) -> dict[str, Any]:
    """The dict saved at ``path``; BnplError naming the file (and ``what`` it should be) when it cannot be read."""
    try:
        blob = torch.load(path, map_location="cpu", weights_only=True)
    except (OSError, RuntimeError, EOFError, pickle.UnpicklingError) as e:
        raise BnplError(f"{path}: not a readable {what} ({str(e).splitlines()[0] if str(e) else type(e).__name__})") from None
    if not isinstance(blob, dict):
        raise BnplError(f"{path}: not a {what}")
    return blob


def rng_state(rng: np.random.Generator) -> dict[str, Any]:
    """This process's random-number state: torch's (CPU, and the current CUDA device's when used) and ``rng``'s,
    with the numpy generator's 128-bit integers as strings (plain values that ``weights_only`` loading accepts)."""
    s = rng.bit_generator.state
    state: dict[str, Any] = {"torch": torch.get_rng_state(),
                             "numpy": {"bit_generator": s["bit_generator"],
                                       "state": {k: str(v) for k, v in s["state"].items()},
                                       "has_uint32": int(s["has_uint32"]), "uinteger": int(s["uinteger"])}}
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        state["cuda"] = torch.cuda.get_rng_state()
    return state


def set_rng_state(state: dict[str, Any], rng: np.random.Generator) -> None:
    """Restore what :func:`rng_state` returned."""
    torch.set_rng_state(state["torch"])
    s = state["numpy"]
    rng.bit_generator.state = {"bit_generator": s["bit_generator"], "state": {k: int(v) for k, v in s["state"].items()},
                               "has_uint32": s["has_uint32"], "uinteger": s["uinteger"]}
    if "cuda" in state:
        torch.cuda.set_rng_state(state["cuda"])
