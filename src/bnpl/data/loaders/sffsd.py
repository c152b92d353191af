"""S-FFSD (GTAN / RGTAN papers, AI4Risk ``antifraud`` repository) → :class:`FraudData`.

The file has one row per transaction: ``Time,Source,Target,Amount,Location,Type,Labels``.
Each transaction becomes a ``transaction`` node (features: ``amount``, ``log_amount``);
payer, merchant, location and type ids become nodes of their own (``source``, ``target``,
``location``, ``type``; ``node_id`` only) linked to it. Labels 0/1 go to the labels table;
label 2 (unlabelled) transactions stay in the graph but not in the labels.

S-FFSD records no chargeback delay, so ``label_time`` equals the transaction time: a
temporal split on it cannot model late labels.

Repairs and checks: rows that repeat an earlier row exactly are removed with a warning
(the count is in ``meta["duplicates_dropped"]``), because a random split could put the two
copies in train and test. Amounts must be finite and in ``[0, 1e12]``; a file with no row
labelled 0 or 1 is an error, one with a single class a warning. Rows need not be sorted by
``Time`` (splits order by time themselves).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from bnpl.data.loaders._csv import (
    amounts,
    drop_exact_duplicates,
    integer_labels,
    numeric,
    read_table,
    resolve_file,
    warn_one_class,
)
from bnpl.data.normalised import FraudData, encode_ids
from bnpl.data.privacy import protect_ids
from bnpl.errors import DataError

FILE_NAME = "S-FFSD.csv"
COLUMNS = ("Time", "Source", "Target", "Amount", "Location", "Type", "Labels")
# entity column in the file -> (node type, relation from the transaction)
ENTITIES = {"Source": ("source", "from"), "Target": ("target", "to"),
            "Location": ("location", "at"), "Type": ("type", "of_type")}


def load_sffsd(path: str | Path) -> FraudData:
    """Load ``S-FFSD.csv`` (a file, or a folder holding it). Target node type: ``"transaction"``."""
    file = resolve_file(path, FILE_NAME)
    df = read_table(file, sep=",", required=COLUMNS, dtype={c: "string" for c in ENTITIES})
    time = numeric(df, "Time", file)
    amounts(df, "Amount", file)
    integer_labels(df, "Labels", file, allowed=(0, 1, 2))
    for col in ENTITIES:
        if df[col].isna().any():
            i = int(np.argmax(df[col].isna().to_numpy()))
            raise DataError(f"{file}: column {col!r} has an empty value (data row {i + 1})")
    df, n_dup = drop_exact_duplicates(df[list(COLUMNS)], file)
    time, amount = numeric(df, "Time", file), numeric(df, "Amount", file)
    label = integer_labels(df, "Labels", file, allowed=(0, 1, 2))
    if not (label != 2).any():
        raise DataError(f"{file}: column 'Labels' has no labelled rows (every value is 2, unknown)")
    warn_one_class(label[label != 2], file, "Labels")

    n = len(df)
    tx_ids = np.arange(n, dtype=np.int64)
    nodes = {"transaction": pd.DataFrame({"node_id": tx_ids, "time": time, "amount": amount,
                                          "log_amount": np.log1p(np.clip(amount, 0, None))})}
    relations, index = {}, {}
    for col, (node_type, rel) in ENTITIES.items():
        codes, uniques = encode_ids(df[col])
        nodes[node_type] = pd.DataFrame({"node_id": np.arange(len(uniques), dtype=np.int64)})
        relations[("transaction", rel, node_type)] = pd.DataFrame({"src": tx_ids, "dst": codes, "time": time})
        index[node_type] = protect_ids(uniques, file, col)
    labelled = label != 2
    labels = pd.DataFrame({"node_id": tx_ids[labelled], "label": label[labelled],
                           "label_time": time[labelled]})
    labels["typology"] = np.where(labels["label"] == 1, "fraud", "legit")
    return FraudData(name="s-ffsd", nodes=nodes, relations=relations, target="transaction", labels=labels,
                     time_unit="step", meta={"source": str(file), "raw_ids": index,
                                            "unlabelled": int((~labelled).sum()), "duplicates_dropped": n_dup,
                                            "label_time": "equals the transaction time (no chargeback delay in S-FFSD)"})

