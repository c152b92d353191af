"""Small helpers the loaders share: find a file, read a CSV, check columns and values.

Every failure raises :class:`~bnpl.errors.DataError` with one line that names the file
and, where it applies, the column and the first offending row (data rows count from 1,
after the header). Files are read as UTF-8; a byte-order mark and Windows line endings
are accepted, and a gzip-compressed file is decompressed whatever its name. Documented
repairs (exact duplicate rows removed, ...) emit a :class:`~bnpl.errors.DataWarning`.
See ``docs/bad-input.md`` for every bad input tried and what it produces.
"""
from __future__ import annotations

import csv
import difflib
import gzip
import warnings
from collections.abc import Iterable
from pathlib import Path
from typing import Literal, overload

import numpy as np
import pandas as pd

from bnpl.data.privacy import shown
from bnpl.errors import DataError, DataWarning

CANDIDATE_SEPARATORS = ("\t", ",", ";", "|")
GZIP_MAGIC = b"\x1f\x8b"
# Larger money amounts are taken as a unit or parsing mistake, not a payment.
MAX_AMOUNT = 1e12


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


def is_gzip(path: Path) -> bool:
    with open(path, "rb") as f:
        return f.read(2) == GZIP_MAGIC


def _open_text(path: Path, encoding: str):
    opener = gzip.open if is_gzip(path) else open
    return opener(path, "rt", encoding=encoding, errors="replace", newline="")


def sniff_separator(path: Path, encoding: str = "utf-8") -> str:
    """Guess the separator from the first lines: csv.Sniffer, else the candidate that splits the header most."""
    try:
        with _open_text(path, encoding) as f:
            head = "".join(f.readline() for _ in range(20))
    except (OSError, EOFError) as e:  # a truncated or corrupt gzip stream
        raise DataError(f"{path}: cannot read ({e.__class__.__name__}: {e})") from None
    if not head.strip():
        raise DataError(f"{path}: file is empty")
    try:
        return csv.Sniffer().sniff(head, delimiters="".join(CANDIDATE_SEPARATORS)).delimiter
    except csv.Error:
        first = head.splitlines()[0]
        counts = {s: first.count(s) for s in CANDIDATE_SEPARATORS}
        return max(counts, key=counts.__getitem__) if max(counts.values()) else ","


def read_table(path: Path, sep: str | None = None, required: Iterable[str] = (), **kwargs) -> pd.DataFrame:
    """Read a delimited file; check it is non-empty and has the ``required`` columns (exact names).

    ``sep=None`` detects the separator. Extra ``kwargs`` go to :func:`pandas.read_csv`.
    """
    if path.is_file() and path.stat().st_size == 0:
        raise DataError(f"{path}: file is empty")
    if not path.is_file():
        raise DataError(f"{path}: {'not a file' if path.exists() else 'file not found'}")
    kwargs.setdefault("encoding", "utf-8-sig")  # a byte-order mark is not part of the first column name
    # Only an empty field is missing: an id such as "NA" or "null" is an id (numeric() still refuses "nan").
    kwargs.setdefault("keep_default_na", False)
    kwargs.setdefault("na_values", [""])
    if is_gzip(path):
        kwargs["compression"] = "gzip"
    if sep is None and kwargs.get("header", "infer") is not None:
        sep = sniff_separator(path, kwargs["encoding"])
    try:
        df = pd.read_csv(path, sep=sep, engine="python" if len(sep or ",") > 1 else "c", **kwargs)
    except pd.errors.EmptyDataError:
        raise DataError(f"{path}: file is empty") from None
    except UnicodeDecodeError as e:
        raise DataError(f"{path}: not UTF-8 text ({_bad_byte(path, e)}); re-save it as UTF-8") from None
    except (OSError, EOFError) as e:
        if not is_gzip(path):
            raise
        raise DataError(f"{path}: truncated or corrupt gzip-compressed file ({e})") from None
    except (pd.errors.ParserError, ValueError) as e:
        msg = str(e).strip().splitlines()[0] if str(e).strip() else e.__class__.__name__
        raise DataError(f"{path}: cannot parse as a {sep!r}-separated table ({msg})") from None
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise DataError(f"{path}: missing column(s) {missing}; found {list(df.columns)[:12]}"
                        f"{column_hint(missing, df.columns)}")
    if len(df) == 0:
        raise DataError(f"{path}: no data rows")
    return df


@overload
def find_column(df: pd.DataFrame, aliases: Iterable[str], path: Path, what: str, required: Literal[True] = True) -> str: ...
@overload
def find_column(df: pd.DataFrame, aliases: Iterable[str], path: Path, what: str, required: bool) -> str | None: ...
def find_column(df: pd.DataFrame, aliases: Iterable[str], path: Path, what: str, required: bool = True) -> str | None:
    """The first column whose lower-cased name is in ``aliases``; DataError naming ``what`` if none."""
    lower = {c.lower(): c for c in df.columns}
    for a in aliases:
        if a.lower() in lower:
            return lower[a.lower()]
    if required:
        raise DataError(f"{path}: no {what} column (expected one of {list(aliases)}); found {list(df.columns)[:12]}"
                        f"{column_hint(list(aliases), df.columns)}")
    return None


def column_hint(wanted: list[str], found) -> str:
    """' (wrong separator?)' for a one-column table, else ' (did you mean ...?)' for a near miss."""
    found = [str(c) for c in found]
    if len(found) == 1:
        return " (wrong separator?)"
    lower = {c.lower(): c for c in found}
    for w in wanted:
        close = difflib.get_close_matches(w.lower(), list(lower), n=1, cutoff=0.6)
        if close:
            return f" (did you mean {lower[close[0]]!r} for {w!r}?)"
    return ""


def _bad_byte(path: Path, e: UnicodeDecodeError) -> str:
    """'byte 0xfc on line 3' for the first byte that is not UTF-8."""
    opener = gzip.open if is_gzip(path) else open
    with opener(path, "rb") as f:
        raw = f.read()
    try:
        raw.decode("utf-8")
        return str(e)
    except UnicodeDecodeError as first:
        line = raw[:first.start].count(b"\n") + 1
        return f"byte 0x{raw[first.start]:02x} on line {line}"


def numeric(df: pd.DataFrame, col: str | int, path: Path, allow_missing: bool = False, lo: float | None = None,
            hi: float | None = None) -> np.ndarray:
    """Column ``col`` as float64; DataError naming the first non-numeric, empty, NaN or infinite value
    and its row, or the first value outside ``[lo, hi]``."""
    s = df[col]
    if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
        out = s.to_numpy(dtype=np.float64, na_value=np.nan)
    else:
        out = pd.to_numeric(s, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
        bad = np.isnan(out) & s.notna().to_numpy()
        if bad.any():
            i = int(np.argmax(bad))
            raise DataError(f"{path}: column {col!r} has a non-numeric value {shown(s.iloc[i])} (data row {i + 1})")
    if not allow_missing and np.isnan(out).any():
        i = int(np.argmax(np.isnan(out)))
        hint = "; the last row: is the file truncated?" if i == len(out) - 1 and len(out) > 1 else ""
        raise DataError(f"{path}: column {col!r} has an empty or NaN value (data row {i + 1}{hint})")
    _first_bad(np.isinf(out), out, path, col, "an infinite value")
    if lo is not None:
        _first_bad(out < lo, out, path, col, "a negative value" if lo == 0 else "a value", f"below {lo:g}")
    if hi is not None:
        _first_bad(out > hi, out, path, col, "an implausibly large value", f"above {hi:g}")
    return out


def amounts(df: pd.DataFrame, col: str, path: Path) -> np.ndarray:
    """Money amounts: numbers in ``[0, MAX_AMOUNT]``."""
    return numeric(df, col, path, lo=0, hi=MAX_AMOUNT)


def _first_bad(bad: np.ndarray, values: np.ndarray, path: Path, col: str | int, what: str, limit: str = "") -> None:
    if bad.any():
        i = int(np.argmax(bad))
        raise DataError(f"{path}: column {col!r} has {what} {values[i]:g} (data row {i + 1}"
                        f"{'; ' + limit if limit else ''})")


def drop_exact_duplicates(df: pd.DataFrame, path: Path) -> tuple[pd.DataFrame, int]:
    """``df`` without rows that repeat an earlier row exactly (first kept), and how many were removed.

    A repeated row would otherwise be two nodes with one story, which a random split can put on both
    sides (train and test): the model is then scored on rows it trained on. Warns when it removes any.
    """
    dup = df.duplicated().to_numpy()
    n = int(dup.sum())
    if n:
        i = int(np.argmax(dup))
        warnings.warn(f"{path}: {n} exact duplicate row{'s' if n > 1 else ''} removed (first: data row {i + 1}); "
                      "they would leak between train and test", DataWarning, stacklevel=2)
        df = df[~dup].reset_index(drop=True)
    return df, n


def warn_one_class(labels: np.ndarray, path: Path, col: str) -> None:
    """Warn when the labelled rows hold only one class (no model can be trained or scored on them)."""
    if len(labels) and len(np.unique(labels)) == 1:
        warnings.warn(f"{path}: column {col!r}: every labelled row is {int(labels[0])} (one class); "
                      "a fraud model cannot be trained or scored on it", DataWarning, stacklevel=2)


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
        raise DataError(f"{path}: column {col!r} has value {shown(v)} (data row {i + 1}); expected one of {allowed}")
    return vals.astype(np.int64)


def times(df: pd.DataFrame, col: str, path: Path) -> tuple[np.ndarray, str]:
    """Column ``col`` as float times and their unit.

    Numbers are kept as they are (unit ``"step"`` for the caller to rename); date strings are
    parsed and returned as seconds since the Unix epoch (unit ``"s"``).
    A column whose first value is a number is a numeric column: its first non-number is the
    error (so a bad value in row 5 is reported as row 5, not as a failed date in row 1).
    """
    s = df[col]
    if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
        return numeric(df, col, path), "step"
    first = s.dropna()
    if first.empty or pd.notna(pd.to_numeric(first.iloc[:1], errors="coerce").iloc[0]):
        return numeric(df, col, path), "step"
    parsed = pd.to_datetime(s, errors="coerce", utc=True, format="mixed")
    bad = parsed.isna().to_numpy()
    if bad.any():
        i = int(np.argmax(bad))
        raise DataError(f"{path}: column {col!r} has a value {shown(s.iloc[i])} that is neither a number nor a date "
                        f"(data row {i + 1})")
    secs = (parsed - pd.Timestamp(0, tz="UTC")) / pd.Timedelta(seconds=1)
    return secs.to_numpy(dtype=np.float64), "s"


def warn_small_interactions(inter: pd.DataFrame, source: str | Path, collapsed: int = 0) -> None:
    """Warn about collapsed repeated (user, item) pairs and about data too small to split and rank:
    one user, one item, or fewer than three interactions."""
    if collapsed:
        warnings.warn(f"{source}: {collapsed} repeated (user, item) pair{'s' if collapsed > 1 else ''} collapsed "
                      "to the latest interaction", DataWarning, stacklevel=2)
    n_users, n_items = inter["user_id"].nunique(), inter["item_id"].nunique()
    small = [f"{n} {what}{'s' if n != 1 else ''}" for n, what, lim in
             ((n_users, "user", 2), (n_items, "item", 2), (len(inter), "interaction", 3)) if n < lim]
    if small:
        warnings.warn(f"{source}: only {', '.join(small)}: too few to split and rank; "
                      "a recommender cannot be trained and evaluated on it", DataWarning, stacklevel=2)
