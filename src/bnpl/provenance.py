"""Which data a run read: its identity (path, configuration, content hash), logged with the run.

Every stage notebook calls :func:`log_data` on what it reads (notebook 01 on what it writes).
The identity goes to the MLflow run as parameters (``data.<role>.path``, ``.hash``, and for a
synthetic world ``.config.<field>``) and tags, and to ``data.json`` in the run folder, which the
runner copies into ``run.json`` and the report compares across stages.

Generated worlds live in folders named by their configuration (:func:`world_folder_name`):
``data/synthetic/default`` holds only the default configuration; any other configuration goes
to ``data/synthetic/seed<S>-n<N>-<hash>`` unless an explicit ``out_dir`` is given.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

from bnpl.config import DATA_DIR, REPO_ROOT

DATA_FILE = "data.json"
WORLD_CONFIG = "world_config.json"
DEFAULT_WORLD_DIR = "data/synthetic/default"


def content_hash(path: str | Path, chunk: int = 1 << 20) -> str:
    """SHA-256 (first 16 hex digits) over every file under ``path`` (names relative to it, then bytes),
    or over the one file ``path``."""
    path = Path(path)
    files = sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith(".")) if path.is_dir() else [path]
    h = hashlib.sha256()
    for f in files:
        h.update(str(f.relative_to(path) if path.is_dir() else f.name).encode() + b"\0")
        with f.open("rb") as fh:
            while block := fh.read(chunk):
                h.update(block)
    return h.hexdigest()[:16]


def _shown(path: Path) -> str:
    p = path.resolve()
    return str(p.relative_to(REPO_ROOT)) if p.is_relative_to(REPO_ROOT) else str(p)


def data_identity(path: str | Path, dataset: str = "synthetic") -> dict:
    """``{dataset, path, hash, config}``; ``config`` is the world's ``world_config.json`` when present."""
    path = Path(path)
    cfg_file = path / WORLD_CONFIG if path.is_dir() else None
    config = json.loads(cfg_file.read_text()) if cfg_file is not None and cfg_file.exists() else {}
    return {"dataset": dataset, "path": _shown(path), "hash": content_hash(path), "config": config}


def data_label(identity: dict) -> str:
    """One line for people: ``synthetic data/synthetic/default (seed 0, 200,000 transactions) #ab12…``."""
    cfg = identity.get("config") or {}
    size = f" (seed {cfg['seed']}, {cfg['n_transactions']:,} transactions)" if {"seed", "n_transactions"} <= set(cfg) else ""
    return f"{identity['dataset']} {identity['path']}{size} #{identity['hash'][:8]}"


def log_data(identity: dict, role: str = "input") -> dict:
    """Record ``identity`` in the active MLflow run (params and tags) and in the run folder's
    ``data.json`` (``{role: identity}``); returns it. Prints one line saying which data this is."""
    from bnpl import tracking
    from bnpl.io import write_json

    flat = {f"data.{role}.path": identity["path"], f"data.{role}.hash": identity["hash"],
            f"data.{role}.dataset": identity["dataset"]}
    flat |= {f"data.{role}.config.{k}": v for k, v in (identity.get("config") or {}).items()}
    tracking.log_params(flat)
    rid = tracking.active_run_id()
    if rid is not None:
        tracking._client().set_tag(rid, f"data_{role}", data_label(identity))
    path = tracking.run_dir() / DATA_FILE
    recorded = json.loads(path.read_text()) if path.exists() else {}
    write_json(path, recorded | {role: identity})
    print(f"data {role}: {data_label(identity)}")
    return identity


def world_folder_name(config: dict) -> str:
    """``default`` for the default world configuration, else ``seed<S>-n<N>-<hash of the config>``."""
    from bnpl.data.synthetic.config import WorldConfig

    full = WorldConfig(**config).model_dump()
    if full == WorldConfig().model_dump():
        return "default"
    digest = hashlib.sha256(json.dumps(full, sort_keys=True).encode()).hexdigest()[:8]
    return f"seed{full['seed']}-n{full['n_transactions']}-{digest}"


def world_output_folder(out_dir: str, config: dict) -> Path:
    """Where notebook 01 writes a world: ``out_dir`` as given, except that the default folder
    (``data/synthetic/default``) only ever receives the default configuration; another configuration
    goes to its own folder beside it, so stages reading the default world never read it by accident."""
    from bnpl.config import repo_path

    if Path(out_dir) == Path(DEFAULT_WORLD_DIR) or repo_path(out_dir).resolve() == (DATA_DIR / "synthetic" / "default").resolve():
        return DATA_DIR / "synthetic" / world_folder_name(config)
    return repo_path(out_dir)


def world_mismatch(identity: dict, **requested) -> str | None:
    """A sentence when the world read differs from the generation parameters a notebook was given
    (they apply only when the folder is missing), else None."""
    cfg = identity.get("config") or {}
    diff = [f"{k}={cfg[k]!r} (parameter says {v!r})" for k, v in requested.items() if k in cfg and cfg[k] != v]
    if not diff:
        return None
    return (f"{identity['path']} holds a world with " + ", ".join(diff) + "; the generation parameters apply only "
            "when the folder is missing, so this run reads the world as recorded in its data.input parameters.")
