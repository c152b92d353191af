"""A tiny deterministic text/embedding backend for creative tests that do not need the real models."""
from __future__ import annotations

import hashlib

import numpy as np

from bnpl.creative.backends.base import Backend, unit_rows


class FakeBackend(Backend):
    """Returns scripted texts in turn (cycling), and bag-of-words hash embeddings."""

    name = "fake"

    def __init__(self, texts: list[str] | None = None, dim: int = 64):
        self.texts = texts or ["A fresh look made for you"]
        self.calls: list[list[str]] = []
        self.dim = dim
        self._i = 0

    def generate_text(self, prompts, system=None, seed=0):
        self.calls.append(list(prompts))
        out = []
        for _ in prompts:
            out.append(self.texts[self._i % len(self.texts)])
            self._i += 1
        return out

    def embed(self, texts):
        m = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, t in enumerate(texts):
            for w in t.lower().split():
                m[i, int(hashlib.md5(w.encode()).hexdigest(), 16) % self.dim] += 1.0
        return unit_rows(m + 1e-3)
