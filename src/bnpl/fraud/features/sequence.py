"""Past-only sequences of the target nodes' entities: velocity of every entity and entity pair, windowed
sums, and (for temporal evaluation) the past-only context of every shared entity.

A fraud campaign shows before any of its labels arrive: a merchant suddenly paid by customers never
seen before. :func:`entity_context` describes, for every entity linked to a target, the entity's recent
past from unlabelled facts only:

* ``{e}_age``: time since the entity's first target;
* ``{e}_span{k}``: time spanned by its ``k`` previous targets (burst speed over a longer window);
* ``{e}_newcomer_share{k}``: share of its ``k`` previous targets made by a newcomer, i.e. the first
  target of the customer entity (the linked entity type with the most distinct values, the payer);
* ``{e}_customer_history{k}``: mean ``log1p`` of those customers' earlier target counts.

The customer type is a schema fact (the type with the most distinct entities), not a value read from
the rows.

Past-only: a target sees the rows of the same key ordered before it by ``(time, row order)``, so a row
tied in time with the current one counts only when it comes earlier in the table. Labels are never read.
"""
from __future__ import annotations

import numpy as np


def past_order(key: np.ndarray, time: np.ndarray) -> np.ndarray:
    """Row order by (key, time, row position): each key's rows in the order they happened."""
    return np.lexsort((np.arange(len(key)), time, key))


def sequence_features(name: str, key: np.ndarray, time: np.ndarray, value: np.ndarray | None = None,
                      spans: tuple[int, ...] = (3, 10)) -> dict[str, np.ndarray]:
    """Past-only velocity of a key's event sequence (an entity, or a pair of entities): events before
    this one, time since the previous one, time spanned by the last ``k`` events (burst speed) and,
    given ``value`` (e.g. log amount), its deviation from the mean of the previous ``k`` values."""
    order = past_order(key, time)
    k_s, t_s = key[order], time[order]
    n = len(k_s)
    first = np.r_[True, k_s[1:] != k_s[:-1]]
    start = np.maximum.accumulate(np.where(first, np.arange(n), 0))
    rank = np.arange(n) - start
    f = {f"{name}_prior_count": rank.astype(float),
         f"{name}_gap_prev": np.where(first, np.nan, np.r_[np.nan, np.diff(t_s)])}
    cs = np.r_[0.0, np.cumsum(value[order])] if value is not None else None
    for k in spans:
        back = np.arange(n) - k
        ok = back >= start
        f[f"{name}_span{k}"] = np.where(ok, t_s - t_s[np.maximum(back, 0)], np.nan)
        if cs is not None:
            assert value is not None          # cs is built from it
            lo = np.maximum(back, start)
            cnt = np.arange(n) - lo
            mean = np.where(cnt > 0, (cs[np.arange(n)] - cs[lo]) / np.maximum(cnt, 1), np.nan)
            f[f"{name}_dev{k}"] = value[order] - mean
    inv = np.empty_like(order)
    inv[order] = np.arange(n)
    return {c: v[inv] for c, v in f.items()}


def pair_sequences(links: list[tuple[str, str, np.ndarray]], time: np.ndarray) -> dict[str, np.ndarray]:
    """Velocity of every pair of linked entities (e.g. the same payer at the same merchant)."""
    f = {}
    for i, (na, _, a) in enumerate(links):
        for nb, _, b in links[i + 1:]:
            key = a.astype(np.int64) * (int(b.max()) + 1) + b
            seq = sequence_features(f"{na}_{nb}", key, time, spans=(3,))
            f.update({c: v for c, v in seq.items() if not c.endswith("_dev3")})
    return f


def window_sums(group: np.ndarray, time: np.ndarray, values: np.ndarray, k: int, causal: bool) -> np.ndarray:
    """For each row: sum of ``values`` over the ``k`` rows before and (unless causal) ``k`` after it
    in time within the same group, excluding the row itself."""
    order = past_order(group, time)
    g, v = group[order], values[order]
    n = len(g)
    start = np.r_[0, np.flatnonzero(g[1:] != g[:-1]) + 1]
    gid = np.cumsum(np.r_[True, g[1:] != g[:-1]]) - 1
    lo_bound = start[gid]
    hi_bound = np.r_[start[1:], n][gid] - 1
    cs = np.r_[0.0, np.cumsum(v)]
    pos = np.arange(n)
    lo = np.maximum(pos - k, lo_bound)
    hi = pos if causal else np.minimum(pos + k, hi_bound)
    out = cs[hi + 1] - cs[lo] - v
    res = np.empty(n)
    res[order] = out
    return res


def delayed_window_sums(group: np.ndarray, time: np.ndarray, values: np.ndarray, k: int | None,
                        delay: float) -> np.ndarray:
    """For each row: sum of ``values`` over the ``k`` latest rows of the same group (all of them when
    ``k`` is None) whose time is at most ``time - delay``: labels as known ``delay`` after each event,
    so training rows see label ages like those a later test period sees (``delay > 0`` also keeps the
    row's own value out)."""
    order = past_order(group, time)
    g, t, v = group[order], time[order], values[order]
    n = len(g)
    gid = np.cumsum(np.r_[True, g[1:] != g[:-1]]) - 1
    start = np.r_[0, np.flatnonzero(g[1:] != g[:-1]) + 1][gid]
    span = float(t.max() - t.min()) + delay + 1.0
    key = gid * span + (t - t.min())
    pos = np.searchsorted(key, key - delay, side="right") - 1     # last row with time <= t - delay
    lo = start if k is None else np.maximum(pos - k + 1, start)
    cs = np.r_[0.0, np.cumsum(v)]
    out = np.where(pos >= start, cs[pos + 1] - cs[np.minimum(lo, pos + 1)], 0.0)
    res = np.empty(n)
    res[order] = out
    return res


def entity_age(ent: np.ndarray, time: np.ndarray) -> np.ndarray:
    """Time since the entity's first target (0 for its first one)."""
    first = np.full(int(ent.max()) + 1, np.inf)
    np.minimum.at(first, ent, time)
    return time - first[ent]


def past_window_mean(group: np.ndarray, time: np.ndarray, values: np.ndarray, k: int) -> np.ndarray:
    """Mean of ``values`` over the ``k`` rows of the same group before each row (NaN for a group's first row)."""
    total = window_sums(group, time, values, k, causal=True)
    count = window_sums(group, time, np.ones(len(group)), k, causal=True)
    return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def entity_context(links: list[tuple[str, str, np.ndarray]], time: np.ndarray, windows: tuple[int, ...] = (10, 50),
                   prior_counts: dict[str, np.ndarray] | None = None) -> dict[str, np.ndarray]:
    """The past-only context features (module docstring) for every linked entity (``links`` as
    :func:`~bnpl.fraud.features.structure.entity_links`). ``prior_counts``: each link's earlier targets per
    row by link name (``{name}_prior_count`` of :func:`sequence_features`), computed here when not given."""
    if not links:
        return {}
    customer = max(range(len(links)), key=lambda i: len(np.unique(links[i][2])))
    cname, _, cent = links[customer]
    prior = (prior_counts[cname] if prior_counts is not None
             else sequence_features(cname, cent, time, spans=())[f"{cname}_prior_count"])
    new = (prior == 0).astype(float)
    f: dict[str, np.ndarray] = {}
    for i, (name, _, ent) in enumerate(links):
        f[f"{name}_age"] = entity_age(ent, time)
        if i == customer:
            continue
        f[f"{name}_span{max(windows)}"] = sequence_features(name, ent, time, spans=(max(windows),))[
            f"{name}_span{max(windows)}"]
        for k in windows:
            f[f"{name}_newcomer_share{k}"] = past_window_mean(ent, time, new, k)
            f[f"{name}_customer_history{k}"] = past_window_mean(ent, time, np.log1p(prior), k)
    return f
