"""Vectorised sampling helpers shared by the generator modules."""
from __future__ import annotations

import numpy as np

# Share of activity per hour of day (a morning bump and an evening peak), normalised below.
_HOURLY = np.array([1, 0.6, 0.4, 0.3, 0.3, 0.5, 1, 2, 3, 3.5, 3.5, 4, 4.5, 4, 3.5, 3.5,
                    4, 4.5, 5.5, 6.5, 7, 6, 4, 2], dtype=float)
HOURLY = _HOURLY / _HOURLY.sum()


def categorical_rows(probs: np.ndarray, rows: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Draw one column index per entry of ``rows`` from the distribution ``probs[row]``.

    ``probs`` is (n_rows, k) with rows summing to one. Works by inverse transform on the
    flattened, row-offset cumulative sums, so memory stays O(len(rows) + probs.size).
    """
    n, k = probs.shape
    cum = np.cumsum(probs, axis=1)
    cum /= cum[:, -1:]
    flat = (cum + np.arange(n)[:, None]).ravel()
    target = rows + rng.random(len(rows)) * (1 - 1e-9)
    idx = np.searchsorted(flat, target, side="right")
    return np.minimum(idx - rows * k, k - 1)


def weighted_in_groups(group_of_item: np.ndarray, weight: np.ndarray, n_groups: int,
                       groups: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """For each entry of ``groups``, draw an item of that group with probability proportional to ``weight``.

    Every group in ``groups`` must contain at least one item.
    """
    order = np.argsort(group_of_item, kind="stable")
    cum = np.cumsum(weight[order])
    counts = np.bincount(group_of_item, minlength=n_groups)
    ends = np.cumsum(counts)
    starts = ends - counts
    lo = np.where(starts > 0, cum[np.maximum(starts - 1, 0)], 0.0)
    hi = cum[ends - 1]
    target = lo[groups] + rng.random(len(groups)) * (hi[groups] - lo[groups])
    pos = np.searchsorted(cum, target, side="right")
    pos = np.clip(pos, starts[groups], ends[groups] - 1)
    return order[pos]


def weighted_choice(pool: np.ndarray, weight: np.ndarray, size: int, rng: np.random.Generator) -> np.ndarray:
    """``size`` draws from ``pool`` with probability proportional to ``weight``."""
    p = weight / weight.sum()
    return pool[rng.choice(len(pool), size=size, p=p)]


def day_times(days: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Times in days: the given day plus an hour from the daily activity curve plus minutes."""
    hours = rng.choice(24, size=len(days), p=HOURLY)
    return days + (hours + rng.random(len(days))) / 24.0


def uniform_times(n: int, start: float, end: float, rng: np.random.Generator) -> np.ndarray:
    """``n`` times between ``start`` and ``end`` days following the daily activity curve."""
    days = rng.integers(int(np.floor(start)), max(int(np.floor(start)) + 1, int(np.ceil(end))), size=n)
    return np.clip(day_times(days.astype(float), rng), start, np.nextafter(end, -np.inf))


def groups_of(n_members: int, low: int, high: int, rng: np.random.Generator) -> np.ndarray:
    """Assign ``n_members`` consecutive members to groups of sizes in [low, high]; returns the group per member."""
    sizes = rng.integers(low, high + 1, size=n_members // max(low, 1) + 1)
    group = np.repeat(np.arange(len(sizes)), sizes)[:n_members]
    return group


def spread(n_items: int, n_owners: int, rng: np.random.Generator) -> np.ndarray:
    """Owner per item so that each of ``n_owners`` owns at least one item (if n_items >= n_owners)."""
    if n_owners <= 0:
        return np.zeros(0, dtype=np.int64)
    base = np.arange(min(n_items, n_owners))
    extra = rng.integers(0, n_owners, size=max(0, n_items - n_owners))
    return rng.permutation(np.concatenate([base, extra]))
