"""The normalised forms every stage consumes, whatever the source.

Fraud datasets become a :class:`FraudData`:

* ``nodes``: one table per node type (``"customer"``, ``"account"``, ``"device"``,
  ``"transaction"`` ...). Each has an integer ``node_id`` column equal to its row
  position (0..n-1); an optional float ``time`` column (when the node appeared,
  e.g. a transaction's event time); every other column is a numeric feature that
  models may use.
* ``relations``: one table per ``(src_type, relation, dst_type)`` with integer
  ``src`` and ``dst`` (node ids in the two node tables), an optional float
  ``time`` and optional numeric attribute columns (e.g. ``amount``). Reverse
  edges are *not* stored; graph builders add them.
* ``target``: the node type that carries labels.
* ``labels``: ``node_id`` (of the target type), ``label`` (1 fraud, 0 legit; unlabelled
  nodes are simply absent), ``label_time`` (float, when the label became known) and
  an optional ``typology`` string (``"legit"`` for label 0).

Times are floats in one unit per dataset (seconds, days or simulation steps; ``time_unit``).

Recommendation datasets become an :class:`InteractionData`: ``interactions`` with
``user_id``, ``item_id`` (contiguous ints), ``time`` (float) and ``weight`` (float),
plus optional ``user_features`` / ``item_features`` (indexed by contiguous id, one row
per user / item) and ``item_relations`` (``src_item``, ``dst_item``, ``relation``).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from bnpl.errors import DataError

# Columns that must never become model features: they are derived from, or are, the label.
LABEL_DERIVED_COLUMNS = frozenset({"label", "labels", "isfraud", "is_fraud", "fraudstep", "fraud_step",
                                   "label_time", "typology", "is_sar", "issar", "alert_id", "alertid"})


def feature_columns(table: pd.DataFrame) -> list[str]:
    """Columns of a node table that models may use: everything but ``node_id`` and ``time``.

    Raises :class:`DataError` if a label-derived column slipped into the table.
    """
    leaked = [c for c in table.columns if c.lower() in LABEL_DERIVED_COLUMNS]
    if leaked:
        raise DataError(f"label-derived column(s) {leaked} found among node features: this would leak the label")
    return [c for c in table.columns if c not in ("node_id", "time")]


@dataclass
class FraudData:
    name: str
    nodes: dict[str, pd.DataFrame]
    relations: dict[tuple[str, str, str], pd.DataFrame]
    target: str
    labels: pd.DataFrame
    time_unit: str = "s"
    meta: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.validate()

    def num_nodes(self, node_type: str) -> int:
        return len(self.nodes[node_type])

    def validate(self) -> None:
        """Check the invariants listed in the module docstring; raise DataError naming what is wrong."""
        if self.target not in self.nodes:
            raise DataError(f"{self.name}: target node type {self.target!r} has no node table")
        for nt, df in self.nodes.items():
            if "node_id" not in df.columns:
                raise DataError(f"{self.name}: node table {nt!r} lacks column 'node_id'")
            if not np.array_equal(df["node_id"].to_numpy(), np.arange(len(df))):
                raise DataError(f"{self.name}: node table {nt!r}: 'node_id' must equal the row position 0..n-1")
            for c in feature_columns(df) + (["time"] if "time" in df.columns else []):
                if not pd.api.types.is_numeric_dtype(df[c]) and not pd.api.types.is_bool_dtype(df[c]):
                    raise DataError(f"{self.name}: node table {nt!r}: feature column {c!r} is not numeric")
        for key, df in self.relations.items():
            if len(key) != 3:
                raise DataError(f"{self.name}: relation key {key!r} must be (src_type, relation, dst_type)")
            s, _, d = key
            for c in ("src", "dst"):
                if c not in df.columns:
                    raise DataError(f"{self.name}: relation {key} lacks column {c!r}")
            for nt, c in ((s, "src"), (d, "dst")):
                if nt not in self.nodes:
                    raise DataError(f"{self.name}: relation {key} refers to unknown node type {nt!r}")
                if len(df) and (df[c].min() < 0 or df[c].max() >= len(self.nodes[nt])):
                    raise DataError(f"{self.name}: relation {key} column {c!r} has ids outside 0..{len(self.nodes[nt]) - 1}")
        for c in ("node_id", "label", "label_time"):
            if c not in self.labels.columns:
                raise DataError(f"{self.name}: labels table lacks column {c!r}")
        if not self.labels["label"].isin([0, 1]).all():
            raise DataError(f"{self.name}: labels must be 0 or 1 (unlabelled nodes are left out of the labels table)")
        if self.labels["node_id"].duplicated().any():
            raise DataError(f"{self.name}: labels table has duplicate node_id values")
        n_target = len(self.nodes[self.target])
        if len(self.labels) and (self.labels["node_id"].min() < 0 or self.labels["node_id"].max() >= n_target):
            raise DataError(f"{self.name}: labels refer to {self.target} ids outside 0..{n_target - 1}")

    def summary(self) -> dict:
        lab = self.labels
        return {
            "name": self.name,
            "target": self.target,
            "nodes": {k: len(v) for k, v in self.nodes.items()},
            "relations": {"__".join(k): len(v) for k, v in self.relations.items()},
            "labelled": int(len(lab)),
            "fraud": int(lab["label"].sum()),
            "fraud_rate": float(lab["label"].mean()) if len(lab) else float("nan"),
        }


@dataclass
class InteractionData:
    name: str
    interactions: pd.DataFrame
    n_users: int
    n_items: int
    user_features: pd.DataFrame | None = None
    item_features: pd.DataFrame | None = None
    item_relations: pd.DataFrame | None = None
    user_index: pd.Index | None = None   # original user ids, position = contiguous id
    item_index: pd.Index | None = None   # original item ids, position = contiguous id
    meta: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        df = self.interactions
        for c in ("user_id", "item_id", "time", "weight"):
            if c not in df.columns:
                raise DataError(f"{self.name}: interactions lack column {c!r}")
        if len(df) == 0:
            raise DataError(f"{self.name}: no interactions")
        if df["user_id"].min() < 0 or df["user_id"].max() >= self.n_users:
            raise DataError(f"{self.name}: user_id outside 0..{self.n_users - 1}")
        if df["item_id"].min() < 0 or df["item_id"].max() >= self.n_items:
            raise DataError(f"{self.name}: item_id outside 0..{self.n_items - 1}")
        if self.item_features is not None and len(self.item_features) != self.n_items:
            raise DataError(f"{self.name}: item_features has {len(self.item_features)} rows for {self.n_items} items")
        if self.user_features is not None and len(self.user_features) != self.n_users:
            raise DataError(f"{self.name}: user_features has {len(self.user_features)} rows for {self.n_users} users")
        if self.item_relations is not None:
            for c in ("src_item", "dst_item", "relation"):
                if c not in self.item_relations.columns:
                    raise DataError(f"{self.name}: item_relations lacks column {c!r}")

    def summary(self) -> dict:
        return {"name": self.name, "users": self.n_users, "items": self.n_items,
                "interactions": int(len(self.interactions)),
                "density": float(len(self.interactions) / max(1, self.n_users * self.n_items))}


def encode_ids(raw: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """Map raw ids to contiguous ints in order of first sorted appearance. Returns (codes, index of raw ids)."""
    codes, uniques = pd.factorize(raw, sort=True)
    return codes.astype(np.int64), pd.Index(uniques)
