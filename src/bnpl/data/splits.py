"""Train / validation / test splits that never let a test-period fact into training.

Fraud (node classification on the target node type of a :class:`FraudData`):

* :func:`random_stratified_split`: stratified on the label (scikit-learn), validation carved from train.
* :func:`all_rows_split`: the published GTAN / RGTAN code's protocol: stratified over *every* target
  node, unlabelled ones included; each part then keeps its labelled nodes.
* :func:`temporal_split`: by event time. Test is the last period; training keeps only nodes whose
  label was known at the train cutoff (``label_time <= train_cutoff``); validation and test are
  scored with the labels as known in hindsight (``strict_val=True`` also restricts validation to
  labels known at its cutoff). The cutoffs are returned so the graph builder can drop edges from
  the future.

Recommendation (interaction frames with ``user_id, item_id, time, weight``), each returning
``(train_df, test_df)``:

* :func:`per_user_random_split`: per-user stratified random split (as Microsoft Recommenders'
  ``python_stratified_split``): every user with two or more items keeps at least one in train.
* :func:`temporal_interaction_split`: one global time cutoff.
* :func:`leave_last_out_split`: each user's last interaction is the test.
* :func:`carve_validation`: the same protocols applied to a training frame, for tuning.

The recommendation splits work on (user, item) pairs: all rows of a pair land on one side, so a
test item is never a training item of the same user (for the temporal split, test rows whose pair
already occurs in train are dropped by default: a repeat purchase is not a new recommendation).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

from bnpl.data.normalised import FraudData
from bnpl.errors import BnplError, DataError


@dataclass
class Split:
    """Target-node ids of each part; for a temporal split also the cutoff times (``time <= cutoff`` is before)."""

    train: np.ndarray
    val: np.ndarray
    test: np.ndarray
    method: str = "random"
    train_cutoff: float | None = None
    val_cutoff: float | None = None
    dropped_late_labels: int = 0
    labels: pd.Series | None = field(default=None, repr=False)  # node_id -> 0/1, for describe()

    def describe(self) -> pd.DataFrame:
        """One row per part: size, fraud count and rate (when labels are attached)."""
        rows = []
        for part in ("train", "val", "test"):
            ids = getattr(self, part)
            row = {"part": part, "nodes": len(ids)}
            if self.labels is not None:
                y = self.labels.reindex(ids).to_numpy()
                row["fraud"] = int(np.nansum(y))
                row["fraud_rate"] = float(np.nanmean(y)) if len(ids) else float("nan")
            rows.append(row)
        return pd.DataFrame(rows).set_index("part")


def random_stratified_split(labels: pd.DataFrame | FraudData, test_size: float = 0.3, val_size: float = 0.1,
                            seed: int = 0) -> Split:
    """Stratified random split of the labelled nodes; sizes are fractions of all labelled nodes."""
    lab = _labels(labels)
    _check_fracs(("test_size", test_size), ("val_size", val_size))
    ids, y = lab["node_id"].to_numpy(), lab["label"].to_numpy()
    strat = y if np.bincount(y, minlength=2).min() >= 2 else None
    try:
        n_test, n_val = int(round(len(ids) * test_size)), int(round(len(ids) * val_size))
        train, test = train_test_split(ids, test_size=n_test, stratify=strat, random_state=seed)
        val = np.array([], dtype=ids.dtype)
        if n_val > 0:
            y_train = lab.set_index("node_id")["label"].reindex(train).to_numpy()
            strat = y_train if np.bincount(y_train, minlength=2).min() >= 2 else None
            train, val = train_test_split(train, test_size=n_val, stratify=strat, random_state=seed)
    except ValueError as e:  # too few nodes for the requested sizes
        raise BnplError(f"random_stratified_split: {len(ids)} labelled nodes cannot be split with "
                        f"test_size={test_size}, val_size={val_size} ({e})") from None
    return Split(np.sort(train), np.sort(val), np.sort(test), method="random_stratified",
                 labels=lab.set_index("node_id")["label"])


def all_rows_split(data: FraudData, test_size: float = 0.6, val_size: float = 0.1, seed: int = 0) -> Split:
    """Stratified random split of *every* target node, unlabelled ones included, as the published GTAN /
    RGTAN code splits S-FFSD (AI4Risk/antifraud: ``train_test_split(all rows, stratify=Labels)`` with
    labels fraud / legit / unlabelled; RGTAN tests on 60 % of the rows, GTAN on 20 %). Validation is carved
    from the training part the same way. Sizes are fractions of all target nodes; each part then keeps
    its labelled nodes only, so the unlabelled ones are in the graph but never trained on or scored."""
    lab = _labels(data)
    _check_fracs(("test_size", test_size), ("val_size", val_size))
    n = len(data.nodes[data.target])
    cls = np.full(n, 2, dtype=np.int64)                  # 2: unlabelled, as in S-FFSD's Labels column
    cls[lab["node_id"].to_numpy()] = lab["label"].to_numpy()
    ids = np.arange(n)
    try:
        train, test = train_test_split(ids, test_size=int(round(n * test_size)), stratify=cls, random_state=seed)
        val = ids[:0]
        if int(round(n * val_size)) > 0:
            train, val = train_test_split(train, test_size=int(round(n * val_size)), stratify=cls[train],
                                          random_state=seed)
    except ValueError as e:                              # a class too small for the requested sizes
        raise BnplError(f"all_rows_split: {n} target nodes cannot be split with test_size={test_size}, "
                        f"val_size={val_size} ({e})") from None
    keep = [np.sort(part[cls[part] != 2]) for part in (train, val, test)]
    return Split(*keep, method="all_rows_stratified", labels=lab.set_index("node_id")["label"])


def temporal_split(data: FraudData, val_frac: float = 0.15, test_frac: float = 0.2,
                   strict_val: bool = False) -> Split:
    """Split labelled target nodes by event time; training keeps only labels known at its cutoff.

    Labelled nodes are sorted by ``nodes[target]["time"]``. The last ``test_frac`` of them (by
    count) form the test period, the ``val_frac`` before it validation, the rest training. Nodes
    tied with a cutoff time go to the earlier part, so ``max(train time) <= train_cutoff <
    min(val time)`` and likewise for val/test. A training node must also have
    ``label_time <= train_cutoff``; the others are dropped (counted in ``dropped_late_labels``).
    Validation and test keep every labelled node of their period: like test, validation is an
    evaluation made once labels have matured, and its nodes' events all precede the test period.
    With ``strict_val``, a validation node must also have ``label_time <= val_cutoff`` (with a
    chargeback delay longer than the validation period this leaves validation nearly empty).
    """
    _check_fracs(("test_frac", test_frac), ("val_frac", val_frac))
    table = data.nodes[data.target]
    if "time" not in table.columns:
        raise DataError(f"{data.name}: node table {data.target!r} has no 'time' column; use random_stratified_split")
    lab = data.labels
    ids = lab["node_id"].to_numpy()
    t = table["time"].to_numpy(dtype=np.float64)[ids]
    known = lab["label_time"].to_numpy(dtype=np.float64)
    if np.isnan(t).any():
        raise DataError(f"{data.name}: node table {data.target!r} has empty 'time' values for labelled nodes")
    t_sorted = np.sort(t)
    n = len(t_sorted)
    n_test, n_val = int(round(n * test_frac)), int(round(n * val_frac))
    if n_test + n_val >= n:
        raise BnplError(f"{data.name}: {n} labelled nodes are too few for val_frac={val_frac}, test_frac={test_frac}")
    val_cutoff = float(t_sorted[n - n_test - 1])
    train_cutoff = float(t_sorted[n - n_test - n_val - 1]) if n_val else val_cutoff
    in_train = t <= train_cutoff
    in_val = (t > train_cutoff) & (t <= val_cutoff)
    in_test = t > val_cutoff
    keep_train = in_train & (known <= train_cutoff)
    keep_val = in_val & (known <= val_cutoff) if strict_val else in_val
    if not keep_train.any() or not in_test.any() or (val_frac > 0 and not keep_val.any()):
        raise BnplError(f"{data.name}: temporal split with val_frac={val_frac}, test_frac={test_frac} leaves an "
                        f"empty part (times tie or labels arrive after the cutoffs)")
    return Split(np.sort(ids[keep_train]), np.sort(ids[keep_val]), np.sort(ids[in_test]), method="temporal",
                 train_cutoff=train_cutoff, val_cutoff=val_cutoff,
                 dropped_late_labels=int((in_train & ~keep_train).sum() + (in_val & ~keep_val).sum()),
                 labels=lab.set_index("node_id")["label"])


def per_user_random_split(inter: pd.DataFrame, test_frac: float = 0.25, seed: int = 0
                          ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per-user random split of (user, item) pairs: ``round(n * test_frac)`` of a user's n pairs go to
    test, at most n - 1, so every user keeps at least one training pair. DataError when no user has
    enough pairs for one test pair (e.g. a single item), instead of an empty test set."""
    _check_fracs(("test_frac", test_frac))
    pairs = _pairs(inter)
    rng = np.random.default_rng(seed)
    shuffled = pairs.iloc[rng.permutation(len(pairs))]
    rank = shuffled.groupby("user_id").cumcount().to_numpy()
    n = shuffled.groupby("user_id")["user_id"].transform("size").to_numpy()
    n_test = np.minimum(np.floor(n * test_frac + 0.5), n - 1)
    if not (rank < n_test).any():
        raise DataError(f"per_user_random_split: no user has enough items for test_frac={test_frac} "
                        f"({len(pairs)} (user, item) pairs, {pairs['item_id'].nunique()} items); test would be empty")
    return _by_pair(inter, shuffled[rank < n_test])


def temporal_interaction_split(inter: pd.DataFrame, test_frac: float = 0.2, drop_repeats: bool = True
                               ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Global time cutoff: the latest ``test_frac`` of rows are test (ties stay in train).

    With ``drop_repeats``, test rows whose (user, item) pair occurs in train are dropped.
    Users may appear only in test (cold start); callers that cannot score them filter them.
    """
    _check_fracs(("test_frac", test_frac))
    _require(inter, ("user_id", "item_id", "time"))
    t = inter["time"].to_numpy(dtype=np.float64)
    n_test = int(round(len(t) * test_frac))
    cutoff = np.sort(t)[len(t) - n_test - 1]
    train, test = inter[t <= cutoff], inter[t > cutoff]
    if drop_repeats:
        seen = pd.MultiIndex.from_frame(train[["user_id", "item_id"]])
        test = test[~pd.MultiIndex.from_frame(test[["user_id", "item_id"]]).isin(seen)]
    if len(test) == 0 or len(train) == 0:
        raise BnplError(f"temporal_interaction_split: test_frac={test_frac} leaves an empty part (all times tie?)")
    return train.reset_index(drop=True), test.reset_index(drop=True)


def leave_last_out_split(inter: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Each user's last interaction (by time, then row order) is test, for users with two or more items.

    Earlier rows of the same (user, item) pair are dropped, never kept in train. DataError when no
    user has two items (the test set would be empty).
    """
    _require(inter, ("user_id", "item_id", "time"))
    order = np.lexsort((np.arange(len(inter)), inter["time"].to_numpy(), inter["user_id"].to_numpy()))
    last = inter.iloc[order].groupby("user_id").tail(1)
    n_items = inter.groupby("user_id")["item_id"].nunique()
    last = last[last["user_id"].map(n_items).to_numpy() >= 2]
    if last.empty:
        raise DataError("leave_last_out_split: no user has two or more items; test would be empty")
    test_pairs = pd.MultiIndex.from_frame(last[["user_id", "item_id"]])
    in_test_pair = pd.MultiIndex.from_frame(inter[["user_id", "item_id"]]).isin(test_pairs)
    train = inter[~in_test_pair]
    test = inter.loc[last.index].sort_index()
    return train.reset_index(drop=True), test.reset_index(drop=True)


def carve_validation(train: pd.DataFrame, method: str = "per_user", frac: float = 0.25, seed: int = 0
                     ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split a training frame into (fit, validation) with one of the protocols above.

    ``method``: ``"per_user"`` (uses ``frac`` and ``seed``), ``"temporal"`` (uses ``frac``) or
    ``"leave_last_out"``.
    """
    if method == "per_user":
        return per_user_random_split(train, test_frac=frac, seed=seed)
    if method == "temporal":
        return temporal_interaction_split(train, test_frac=frac)
    if method == "leave_last_out":
        return leave_last_out_split(train)
    raise BnplError(f"carve_validation: unknown method {method!r}; expected 'per_user', 'temporal' or 'leave_last_out'")


def _labels(labels: pd.DataFrame | FraudData) -> pd.DataFrame:
    lab = labels.labels if isinstance(labels, FraudData) else labels
    for c in ("node_id", "label"):
        if c not in lab.columns:
            raise DataError(f"labels table lacks column {c!r}")
    if len(lab) < 3:
        raise DataError(f"labels table has {len(lab)} rows; a split needs at least 3")
    return lab[["node_id", "label"]].astype({"label": np.int64})


def _check_fracs(test: tuple[str, float], val: tuple[str, float] = ("val", 0.0)) -> None:
    """``test`` fraction in (0, 1), ``val`` in [0, 1), their sum below 1; BnplError naming the parameter."""
    (tn, tf), (vn, vf) = test, val
    if not 0 < tf < 1:
        raise BnplError(f"parameter {tn!r} must be in (0, 1); got {tf}")
    if not 0 <= vf < 1:
        raise BnplError(f"parameter {vn!r} must be in [0, 1); got {vf}")
    if tf + vf >= 1:
        raise BnplError(f"parameters {tn!r} + {vn!r} = {tf + vf} leave nothing for training")


def _require(inter: pd.DataFrame, cols: tuple[str, ...]) -> None:
    missing = [c for c in cols if c not in inter.columns]
    if missing:
        raise DataError(f"interactions lack column(s) {missing}")


def _pairs(inter: pd.DataFrame) -> pd.DataFrame:
    _require(inter, ("user_id", "item_id"))
    return inter[["user_id", "item_id"]].drop_duplicates().reset_index(drop=True)


def _by_pair(inter: pd.DataFrame, test_pairs: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Rows whose (user, item) pair is in ``test_pairs`` → test, the rest → train."""
    is_test = pd.MultiIndex.from_frame(inter[["user_id", "item_id"]]).isin(
        pd.MultiIndex.from_frame(test_pairs[["user_id", "item_id"]]))
    return inter[~is_test].reset_index(drop=True), inter[is_test].reset_index(drop=True)
