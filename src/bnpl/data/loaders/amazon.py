"""Amazon Grocery and Gourmet Food as packaged by ReChorus → :class:`InteractionData`.

A folder with ``interactions.csv`` (tab-separated ``user_id item_id time``) or ReChorus'
``train.csv`` / ``dev.csv`` / ``test.csv`` (concatenated; their ``neg_items`` column is
ignored), and optionally ``item_meta.csv`` (``item_id i_category r_complement r_substitute``,
the last two Python-style lists of item ids such as ``[1, 2]``; a nested list, text or an id
beyond int64 is an error naming the row). Other Amazon categories packaged by
ReChorus have the same layout.

Each row is one interaction (weight 1). Item features: ``category`` (the category code;
-1 for items without metadata). Item relations: ``complement`` and ``substitute`` pairs
between items present in the data. Items are the union of the interaction and metadata
items. Duplicate (user, item) rows are collapsed to the latest, as in
:mod:`bnpl.data.loaders.interactions_csv`.
"""
from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pandas as pd

from bnpl.data.loaders._csv import (
    find_column,
    numeric,
    read_table,
    require_folder,
    warn_small_interactions,
)
from bnpl.data.loaders.interactions_csv import keep_latest_pair
from bnpl.data.normalised import InteractionData, encode_ids
from bnpl.data.privacy import protect_ids, shown
from bnpl.errors import DataError

RECHORUS_PARTS = ("train.csv", "dev.csv", "test.csv")
RELATIONS = {"r_complement": "complement", "r_substitute": "substitute"}
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
INT_LIST = r"^\s*\[\s*(?:-?\d+\s*(?:,\s*-?\d+\s*)*,?)?\]\s*$"


def load_amazon_grocery(path: str | Path) -> InteractionData:
    """Load a ReChorus-style Amazon folder (see the module docstring)."""
    folder = require_folder(path)
    raw = _read_interactions(folder)
    meta = _read_meta(folder / "item_meta.csv") if (folder / "item_meta.csv").is_file() else None

    users, user_index = encode_ids(raw["user_id"])
    item_raw = raw["item_id"] if meta is None else pd.concat([raw["item_id"], meta["item_id"]])
    _, item_index = encode_ids(item_raw)
    inter = pd.DataFrame({"user_id": users, "item_id": item_index.get_indexer(raw["item_id"]).astype(np.int64),
                          "time": raw["time"].to_numpy(), "weight": np.ones(len(raw))})
    n_rows = len(inter)
    inter = keep_latest_pair(inter)
    warn_small_interactions(inter, folder, n_rows - len(inter))
    item_features = relations = None
    if meta is not None:
        cat = meta.drop_duplicates("item_id").set_index("item_id")["category"]
        item_features = pd.DataFrame({"category": cat.reindex(item_index).fillna(-1).to_numpy(np.float32)})
        relations = _relations(meta, item_index)
    return InteractionData(name=f"amazon:{folder.name}", interactions=inter, n_users=len(user_index),
                           n_items=len(item_index), item_features=item_features, item_relations=relations,
                           user_index=protect_ids(user_index, folder, "user_id"), item_index=item_index,
                           meta={"source": str(folder), "duplicates_dropped": n_rows - len(inter),
                                 "weight": "1.0 (implicit feedback)"})


def _read_interactions(folder: Path) -> pd.DataFrame:
    if (folder / "interactions.csv").is_file():
        files = [folder / "interactions.csv"]
    elif all((folder / p).is_file() for p in RECHORUS_PARTS):
        files = [folder / p for p in RECHORUS_PARTS]
    else:
        raise DataError(f"{folder}: expected 'interactions.csv' or ReChorus 'train.csv', 'dev.csv', 'test.csv'")
    parts = []
    for f in files:
        df = read_table(f, sep=None, required=("user_id", "item_id", "time"), dtype=str)
        parts.append(pd.DataFrame({"user_id": _int_ids(df, "user_id", f), "item_id": _int_ids(df, "item_id", f),
                                   "time": numeric(df, "time", f)}))
    return pd.concat(parts, ignore_index=True)


def _int_ids(df: pd.DataFrame, col: str, file: Path) -> pd.Series:
    """Ids as int64 when all are integers (ReChorus), else as stripped strings."""
    s = df[col].str.strip()
    if s.isna().any():
        raise DataError(f"{file}: column {col!r} has an empty value (data row {int(np.argmax(s.isna())) + 1})")
    n = pd.to_numeric(s, errors="coerce")
    return n.astype(np.int64) if n.notna().all() and (n % 1 == 0).all() else s


def _read_meta(file: Path) -> pd.DataFrame:
    df = read_table(file, sep=None, dtype=str)
    find_column(df, ("item_id",), file, "item_id")
    out = pd.DataFrame({"item_id": _int_ids(df, "item_id", file)})
    cat_col = find_column(df, ("i_category", "category"), file, "category", required=False)
    if cat_col is not None:
        out["category"] = pd.factorize(df[cat_col].fillna(""), sort=True)[0] if \
            pd.to_numeric(df[cat_col], errors="coerce").isna().any() else numeric(df, cat_col, file)
    else:
        out["category"] = -1.0
    for col in RELATIONS:
        if col in df.columns:
            out[col] = _parse_lists(df[col], file, col)
    return out


def _parse_lists(s: pd.Series, file: Path, col: str) -> pd.Series:
    """Python-style lists of integer ids → lists of ints. Integer lists by regex (fast); others by
    ``ast.literal_eval``. Anything but a flat list of ids (int64 or strings) — nested lists, text, ids
    beyond int64, nesting too deep to parse — is a DataError naming the row."""
    s = s.fillna("[]").str.strip()
    fast = s.str.match(INT_LIST).to_numpy()
    out = []
    for i, text in enumerate(s.tolist()):
        if fast[i]:
            body = text[1:-1].strip().rstrip(",")
            v = [int(x) for x in body.split(",")] if body else []
        else:
            try:
                v = ast.literal_eval(text)
            except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
                v = None
        if not isinstance(v, (list, tuple)) or not all(_is_id(x) for x in v):
            raise DataError(f"{file}: column {col!r} has {shown(text[:40])} (data row {i + 1}); "
                            "expected a flat list of item ids like [1, 2]")
        out.append(list(v))
    return pd.Series(out, index=s.index, dtype=object)


def _is_id(x) -> bool:
    return (type(x) is int and INT64_MIN <= x <= INT64_MAX) or type(x) is str


def _relations(meta: pd.DataFrame, item_index: pd.Index) -> pd.DataFrame | None:
    """(src_item, dst_item, relation) rows whose two items are both known."""
    frames = []
    for col, name in RELATIONS.items():
        if col not in meta.columns:
            continue
        e = meta[["item_id", col]].explode(col).dropna()
        src = item_index.get_indexer(e["item_id"])
        dst = item_index.get_indexer(pd.Index(e[col].tolist()))
        ok = (src >= 0) & (dst >= 0)
        frames.append(pd.DataFrame({"src_item": src[ok].astype(np.int64), "dst_item": dst[ok].astype(np.int64),
                                    "relation": name}))
    return pd.concat(frames, ignore_index=True) if frames else None
