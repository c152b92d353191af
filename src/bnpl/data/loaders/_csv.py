"""Small helpers the loaders share: find a file, read a CSV, check columns and values.

Every failure raises :class:`~bnpl.errors.DataError` with one line that names the file
and, where it applies, the column and the first offending row.
"""
from __future__ import annotations

import csv
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from bnpl.errors import DataError

CANDIDATE_SEPARATORS = ("\t", ",", ";", "|")


def resolve_file(path: str | Path, name: str) -> Path:
    """``path`` itself if it is a file, else ``path / name``; DataError if that does not exist."""
    path = Path(path)
    if not path.exists():
        raise DataError(f"{path}: no such file or folder")
    p = path if path.is_file() else path / name
    if not p.is_file():
        raise DataError(f"{path}: expected a file {name!r} in this folder")
    return p


def require_folder(path: str | Path) -> Path:
    path = Path(path)
    if not path.is_dir():
        raise DataError(f"{path}: {'not a folder' if path.exists() else 'no such folder'}")
    return path


def sniff_separator(path: Path, encoding: str = "utf-8") -> str:
    """Guess the separator from the first lines: csv.Sniffer, else the candidate that splits the header most."""
    with open(path, encoding=encoding, errors="replace", newline="") as f:
        head = "".join(f.readline() for _ in range(20))
    if not head.strip():
        raise DataError(f"{path}: file is empty")
    try:
        return csv.Sniffer().sniff(head, delimiters="".join(CANDIDATE_SEPARATORS)).delimiter
    except csv.Error:
        first = head.splitlines()[0]
        counts = {s: first.count(s) for s in CANDIDATE_SEPARATORS}
        return max(counts, key=counts.get) if max(counts.values()) else ","


def read_table(path: Path, sep: str | None = None, required: Iterable[str] = (), **kwargs) -> pd.DataFrame:
    """Read a delimited file; check it is non-empty and has the ``required`` columns (exact names).

    ``sep=None`` detects the separator. Extra ``kwargs`` go to :func:`pandas.read_csv`.
    """
    if path.is_file() and path.stat().st_size == 0:
        raise DataError(f"{path}: file is empty")
    if sep is None and kwargs.get("header", "infer") is not None:
        sep = sniff_separator(path, kwargs.get("encoding") or "utf-8")
    try:
        df = pd.read_csv(path, sep=sep, engine="python" if len(sep or ",") > 1 else "c", **kwargs)
    except FileNotFoundError:
        raise DataError(f"{path}: file not found") from None
    except pd.errors.EmptyDataError:
        raise DataError(f"{path}: file is empty") from None
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as e:
        msg = str(e).strip().splitlines()[0] if str(e).strip() else e.__class__.__name__
        raise DataError(f"{path}: cannot parse as a {sep!r}-separated table ({msg})") from None
    missing = [c for c in required if c not in df.columns]
    if missing:
        hint = " (wrong separator?)" if len(df.columns) == 1 else ""
        raise DataError(f"{path}: missing column(s) {missing}; found {list(df.columns)[:12]}{hint}")
    if len(df) == 0:
        raise DataError(f"{path}: no data rows")
    return df


def find_column(df: pd.DataFrame, aliases: Iterable[str], path: Path, what: str, required: bool = True) -> str | None:
    """The first column whose lower-cased name is in ``aliases``; DataError naming ``what`` if none."""
    lower = {c.lower(): c for c in df.columns}
    for a in aliases:
        if a.lower() in lower:
            return lower[a.lower()]
    if required:
        hint = " (wrong separator?)" if len(df.columns) == 1 else ""
        raise DataError(f"{path}: no {what} column (expected one of {list(aliases)}); found {list(df.columns)[:12]}{hint}")
    return None


def numeric(df: pd.DataFrame, col: str, path: Path, allow_missing: bool = False) -> np.ndarray:
    """Column ``col`` as float64; DataError naming the first non-numeric or empty value and its row."""
    s = df[col]
    if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
        out = s.to_numpy(dtype=np.float64, na_value=np.nan)
    else:
        out = pd.to_numeric(s, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
        bad = np.isnan(out) & s.notna().to_numpy()
        if bad.any():
            i = int(np.argmax(bad))
            raise DataError(f"{path}: column {col!r} has a non-numeric value {s.iloc[i]!r} (data row {i + 1})")
    if not allow_missing and np.isnan(out).any():
        i = int(np.argmax(np.isnan(out)))
        raise DataError(f"{path}: column {col!r} has an empty value (data row {i + 1})")
    return out


def integer_labels(df: pd.DataFrame, col: str, path: Path, allowed: Iterable[int]) -> np.ndarray:
    """Column ``col`` as int64 (booleans and 'true'/'false' strings accepted), restricted to ``allowed``."""
    s = df[col]
    if not pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s):
        low = s.astype("string").str.strip().str.lower()
        s = low.map({"true": "1", "false": "0", "t": "1", "f": "0", "yes": "1", "no": "0"}).fillna(low)
        s = pd.Series(s, name=col)
    vals = numeric(pd.DataFrame({col: s}), col, path)
    allowed = sorted(allowed)
    bad = ~np.isin(vals, allowed)
    if bad.any():
        i = int(np.argmax(bad))
        v = df[col].iloc[i]
        v = v.item() if hasattr(v, "item") else v
        raise DataError(f"{path}: column {col!r} has value {v!r} (data row {i + 1}); expected one of {allowed}")
    return vals.astype(np.int64)


def times(df: pd.DataFrame, col: str, path: Path) -> tuple[np.ndarray, str]:
    """Column ``col`` as float times and their unit.

    Numbers are kept as they are (unit ``"step"`` for the caller to rename); date strings are
    parsed and returned as seconds since the Unix epoch (unit ``"s"``).
    """
    s = df[col]
    if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
        return numeric(df, col, path), "step"
    as_num = pd.to_numeric(s, errors="coerce")
    if as_num.notna().all():
        return as_num.to_numpy(dtype=np.float64), "step"
    parsed = pd.to_datetime(s, errors="coerce", utc=True, format="mixed")
    bad = parsed.isna().to_numpy()
    if bad.any():
        i = int(np.argmax(bad))
        raise DataError(f"{path}: column {col!r} has a value {s.iloc[i]!r} that is neither a number nor a date (data row {i + 1})")
    secs = (parsed - pd.Timestamp(0, tz="UTC")) / pd.Timedelta(seconds=1)
    return secs.to_numpy(dtype=np.float64), "s"
