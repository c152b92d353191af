"""Any delimited file of user-item interactions → :class:`InteractionData`.

Required: a user column and an item column (``user_id`` / ``item_id`` by default; with the
defaults, ``user``/``userId`` and ``item``/``itemId``/``movieId``/``product_id`` are also
recognised). Optional: a time column (``timestamp`` or ``time``: numbers, or dates parsed to Unix
seconds; absent → the row order) and a weight column (``rating`` or ``weight``; absent → 1.0).
The separator is detected (tab, comma, semicolon, pipe) unless given.

Duplicate (user, item) rows are collapsed to one: the latest (by time, then row order) is kept,
so a re-rating replaces the old rating and a user-item pair is never both in train and test
after a split. The number collapsed is in ``meta["duplicates_dropped"]`` and reported in a warning.
Weights must be finite. A file with one user, one item or fewer than three rows loads with a
warning (it cannot be split for evaluation). A ``.gz`` (or any gzip-compressed) file is read as is.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from bnpl.data.loaders._csv import (
    column_hint,
    find_column,
    numeric,
    read_table,
    times,
    warn_small_interactions,
)
from bnpl.data.normalised import InteractionData, encode_ids
from bnpl.data.privacy import protect_ids
from bnpl.errors import DataError

USER_ALIASES = ("user_id", "user", "userid", "customer_id")
ITEM_ALIASES = ("item_id", "item", "itemid", "movieid", "product_id")
TIME_ALIASES = ("timestamp", "time")
WEIGHT_ALIASES = ("rating", "weight")


def load_interactions_csv(path: str | Path, sep: str | None = None, user_col: str = "user_id",
                          item_col: str = "item_id") -> InteractionData:
    """Load ``path`` (a delimited text file); see the module docstring for the columns."""
    file = Path(path)
    if not file.is_file():
        raise DataError(f"{file}: {'not a file' if file.exists() else 'no such file'}")
    df = read_table(file, sep=sep, dtype=str)
    ucol = _column(df, user_col, "user_id", USER_ALIASES, file)
    icol = _column(df, item_col, "item_id", ITEM_ALIASES, file)
    for c in (ucol, icol):
        if df[c].isna().any():
            i = int(np.argmax(df[c].isna().to_numpy()))
            raise DataError(f"{file}: column {c!r} has an empty value (data row {i + 1})")
    tcol = find_column(df, TIME_ALIASES, file, "time", required=False)
    wcol = find_column(df, WEIGHT_ALIASES, file, "weight", required=False)
    t = times(df, tcol, file)[0] if tcol else np.arange(len(df), dtype=np.float64)
    w = numeric(df, wcol, file) if wcol else np.ones(len(df))

    users, user_index = encode_ids(df[ucol].str.strip())
    items, item_index = encode_ids(df[icol].str.strip())
    inter = pd.DataFrame({"user_id": users, "item_id": items, "time": t, "weight": w})
    n_rows = len(inter)
    inter = keep_latest_pair(inter)
    warn_small_interactions(inter, file, n_rows - len(inter))
    return InteractionData(name=f"csv:{file.stem}", interactions=inter, n_users=len(user_index),
                           n_items=len(item_index), user_index=protect_ids(user_index, file, ucol),
                           item_index=protect_ids(item_index, file, icol),
                           meta={"source": str(file), "time": tcol or "row order", "weight": wcol or "1.0",
                                 "duplicates_dropped": n_rows - len(inter)})


def keep_latest_pair(inter: pd.DataFrame) -> pd.DataFrame:
    """One row per (user_id, item_id): the latest by time, ties broken by row order; original order kept."""
    order = np.lexsort((np.arange(len(inter)), inter["time"].to_numpy()))
    kept = inter.iloc[order].drop_duplicates(["user_id", "item_id"], keep="last")
    return kept.sort_index().reset_index(drop=True)


def _column(df: pd.DataFrame, given: str, default: str, aliases: tuple[str, ...], file: Path) -> str:
    """The column named ``given``; with the default name, also its usual aliases (case-insensitive)."""
    if given in df.columns:
        return given
    if given == default:
        return find_column(df, aliases, file, default)
    raise DataError(f"{file}: missing column {given!r}; found {list(df.columns)[:12]}{column_hint([given], df.columns)}")
