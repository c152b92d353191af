"""Configuration of the creative stage: ``experiments/creative.yaml`` as typed, validated data.

Model ids (Gemini text, image, video, embedding; the offline wheels) live in that file, never in code.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bnpl.config import EXPERIMENTS_DIR
from bnpl.errors import BnplError
from bnpl.io import read_yaml_mapping

DEFAULT_CONFIG = EXPERIMENTS_DIR / "creative.yaml"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", protected_namespaces=())


class RecommenderConfig(_Strict):
    model: str = "ease"
    params: dict[str, Any] = Field(default_factory=dict)


class OfflineConfig(_Strict):
    text_package: str
    text_file: str
    embedding_package: str
    max_new_tokens: int = Field(40, ge=4, le=512)
    temperature: float = Field(0.7, gt=0)
    top_p: float = Field(0.9, gt=0, le=1)
    threads: int = Field(2, ge=1)


class GeminiConfig(_Strict):
    text_model: str
    image_model: str
    video_model: str
    embedding_model: str
    video_poll_seconds: float = Field(10.0, gt=0)


class LookbookConfig(_Strict):
    tiles: int = Field(6, ge=1, le=24)
    candidates: int = Field(24, ge=1)
    max_per_category: int = Field(2, ge=1)
    relevance_weight: float = Field(0.5, ge=0, le=1)
    max_attempts: int = Field(2, ge=1, le=5)


class GuardrailConfig(_Strict):
    currency: str = "EUR"
    n_payments: int = Field(3, ge=2, le=12)
    headline_max_chars: int = Field(70, ge=10)
    caption_max_chars: int = Field(90, ge=10)
    message_max_chars: int = Field(320, ge=40)
    disclaimer: str
    prohibited_phrases: list[str]
    brand_unsafe_words: list[str]
    # Other companies' brands and trademarks: the catalogue is the partner stores' own, so a text that names
    # one of these claims a product or endorsement the shop does not have.
    third_party_brands: list[str] = Field(default_factory=list)


class EnrichConfig(_Strict):
    size: int = Field(256, ge=16, le=4096)
    near_duplicate_distance: int = Field(6, ge=0, le=32)
    background_tolerance: int = Field(18, ge=0, le=255)
    checkpoint_every: int = Field(50, ge=1)
    edit_instruction: str


class CreativeConfig(_Strict):
    backend: Literal["offline", "gemini"] = "offline"
    recommender: RecommenderConfig = Field(default_factory=RecommenderConfig)
    offline: OfflineConfig
    gemini: GeminiConfig
    lookbook: LookbookConfig = Field(default_factory=LookbookConfig)
    guardrails: GuardrailConfig
    enrich: EnrichConfig


def load_config(path: str | Path | None = None, **overrides: Any) -> CreativeConfig:
    """Read and validate a creative config file (default ``experiments/creative.yaml``); top-level
    ``overrides`` (e.g. ``backend="gemini"``) replace the file's values."""
    path = Path(path) if path else DEFAULT_CONFIG
    raw = read_yaml_mapping(path, "creative config file")
    raw.update({k: v for k, v in overrides.items() if v is not None})
    try:
        return CreativeConfig(**raw)
    except ValidationError as e:
        first = e.errors()[0]
        loc = ".".join(str(x) for x in first["loc"])
        raise BnplError(f"{path}: {loc}: {first['msg']}") from None
