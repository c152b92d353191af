"""MovieLens (GroupLens) → :class:`InteractionData`.

Accepted folders:

* ML-100K: ``u.data`` (tab-separated ``user item rating timestamp``), ``u.item`` (pipe-separated,
  latin-1; the last 19 fields are genre flags, named from ``u.genre`` when present) and ``u.user``
  (``user|age|gender|occupation|zip``);
* ML-1M / ML-10M: ``ratings.dat`` (``user::item::rating::timestamp``), optional ``movies.dat``
  (``item::title::Genre|Genre``) and ``users.dat`` (``user::gender::age::occupation::zip``);
* ml-latest / ml-25m style: ``ratings.csv`` (``userId,movieId,rating,timestamp``), optional ``movies.csv``.

Every rating is an interaction with ``weight`` = rating and ``time`` = Unix seconds; a (user, item)
pair rated twice keeps its latest rating (with a warning), as in :mod:`bnpl.data.loaders.interactions_csv`.
Item features are genre flags; user features (when a user file exists) are age, a 0/1
``gender_f`` and one-hot occupation columns. Users and items listed in the side files but
never rated are kept (the catalogue), so ids are those of the side files plus the ratings.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from bnpl.data.loaders._csv import (
    numeric,
    read_table,
    require_folder,
    warn_small_interactions,
)
from bnpl.data.loaders.interactions_csv import keep_latest_pair
from bnpl.data.normalised import InteractionData, encode_ids
from bnpl.data.privacy import protect_ids
from bnpl.errors import DataError

RATING_COLS = ("user", "item", "rating", "timestamp")


def load_movielens(path: str | Path) -> InteractionData:
    """Load a MovieLens folder (ML-100K, ML-1M or ml-latest layout)."""
    folder = require_folder(path)
    if (folder / "u.data").is_file():
        ratings, items, users = _ml100k(folder)
    elif (folder / "ratings.dat").is_file():
        ratings, items, users = _ml1m(folder)
    elif (folder / "ratings.csv").is_file():
        ratings, items, users = _mllatest(folder)
    else:
        raise DataError(f"{folder}: not a MovieLens folder (expected 'u.data', 'ratings.dat' or 'ratings.csv')")
    return _assemble(folder, ratings, items, users)


def _ratings(file: Path, sep: str, names: list[str] | None) -> pd.DataFrame:
    header = None if names else "infer"
    df = read_table(file, sep=sep, header=header, names=names, dtype=str)
    if names is None:
        lower = {c.lower(): c for c in df.columns}
        want = {"user": "userid", "item": "movieid", "rating": "rating", "timestamp": "timestamp"}
        missing = [v for v in want.values() if v not in lower]
        if missing:
            raise DataError(f"{file}: missing column(s) {missing}; found {list(df.columns)[:12]}")
        df = df.rename(columns={lower[v]: k for k, v in want.items()})[list(RATING_COLS)]
    if df[list(RATING_COLS)].isna().any().any():
        col = df[list(RATING_COLS)].isna().any().idxmax()
        i = int(df[col].isna().to_numpy().argmax())
        raise DataError(f"{file}: column {col!r} has an empty value (data row {i + 1}; wrong separator or "
                        "truncated row?)")
    return pd.DataFrame({"user": df["user"].str.strip(), "item": df["item"].str.strip(),
                         "rating": numeric(df, "rating", file), "timestamp": numeric(df, "timestamp", file)})


def _ml100k(folder: Path):
    ratings = _ratings(folder / "u.data", "\t", list(RATING_COLS))
    items = users = None
    if (folder / "u.item").is_file():
        f = folder / "u.item"
        raw = read_table(f, sep="|", header=None, encoding="latin-1", dtype=str)
        if raw.shape[1] < 6:
            raise DataError(f"{f}: expected pipe-separated 'id|title|date|video date|url|genre flags...'; "
                            f"found {raw.shape[1]} fields")
        n_genres = raw.shape[1] - 5
        names = _genre_names(folder / "u.genre", n_genres)
        items = pd.DataFrame({"item": raw[0].str.strip()})
        for j, name in enumerate(names):
            items[f"genre_{name}"] = numeric(raw, 5 + j, f).astype(np.float32)
    if (folder / "u.user").is_file():
        f = folder / "u.user"
        raw = read_table(f, sep="|", header=None, names=["user", "age", "gender", "occupation", "zip"], dtype=str)
        users = _user_table(raw, f)
    return ratings, items, users


def _ml1m(folder: Path):
    ratings = _ratings(folder / "ratings.dat", "::", list(RATING_COLS))
    items = users = None
    if (folder / "movies.dat").is_file():
        f = folder / "movies.dat"
        raw = read_table(f, sep="::", header=None, names=["item", "title", "genres"], encoding="latin-1", dtype=str)
        items = _genre_dummies(raw)
    if (folder / "users.dat").is_file():
        f = folder / "users.dat"
        raw = read_table(f, sep="::", header=None, names=["user", "gender", "age", "occupation", "zip"], dtype=str)
        users = _user_table(raw, f)
    return ratings, items, users


def _mllatest(folder: Path):
    ratings = _ratings(folder / "ratings.csv", ",", None)
    items = None
    if (folder / "movies.csv").is_file():
        f = folder / "movies.csv"
        raw = read_table(f, sep=",", required=("movieId", "genres"), dtype=str)
        items = _genre_dummies(raw.rename(columns={"movieId": "item"}))
    return ratings, items, None


def _genre_names(file: Path, n: int) -> list[str]:
    if file.is_file():
        g = pd.read_csv(file, sep="|", header=None, names=["name", "idx"], encoding="latin-1").dropna()
        if len(g) == n:
            return [str(x).lower().replace("'", "").replace(" ", "_") for x in g.sort_values("idx")["name"]]
    return [str(j) for j in range(n)]


def _genre_dummies(raw: pd.DataFrame) -> pd.DataFrame:
    flags = raw["genres"].fillna("").str.get_dummies(sep="|").astype(np.float32)
    flags.columns = ["genre_" + c.lower().replace("'", "").replace(" ", "_").replace("-", "_") for c in flags.columns]
    return pd.concat([raw[["item"]].apply(lambda s: s.str.strip()), flags], axis=1)


def _user_table(raw: pd.DataFrame, file: Path) -> pd.DataFrame:
    users = pd.DataFrame({"user": raw["user"].str.strip(), "age": numeric(raw, "age", file)})
    users["gender_f"] = (raw["gender"].str.strip().str.upper() == "F").astype(np.float32)
    occ = pd.get_dummies(raw["occupation"].str.strip().str.lower(), prefix="occ", dtype=np.float32)
    return pd.concat([users, occ], axis=1)


def _assemble(folder: Path, ratings: pd.DataFrame, items: pd.DataFrame | None,
              users: pd.DataFrame | None) -> InteractionData:
    user_raw = pd.concat([ratings["user"], users["user"]]) if users is not None else ratings["user"]
    item_raw = pd.concat([ratings["item"], items["item"]]) if items is not None else ratings["item"]
    _, user_index = encode_ids(_numeric_ids(user_raw))
    _, item_index = encode_ids(_numeric_ids(item_raw))
    inter = pd.DataFrame({"user_id": user_index.get_indexer(_numeric_ids(ratings["user"])).astype(np.int64),
                          "item_id": item_index.get_indexer(_numeric_ids(ratings["item"])).astype(np.int64),
                          "time": ratings["timestamp"], "weight": ratings["rating"]})
    n_rows = len(inter)
    inter = keep_latest_pair(inter)
    warn_small_interactions(inter, folder, n_rows - len(inter))
    return InteractionData(
        name=f"movielens:{folder.name}", interactions=inter, n_users=len(user_index), n_items=len(item_index),
        user_features=_side(users, "user", user_index), item_features=_side(items, "item", item_index),
        user_index=protect_ids(user_index, folder, "user"), item_index=item_index,
        meta={"source": str(folder), "weight": "rating", "duplicates_dropped": n_rows - len(inter)})


def _numeric_ids(s: pd.Series) -> pd.Series:
    """MovieLens ids are integers: sort them as numbers when they all are, else as strings."""
    n = pd.to_numeric(s, errors="coerce")
    return n.astype(np.int64) if n.notna().all() else s


def _side(table: pd.DataFrame | None, key: str, index: pd.Index) -> pd.DataFrame | None:
    """One row per contiguous id (zeros for ids the side file does not list)."""
    if table is None:
        return None
    t = table.assign(**{key: _numeric_ids(table[key])}).drop_duplicates(key).set_index(key)
    return t.reindex(index).fillna(0.0).reset_index(drop=True).astype(np.float32)
