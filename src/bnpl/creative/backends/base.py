"""The interface every generation backend implements: text, embeddings, images and (cloud only) video."""
from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import numpy as np
from PIL import Image

from bnpl.errors import BnplError


class Backend:
    """Base class. ``generate_text`` takes a batch of prompts and returns one text per prompt;
    ``embed`` returns unit-norm rows; images are PIL images."""

    name: ClassVar[str] = "base"

    def generate_text(self, prompts: list[str], system: str | None = None, seed: int = 0) -> list[str]:
        raise NotImplementedError

    def embed(self, texts: list[str]) -> np.ndarray:
        raise NotImplementedError

    def generate_image(self, prompt: str, references: list[Image.Image]) -> Image.Image:
        """A new image from ``prompt`` and reference product images."""
        raise NotImplementedError

    def edit_image(self, image: Image.Image, instruction: str) -> Image.Image:
        """``image`` changed as ``instruction`` asks."""
        raise NotImplementedError

    def generate_video(self, prompt: str, out: str | Path, image: Image.Image | None = None) -> Path:
        raise BnplError(f"backend {self.name!r} cannot generate video; use --backend gemini (Veo)")


def unit_rows(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x, dtype=np.float32)
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)
