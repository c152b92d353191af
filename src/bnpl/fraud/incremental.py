"""Incremental inductive scoring: per-entity running state instead of recomputing features over the history.

:class:`~bnpl.fraud.inductive.InductiveScorer` recomputes the causal graph features of the whole history for
every batch, so its latency grows with the history. In causal mode every feature of a target row depends
only on earlier rows of the entities it links to (payer, merchant, device ...), on earlier rows of each
pair of them, and on the frozen training labels. :class:`IncrementalScorer` keeps that past as running state
and updates it row by row as batches arrive, so a batch costs the same whatever the history:

* per entity: row count, first time, a ring of its latest times (gap, ``span3/10/50``), of its latest
  log amounts (``dev3/10``) and of its latest customers' newcomer flags and history (``newcomer_share``,
  ``customer_history``);
* per pair of entities: row count and its latest three times;
* per entity and for all rows: label totals and the latest 30 rows whose time is at least the label delay
  old (rows enter that state in time order from a queue, as they mature).

The features equal :func:`~bnpl.fraud.features.graph_features` (causal, ``label_folds=0``) on the data as
known at each batch (``tests/test_fraud_incremental.py``) for datasets whose targets link only to entities
(S-FFSD, the synthetic world); target-to-target relations (AMLSim's transfers) are refused. Rows must
arrive in (time, id) order, as :func:`~bnpl.fraud.inductive.measure_latency` sends them.
"""
from __future__ import annotations

from collections import deque
from typing import cast

import numpy as np
import pandas as pd

from bnpl.data.normalised import FraudData
from bnpl.data.subset import label_vector, target_time
from bnpl.errors import BnplError
from bnpl.fraud.features import (
    default_label_delay,
    entity_links,
    tabular_features,
    target_relations,
)
from bnpl.fraud.features.sequence import past_order
from bnpl.fraud.inductive import InductiveScorer, fit_inductive

SPANS, CONTEXT, PAIR_SPAN, LABEL_WINDOWS = (3, 10), (10, 50), 3, (1, 3, 10, 30)
RING = 50                     # the longest look-back of any feature (span50, newcomer_share50)


class _Ring:
    """Per-key count and the latest ``RING`` values of some channels (circular, by count modulo RING).
    Keys added later (entity pairs first seen after the history) take ``spare`` rows reserved at the start;
    beyond them :meth:`grow` doubles the rows, which copies every channel once."""

    first: np.ndarray           # entity rings: each key's first time (set by IncrementalScorer)
    fraud_total: np.ndarray     # label rings: each key's label totals (set by IncrementalScorer)
    known_total: np.ndarray

    def __init__(self, keys: np.ndarray, n_keys: int, channels: dict[str, np.ndarray], width: int = RING,
                 spare: int = 0):
        self.width = width
        self.count = np.zeros(n_keys + spare, np.int64)
        self.count[:n_keys] = np.bincount(keys, minlength=n_keys)
        rank = np.empty(len(keys), dtype=np.int64)
        order = np.argsort(keys, kind="stable")          # keys' rows in the order given (time, id)
        k_s = keys[order]
        first = np.r_[True, k_s[1:] != k_s[:-1]] if len(k_s) else np.zeros(0, bool)
        start = np.maximum.accumulate(np.where(first, np.arange(len(k_s)), 0)) if len(k_s) else k_s
        rank[order] = np.arange(len(k_s)) - start
        keep = rank >= self.count[keys] - width
        self.ring = {}
        for c, v in channels.items():
            # ``spare`` rows for keys that arrive later, left unwritten (no resident memory until used; a
            # row is only read at positions its key has written)
            r = np.empty((n_keys + spare, width))
            r[:n_keys] = np.nan
            r[keys[keep], rank[keep] % width] = v[keep]
            self.ring[c] = r

    def grow(self, n_keys: int) -> None:
        if n_keys > len(self.count):
            extra = max(n_keys, 2 * len(self.count)) - len(self.count)
            self.count = np.r_[self.count, np.zeros(extra, np.int64)]
            self.ring = {c: np.vstack([r, np.full((extra, self.width), np.nan)]) for c, r in self.ring.items()}

    def back(self, key: int, channel: str, k: int) -> float:
        """The value ``k`` rows back (NaN with fewer than ``k`` earlier rows)."""
        c = self.count[key]
        return self.ring[channel][key, (c - k) % self.width] if c >= k else np.nan

    def sums(self, key: int, channel: str, ks: tuple[int, ...]) -> list[tuple[float, int]]:
        """(sum, rows) over the latest ``k`` rows for each ``k`` (rows < k when fewer exist), one read."""
        c = int(self.count[key])
        m = min(max(ks), c)
        cs = np.cumsum(self.ring[channel][key, np.arange(c - 1, c - 1 - m, -1) % self.width]) if m else ()
        return [(float(cs[min(k, m) - 1]), min(k, m)) if m else (0.0, 0) for k in ks]

    def means(self, key: int, channel: str, ks: tuple[int, ...]) -> list[float]:
        """Mean over the latest ``k`` rows for each ``k`` (NaN with none)."""
        return [s / m if m else np.nan for s, m in self.sums(key, channel, ks)]

    def push(self, key: int, values: dict[str, float]) -> None:
        c = self.count[key]
        for ch, v in values.items():
            self.ring[ch][key, c % self.width] = v
        self.count[key] = c + 1


class IncrementalScorer:
    """An :class:`InductiveScorer`'s frozen model with running state (module docstring)."""

    def __init__(self, base: InductiveScorer, data: FraudData, cutoff: float):
        _check_supported(data)
        self.base, self.data, self.cutoff = base, data, cutoff
        t = target_time(data)
        assert t is not None, "incremental scoring needs target times"
        self.t: np.ndarray = t
        self.own = tabular_features(data)
        self.value = np.log1p(np.abs(self.own["amount"].to_numpy(float))) if "amount" in self.own.columns else None
        self.links = entity_links(data)
        y = label_vector(data)
        self.fraud = np.zeros(len(t))
        self.known = np.zeros(len(t))
        self.known[base.train_ids] = 1.0
        self.fraud[base.train_ids] = (y[base.train_ids] == 1).astype(float)
        self.prior = float(self.fraud.sum() / max(self.known.sum(), 1))
        self.delay = default_label_delay(t, base.train_ids)
        if self.delay <= 0:
            raise BnplError("incremental scoring needs a positive label delay (training labels spanning time)")
        self.arrival = np.lexsort((np.arange(len(t)), t))         # every target row in (time, id) order
        self.t_sorted = t[self.arrival]
        self.next = int(np.searchsorted(self.t_sorted, cutoff, side="right"))    # first row not in the state
        hist = self.arrival[:self.next]
        self._init_state(hist, cutoff)
        self._check_columns()

    def _customer(self, hist: np.ndarray) -> int:
        return max(range(len(self.links)), key=lambda i: len(np.unique(self.links[i][2][hist])))

    def _init_state(self, hist: np.ndarray, cutoff: float) -> None:
        t, v = self.t[hist], self.value[hist] if self.value is not None else None
        self.cust = self._customer(hist)
        cname, _, cent = self.links[self.cust]
        cprior = np.empty(len(hist))
        cprior[past_order(cent[hist], t)] = _ranks(cent[hist][past_order(cent[hist], t)])
        self.entity: dict[str, _Ring] = {}
        self.pair_keys: dict[tuple[str, str], np.ndarray] = {}
        self.pairs: dict[tuple[str, str], _Ring] = {}
        self.pair_new: dict[tuple[str, str], dict[int, int]] = {}
        self.pair_base: dict[tuple[str, str], int] = {}
        for name, _, ent in self.links:
            ch = {"time": t, "new": (cprior == 0).astype(float), "hist": np.log1p(cprior)}
            if v is not None:
                ch["value"] = v
            ring = _Ring(ent[hist], int(ent.max()) + 1, ch)
            ring.first = np.full(len(ring.count), np.inf)
            np.minimum.at(ring.first, ent[hist], t)
            self.entity[name] = ring
        for i, (na, _, a) in enumerate(self.links):
            for nb, _, b in self.links[i + 1:]:
                self.pair_base[(na, nb)] = int(b.max()) + 1          # pair key: a * base + b
                key = a[hist].astype(np.int64) * self.pair_base[(na, nb)] + b[hist]
                uniq, slot = np.unique(key, return_inverse=True)
                self.pair_keys[(na, nb)] = uniq
                self.pair_new[(na, nb)] = {}
                # as many spare rows as pairs in the history: new pairs do not copy the ring (``grow``)
                # until the scored period has brought that many, so no batch pays for a copy before then
                self.pairs[(na, nb)] = _Ring(slot, len(uniq), {"time": t}, width=PAIR_SPAN, spare=len(uniq) + 1024)
        # label state: rows at least `delay` old by the first query (> cutoff) are matured now, later ones queue
        matured = t <= cutoff - self.delay
        groups = [(name, ent) for name, _, ent in self.links] + [("all", np.zeros(len(self.t), np.int64))]
        self.labels: dict[str, tuple[np.ndarray, _Ring]] = {}
        for name, ent in groups:
            m = hist[matured]
            ring = _Ring(ent[m], int(ent.max()) + 1, {"fraud": self.fraud[m], "known": self.known[m]},
                         width=max(LABEL_WINDOWS))
            ring.fraud_total = np.bincount(ent[m], weights=self.fraud[m], minlength=len(ring.count))
            ring.known_total = np.bincount(ent[m], weights=self.known[m], minlength=len(ring.count))
            self.labels[name] = (ent, ring)
        self.queue = deque(hist[~matured].tolist())

    def _check_columns(self) -> None:
        probe = self._row_features(int(np.argmax(self.t)), dry=True)
        mine, theirs = set(self.own.columns) | set(probe), set(self.base.columns)
        if mine != theirs:
            raise BnplError(f"incremental scoring does not reproduce the scorer's features: missing "
                            f"{sorted(theirs - mine)[:5]}, extra {sorted(mine - theirs)[:5]}")

    def _pair_slot(self, pair: tuple[str, str], key: int, add: bool) -> int | None:
        uniq, ring = self.pair_keys[pair], self.pairs[pair]
        i = int(np.searchsorted(uniq, key))
        if i < len(uniq) and uniq[i] == key:
            return i
        new = self.pair_new[pair]
        if key not in new and add:
            new[key] = len(uniq) + len(new)
            ring.grow(new[key] + 1)
        return new.get(key)

    def _mature(self, upto: float) -> None:
        while self.queue and self.t[self.queue[0]] <= upto:
            r = self.queue.popleft()
            for ent, ring in self.labels.values():
                e = ent[r]
                ring.fraud_total[e] += self.fraud[r]
                ring.known_total[e] += self.known[r]
                ring.push(e, {"fraud": self.fraud[r], "known": self.known[r]})

    def _row_features(self, r: int, dry: bool = False) -> dict[str, float]:
        """Features of target row ``r`` from the state (all earlier rows); unless ``dry``, adds ``r`` to it."""
        t = self.t[r]
        f: dict[str, float] = {}
        cring = self.entity[self.links[self.cust][0]]
        cprior = float(cring.count[self.links[self.cust][2][r]])
        for i, (name, _, ent) in enumerate(self.links):
            e, ring = ent[r], self.entity[name]
            c = ring.count[e]
            f[f"{name}_prior_count"] = float(c)
            f[f"{name}_gap_prev"] = t - ring.back(e, "time", 1)
            dev = ring.means(e, "value", SPANS) if self.value is not None else ()
            for j, k in enumerate(SPANS):
                f[f"{name}_span{k}"] = t - ring.back(e, "time", k)
                if self.value is not None:
                    f[f"{name}_dev{k}"] = self.value[r] - dev[j]
            f[f"{name}_age"] = t - min(ring.first[e], t)
            if i != self.cust:
                f[f"{name}_span{max(CONTEXT)}"] = t - ring.back(e, "time", max(CONTEXT))
                for k, share, hist in zip(CONTEXT, ring.means(e, "new", CONTEXT), ring.means(e, "hist", CONTEXT),
                                          strict=True):
                    f[f"{name}_newcomer_share{k}"] = share
                    f[f"{name}_customer_history{k}"] = hist
        keys: dict[tuple[str, str], int | None] = {}
        for i, (na, _, a) in enumerate(self.links):
            for nb, _, b in self.links[i + 1:]:
                key = int(a[r]) * self.pair_base[(na, nb)] + int(b[r])
                slot = self._pair_slot((na, nb), key, add=not dry)
                ring = self.pairs[(na, nb)]
                c = ring.count[slot] if slot is not None else 0
                f[f"{na}_{nb}_prior_count"] = float(c)
                f[f"{na}_{nb}_gap_prev"] = t - ring.back(cast(int, slot), "time", 1) if c else np.nan
                f[f"{na}_{nb}_span{PAIR_SPAN}"] = t - ring.back(cast(int, slot), "time", PAIR_SPAN) if c else np.nan
                keys[(na, nb)] = slot
        if not dry:
            self._mature(t - self.delay)
        for name, (ent, ring) in self.labels.items():
            e = ent[r]
            fr, kn = ring.fraud_total[e], ring.known_total[e]
            f[f"{name}_train_fraud"], f[f"{name}_train_known"] = fr, kn
            f[f"{name}_fraud_rate"] = (fr + self.prior) / (kn + 1.0)
            for k, (frk, _), (knk, _) in zip(LABEL_WINDOWS, ring.sums(e, "fraud", LABEL_WINDOWS),
                                             ring.sums(e, "known", LABEL_WINDOWS), strict=True):
                f[f"{name}_win{k}_fraud"] = frk
                f[f"{name}_win{k}_rate"] = (frk + self.prior) / (knk + 1.0)
        if dry:
            return f
        for name, _, ent in self.links:
            ring = self.entity[name]
            ring.first[ent[r]] = min(ring.first[ent[r]], t)
            ring.push(ent[r], {"time": t, "new": float(cprior == 0), "hist": np.log1p(cprior),
                               **({"value": self.value[r]} if self.value is not None else {})})
        for pair, slot in keys.items():
            assert slot is not None                 # not dry: _pair_slot added it
            self.pairs[pair].push(slot, {"time": t})
        self.queue.append(r)
        return f

    def features(self, now: float) -> pd.DataFrame:
        """Features of every target row arriving after the last one seen, up to ``now``, in (time, id)
        order; the state moves on past them."""
        end = int(np.searchsorted(self.t_sorted, now, side="right"))
        new = self.arrival[self.next:end]
        rows = [self._row_features(int(r)) for r in new]
        self.next = max(self.next, end)
        x = pd.concat([self.own.iloc[new].reset_index(drop=True), pd.DataFrame(rows)], axis=1)
        x.index = new
        return x

    def score(self, new_ids: np.ndarray, now: float) -> np.ndarray:
        """Fraud probabilities of ``new_ids``: every row arriving up to ``now`` enters the state once; the
        ids asked for must be among them (arrivals after the previous call)."""
        x = self.features(now)
        new_ids = np.asarray(new_ids)
        missing = np.setdiff1d(new_ids, x.index)
        if len(missing):
            raise BnplError(f"IncrementalScorer.score: ids {missing[:5].tolist()} did not arrive in this call "
                            "(already scored, or later than now)")
        if np.isin(new_ids, self.base.train_ids).any():
            raise BnplError("IncrementalScorer.score: new_ids include nodes the scorer was trained on")
        return self.base.model.predict_proba(x.loc[new_ids, self.base.columns])[:, 1]


def _check_supported(data: FraudData) -> None:
    if target_relations(data):
        raise BnplError(f"{data.name}: incremental scoring covers targets linked to entities only; "
                        "target-to-target relations need InductiveScorer (full recomputation)")


def _ranks(sorted_keys: np.ndarray) -> np.ndarray:
    """Position of each row among the rows of its key (keys sorted)."""
    if not len(sorted_keys):
        return sorted_keys.astype(float)
    first = np.r_[True, sorted_keys[1:] != sorted_keys[:-1]]
    start = np.maximum.accumulate(np.where(first, np.arange(len(sorted_keys)), 0))
    return (np.arange(len(sorted_keys)) - start).astype(float)


def fit_incremental(data: FraudData, cutoff: float, seed: int = 0, **lgbm_params) -> IncrementalScorer:
    """:func:`~bnpl.fraud.inductive.fit_inductive` at ``cutoff`` (``lgbm_params`` passed on), with the
    running state of the history."""
    _check_supported(data)
    return IncrementalScorer(fit_inductive(data, cutoff, seed=seed, **lgbm_params), data, cutoff)
