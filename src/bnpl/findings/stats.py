"""Small statistics for findings: intervals over seeds and paired differences, and how to say them."""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats


@dataclass(frozen=True)
class Interval:
    """Mean of ``n`` values with a two-sided 95% interval (Student t over the values)."""

    mean: float
    low: float
    high: float
    n: int

    @property
    def excludes_zero(self) -> bool:
        return self.n > 1 and (self.low > 0 or self.high < 0)

    def text(self, digits: int = 3, signed: bool = False) -> str:
        f = f"{{:{'+' if signed else ''}.{digits}f}}"
        if self.n < 2 or not math.isfinite(self.low):
            return f"{f.format(self.mean)} (one seed, no interval)"
        return f"{f.format(self.mean)} (95% CI {self.low:.{digits}f} to {self.high:.{digits}f}, {self.n} seeds)"


def t_interval(values: Sequence[float], level: float = 0.95, bounds: tuple[float, float] | None = None) -> Interval:
    """Mean and t-interval of ``values`` (NaNs dropped), clipped to ``bounds`` (a metric's range: a
    score in [0, 1] cannot have an interval past 1); one value gives an infinite-width interval."""
    v = np.asarray([x for x in values if x is not None and math.isfinite(x)], dtype=float)
    if len(v) == 0:
        return Interval(math.nan, math.nan, math.nan, 0)
    m = float(v.mean())
    if len(v) < 2:
        return Interval(m, -math.inf, math.inf, 1)
    half = float(stats.t.ppf(0.5 + level / 2, len(v) - 1) * v.std(ddof=1) / math.sqrt(len(v)))
    lo, hi = m - half, m + half
    if bounds is not None:
        lo, hi = max(lo, bounds[0]), min(hi, bounds[1])
    return Interval(m, lo, hi, len(v))


def paired(a: Sequence[float], b: Sequence[float], bounds: tuple[float, float] | None = (-1.0, 1.0)) -> tuple[Interval, int]:
    """Interval of the per-seed differences ``a - b`` and how many seeds ``a`` is ahead on."""
    d = np.asarray(a, dtype=float) - np.asarray(b, dtype=float)
    return t_interval(d, bounds=bounds), int((d > 0).sum())


def verdict(iv: Interval, better: str = "higher") -> str:
    """``"a real gain"`` / ``"a real loss"`` / ``"within noise"`` for a difference interval."""
    if not iv.excludes_zero:
        return "within noise"
    up = iv.mean > 0
    return "a real gain" if up == (better == "higher") else "a real loss"


def pct(x: float, digits: int = 1) -> str:
    return f"{100 * x:.{digits}f}%"
