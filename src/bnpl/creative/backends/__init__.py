"""Generation backends by name: ``offline`` (default, no network) and ``gemini`` (google-genai SDK)."""
from __future__ import annotations

from bnpl.creative.backends.base import Backend
from bnpl.creative.config import CreativeConfig
from bnpl.errors import BnplError

BACKENDS = ("offline", "gemini")


def make_backend(cfg: CreativeConfig, name: str | None = None, client=None) -> Backend:
    """The backend ``name`` (default: the config's ``backend``); ``client`` replaces the SDK client (tests)."""
    name = name or cfg.backend
    if name == "offline":
        from bnpl.creative.backends.offline import OfflineBackend

        return OfflineBackend(cfg.offline)
    if name == "gemini":
        from bnpl.creative.backends.gemini import GeminiBackend

        return GeminiBackend(cfg.gemini, client=client)
    raise BnplError(f"unknown backend {name!r}; choose from {', '.join(BACKENDS)}")


__all__ = ["BACKENDS", "Backend", "make_backend"]
