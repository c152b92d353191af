"""Cloud backend on the ``google-genai`` SDK (optional extra ``bnpl[cloud]``, imported lazily): Gemini for
text and embeddings, Gemini image generation and editing, Veo for video. Model ids come from the config.

Credentials come from the environment, as the SDK reads them: ``GEMINI_API_KEY`` (or ``GOOGLE_API_KEY``)
for the Gemini Developer API, or ``GOOGLE_GENAI_USE_VERTEXAI=true`` with ``GOOGLE_CLOUD_PROJECT`` and
``GOOGLE_CLOUD_LOCATION`` for Vertex AI. Requests are plain dicts (the SDK validates them into its types),
so tests check them against a fake client without the SDK or the network.
"""
from __future__ import annotations

import io
import os
import time
from collections.abc import Mapping
from pathlib import Path

import numpy as np
from PIL import Image

from bnpl.creative.backends.base import Backend, unit_rows
from bnpl.creative.config import GeminiConfig
from bnpl.errors import BnplError

MISSING_CREDENTIALS = ("the gemini backend needs credentials: set GEMINI_API_KEY (or GOOGLE_API_KEY), or "
                       "GOOGLE_GENAI_USE_VERTEXAI=true with GOOGLE_CLOUD_PROJECT and GOOGLE_CLOUD_LOCATION")


def client_settings(env: Mapping[str, str] | None = None) -> dict:
    """Keyword arguments for ``google.genai.Client`` from the environment; one-line error when missing."""
    env = os.environ if env is None else env
    if env.get("GOOGLE_GENAI_USE_VERTEXAI", "").strip().lower() in ("1", "true", "yes"):
        project, location = env.get("GOOGLE_CLOUD_PROJECT"), env.get("GOOGLE_CLOUD_LOCATION")
        if not project or not location:
            raise BnplError("GOOGLE_GENAI_USE_VERTEXAI is set: also set GOOGLE_CLOUD_PROJECT and GOOGLE_CLOUD_LOCATION")
        return {"vertexai": True, "project": project, "location": location}
    key = env.get("GEMINI_API_KEY") or env.get("GOOGLE_API_KEY")
    if not key:
        raise BnplError(MISSING_CREDENTIALS)
    return {"api_key": key}


def make_client(env: Mapping[str, str] | None = None):
    settings = client_settings(env)
    try:
        from google import genai  # type: ignore[attr-defined]  # the optional cloud extra
    except ImportError:
        raise BnplError("the gemini backend needs the google-genai SDK: pip install -e '.[cloud]'") from None
    return genai.Client(**settings)


def _png(image: Image.Image) -> bytes:
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return buf.getvalue()


class GeminiBackend(Backend):
    name = "gemini"

    def __init__(self, cfg: GeminiConfig, client=None, sleep=time.sleep):
        self.cfg = cfg
        self.client = client if client is not None else make_client()
        self._sleep = sleep

    def generate_text(self, prompts: list[str], system: str | None = None, seed: int = 0) -> list[str]:
        config = {"seed": seed, **({"system_instruction": system} if system else {})}
        return [(self.client.models.generate_content(model=self.cfg.text_model, contents=p, config=config).text
                 or "").strip() for p in prompts]

    def embed(self, texts: list[str]) -> np.ndarray:
        res = self.client.models.embed_content(model=self.cfg.embedding_model, contents=list(texts))
        return unit_rows(np.array([e.values for e in res.embeddings], dtype=np.float32))

    def _image_request(self, contents: list) -> Image.Image:
        res = self.client.models.generate_content(model=self.cfg.image_model, contents=contents,
                                                  config={"response_modalities": ["IMAGE"]})
        for cand in res.candidates or []:
            for part in (cand.content.parts if cand.content else None) or []:
                if getattr(part, "inline_data", None) is not None and part.inline_data.data:
                    return Image.open(io.BytesIO(part.inline_data.data)).convert("RGB")
        raise BnplError(f"{self.cfg.image_model}: the response held no image (blocked or text-only answer)")

    def generate_image(self, prompt: str, references: list[Image.Image]) -> Image.Image:
        return self._image_request([prompt, *references])

    def edit_image(self, image: Image.Image, instruction: str) -> Image.Image:
        return self._image_request([instruction, image])

    def generate_video(self, prompt: str, out: str | Path, image: Image.Image | None = None) -> Path:
        """Start a Veo job, poll it until done, write the first video to ``out`` (atomically)."""
        from bnpl.io import atomic_path

        kwargs = {"model": self.cfg.video_model, "prompt": prompt, "config": {"number_of_videos": 1}}
        if image is not None:
            kwargs["image"] = {"image_bytes": _png(image), "mime_type": "image/png"}
        op = self.client.models.generate_videos(**kwargs)
        while not op.done:
            self._sleep(self.cfg.video_poll_seconds)
            op = self.client.operations.get(op)
        if getattr(op, "error", None):
            raise BnplError(f"{self.cfg.video_model}: video generation failed: {op.error}")
        video = op.response.generated_videos[0].video
        data = getattr(video, "video_bytes", None) or self.client.files.download(file=video)
        with atomic_path(out, suffix=".mp4") as tmp:
            tmp.write_bytes(data)
        return Path(out)
