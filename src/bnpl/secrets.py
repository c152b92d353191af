"""Secrets never shown: values of environment variables named like keys, tokens, secrets or passwords.

:func:`redact` replaces each such value (from the environment or the repository's ``.env``) by ``***``
in a text; the CLI passes every error message through it, the runner every MLflow error tag and the
executed notebook's outputs (:func:`redact_notebook`) before it is rendered, kept and logged. Values
shorter than :data:`MIN_LENGTH` characters are left alone: replacing ``1`` or ``true`` everywhere would
garble the text and hide nothing.
"""
from __future__ import annotations

import os
import re
from pathlib import Path

SECRET_NAME = re.compile(r"KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL", re.IGNORECASE)
MIN_LENGTH = 6
MASK = "***"


def secret_values() -> list[str]:
    """Values of secret-named variables in the environment and ``.env``, longest first."""
    from bnpl import config

    values = {**config.read_env_file(config.REPO_ROOT / ".env"), **os.environ}
    found = {v for k, v in values.items() if SECRET_NAME.search(k) and len(v) >= MIN_LENGTH}
    return sorted(found, key=len, reverse=True)


def redact(text: str, secrets: list[str] | None = None) -> str:
    for value in secret_values() if secrets is None else secrets:
        text = text.replace(value, MASK)
    return text


def redact_notebook(path: str | Path) -> bool:
    """Redact secrets in every output of the notebook at ``path`` (rewritten atomically); True if any was found."""
    import nbformat

    from bnpl.io import write_text

    secrets = secret_values()
    if not secrets:
        return False
    nb = nbformat.read(path, as_version=4)
    text = nbformat.writes(nb)
    if not any(s in text for s in secrets):
        return False
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            _redact_output(out, secrets)
    write_text(path, nbformat.writes(nb))
    return True


def _redact_output(out: dict, secrets: list[str]) -> None:
    if "text" in out:
        out["text"] = redact(out["text"], secrets)
    if "evalue" in out:
        out["evalue"] = redact(out["evalue"], secrets)
    if "traceback" in out:
        out["traceback"] = [redact(t, secrets) for t in out["traceback"]]
    for mime, value in out.get("data", {}).items():
        if isinstance(value, str):
            out["data"][mime] = redact(value, secrets)
        elif isinstance(value, list):
            out["data"][mime] = [redact(v, secrets) if isinstance(v, str) else v for v in value]
