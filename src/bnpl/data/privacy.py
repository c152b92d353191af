"""Personal data: find it, and replace raw identifiers by keyed pseudonyms.

What the data layer holds (checked for this module): the synthetic world's tables and every
normalised table a loader returns (node, relation, label and interaction tables) carry only
integer ids (row positions) and numeric or categorical features; MovieLens' zip codes are
dropped. Raw identifiers from a source file survive only in the id index a loader returns to
map contiguous ids back to the file (``FraudData.meta["raw_ids"]``, ``InteractionData.user_index``
/ ``item_index``). :func:`protect_ids` checks such an index: when any value looks like personal
data (e-mail address, phone number, IBAN, card number, street address), the whole index is
replaced by keyed pseudonyms ``p_<16 letters>`` (HMAC-SHA256 of the raw value). The contiguous ids,
and so every model input, are unchanged.

The key comes from ``BNPL_PSEUDONYM_KEY`` in the environment or in the repository's ``.env`` file
(ignored by git; see :func:`bnpl.config.env`). Without a key, a file whose ids look personal is
refused with a DataError that names the file, column and kind of data but never the value. The
synthetic world needs no key: its customers, devices and addresses are row positions, not strings.

:func:`find_personal_data` scans tables, dicts and text for those patterns and for API-key-like
strings; tests use it on everything the data layer produces.
"""
from __future__ import annotations

import hashlib
import hmac
import re
import warnings
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from bnpl.errors import DataError, DataWarning

KEY_VARIABLE = "BNPL_PSEUDONYM_KEY"

PATTERNS: dict[str, re.Pattern] = {
    "e-mail address": re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"),
    "phone number": re.compile(r"(?<![\w+])(?:\+\d{1,3}[ .-]?\(?\d{1,4}\)?(?:[ .-]?\d{2,4}){2,4}"
                               r"|\(?\d{3}\)?[ .-]\d{3}[ .-]\d{4})(?!\w)"),
    "IBAN": re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b"),
    "card number": re.compile(r"(?<!\d)(?:\d[ -]?){12,18}\d(?!\d)"),
    "street address": re.compile(r"\b\d{1,5}[A-Za-z]?,? (?:[A-Z][a-z]+ ){1,3}(?:Street|St|Road|Rd|Avenue|Ave|Lane|Ln|"
                                 r"Drive|Dr|Boulevard|Blvd|Way|Close|Court|Ct|Place|Pl|Square|Sq)\b\.?"),
    "API key": re.compile(r"\b(?:sk|pk|rk)[-_](?:live|test|proj)[-_][A-Za-z0-9]{16,}\b|\bAKIA[0-9A-Z]{16}\b"
                          r"|\bgh[pousr]_[A-Za-z0-9]{36}\b|\bAIza[0-9A-Za-z_-]{35}\b|\bxox[abprs]-[A-Za-z0-9-]{10,}\b"
                          r"|-----BEGIN [A-Z ]*PRIVATE KEY-----"),
}
ANY = re.compile("|".join(f"(?:{p.pattern})" for p in PATTERNS.values()))


def _luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def _iban_ok(text: str) -> bool:
    s = text.replace(" ", "")
    moved = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in moved)) % 97 == 1


def kinds_in(text: str) -> list[str]:
    """The kinds of personal data (keys of :data:`PATTERNS`) found in ``text``.

    Card numbers must pass the Luhn check and IBANs the mod-97 check, so ordinary long numbers
    (timestamps, amounts, ids) do not count.
    """
    if not ANY.search(text):
        return []
    found = []
    for kind, pat in PATTERNS.items():
        for m in pat.finditer(text):
            v = m.group(0)
            if kind == "card number" and not _luhn(re.sub(r"\D", "", v)):
                continue
            if kind == "IBAN" and not _iban_ok(v):
                continue
            found.append(kind)
            break
    return found


def shown(value) -> str:
    """``repr(value)`` for an error message, or ``<e-mail address withheld>`` when it is personal data."""
    kinds = kinds_in(str(value))
    return f"<{kinds[0]} withheld>" if kinds else repr(value)


def find_personal_data(obj, where: str = "") -> list[str]:
    """``"<where>: <kind>"`` for every string in ``obj`` (a DataFrame, Series, Index, array, dict,
    list or string; nested) that holds personal data or an API key. Values are never quoted."""
    out: list[str] = []
    if isinstance(obj, pd.DataFrame):
        for c in obj.columns:
            out += find_personal_data(obj[c], f"{where}[{c!r}]")
        return out + find_personal_data([str(c) for c in obj.columns], f"{where}.columns")
    if isinstance(obj, (pd.Series, pd.Index, np.ndarray)):
        values = pd.Series(np.asarray(obj).ravel())
        if pd.api.types.is_integer_dtype(values):
            big = values[values.abs() >= 10**12].astype(str)  # only long numbers can be card numbers
            return [f"{where}: {k}" for k in sorted({k for v in big for k in kinds_in(v)})]
        if pd.api.types.is_float_dtype(values) or pd.api.types.is_bool_dtype(values):
            return []
        text = values.map(lambda v: v.decode("utf-8", errors="replace") if isinstance(v, bytes) else str(v))
        hits = text[text.str.contains(ANY, regex=True, na=False)]
        return [f"{where}: {k}" for k in sorted({k for v in hits for k in kinds_in(v)})]
    if isinstance(obj, dict):
        for k, v in obj.items():
            at = f"{where}.{k}" if where else str(k)
            out += find_personal_data(str(k), f"{at} (key)") + find_personal_data(v, at)
        return out
    if isinstance(obj, (list, tuple, set)):
        items = list(obj)
        if all(isinstance(x, str) for x in items):
            return find_personal_data(pd.Series(items, dtype=object), where)
        for i, v in enumerate(items):
            out += find_personal_data(v, f"{where}[{i}]")
        return out
    if isinstance(obj, bytes):
        obj = obj.decode("utf-8", errors="replace")
    if isinstance(obj, str):
        return [f"{where}: {k}" for k in kinds_in(obj)]
    return out


def pseudonym_key() -> bytes | None:
    """The pseudonymisation key (``$BNPL_PSEUDONYM_KEY`` or the same name in ``.env``), or None."""
    from bnpl.config import env

    key = env(KEY_VARIABLE)
    return key.encode() if key else None


_HEX_TO_LETTER = str.maketrans("0123456789abcdef", "abcdefghijklmnop")


def pseudonymise(values: Iterable, key: bytes) -> list[str]:
    """``p_`` + the first 64 bits of HMAC-SHA256(key, str(value)), written as 16 letters a-p (hex digits
    shifted to letters, so a pseudonym never looks like a card or phone number) for each value."""
    return ["p_" + hmac.new(key, str(v).encode(), hashlib.sha256).hexdigest()[:16].translate(_HEX_TO_LETTER)
            for v in values]


def protect_ids(index: pd.Index, source: str | Path, column: str) -> pd.Index:
    """``index`` unchanged when no value looks personal; else every value replaced by its pseudonym.

    Positions are kept, so contiguous ids still map to the same rows. DataError (naming the file,
    column and kind, never the value) when pseudonyms are needed and no key is set.
    """
    text = pd.Series(np.asarray(index, dtype=object)).astype(str)
    hits = text[text.str.contains(ANY, regex=True, na=False)]
    kinds = sorted({k for v in hits for k in kinds_in(v)})
    if not kinds:
        return index
    key = pseudonym_key()
    if key is None:
        raise DataError(f"{source}: column {column!r} holds personal data ({', '.join(kinds)}); set {KEY_VARIABLE} "
                        "in the environment or in .env to replace it by keyed pseudonyms")
    out = pd.Index(pseudonymise(index, key))
    if not out.is_unique:
        raise DataError(f"{source}: column {column!r}: two ids share a pseudonym; use another {KEY_VARIABLE}")
    warnings.warn(f"{source}: column {column!r} holds personal data ({', '.join(kinds)}): its ids are replaced "
                  f"by keyed pseudonyms", DataWarning, stacklevel=2)
    return out
