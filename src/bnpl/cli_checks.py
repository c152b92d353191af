"""Range checks of command-line options, run before a command does any work.

argparse checks that ``--k`` is an integer; these check that it is a sensible one, and answer with
one line naming the option (``option '--k': ...``), the same form ``bnpl data generate`` uses.
"""
from __future__ import annotations

import math
from collections.abc import Iterable

from bnpl.errors import BnplError

#: seeds feed numpy's and LightGBM's generators, which take 32-bit unsigned integers
SEED_MAX = 2**32 - 1


def in_range(option: str, value: float, lo: float, hi: float) -> None:
    """Raise naming ``option`` unless ``lo <= value <= hi`` (and, for floats, finite)."""
    if isinstance(value, float) and not math.isfinite(value):
        raise BnplError(f"option '{option}': must be a finite number between {_num(lo)} and {_num(hi)} (got {value})")
    if not lo <= value <= hi:
        raise BnplError(f"option '{option}': must be between {_num(lo)} and {_num(hi)} (got {value})")


def _num(x: float) -> str:
    """``4294967295`` rather than ``4.29497e+09``; ``0.05`` as it is."""
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


def seeds(option: str, values: Iterable[int]) -> None:
    """Every seed in ``0..2**32-1``, and no seed twice (a repeated seed would count one split twice)."""
    values = list(values)
    for v in values:
        in_range(option, v, 0, SEED_MAX)
    dup = sorted({v for v in values if values.count(v) > 1})
    if dup:
        raise BnplError(f"option '{option}': seed {dup[0]} given twice")
