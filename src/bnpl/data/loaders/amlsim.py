"""AMLSim (IBM anti-money-laundering simulator) outputs → :class:`FraudData`.

Accepted layouts of a folder (detected from the file names and headers):

* the two-file export used by many GNN papers: ``nodes.csv`` (``nodeid,isFraud,init_balance,fraudStep``)
  and ``transactions.csv`` (``sourceNodeId,targetNodeId,value,time``);
* IBM/AMLSim ``outputs/<simulation>/``: ``accounts.csv`` (``ACCOUNT_ID, INIT_BALANCE, IS_SAR`` ... or, in
  newer versions, ``acct_id, initial_deposit`` ...) and ``transactions.csv`` (``SENDER_ACCOUNT_ID,
  RECEIVER_ACCOUNT_ID, TX_AMOUNT, TIMESTAMP`` ... or ``orig_acct, bene_acct, base_amt, tran_timestamp``).
  When ``accounts.csv`` has no label column, accounts listed with ``is_sar`` true in
  ``alert_accounts.csv`` are the positives.

The target node type is ``"account"``; its only feature is the initial balance. Features are
picked from a whitelist, so label-derived columns (``fraudStep``, ``IS_SAR``, ``ALERT_ID``,
``prior_sar_count`` ...) can never become features. Transfers become the relation
``("account", "transfer", "account")`` with ``time`` and ``amount``.

Times: an account's ``time`` is the step of its first transfer. ``label_time`` is the step of
the account's *last* transfer, for both classes: an account is judged (SAR filed, or cleared)
once its observed activity is over. The rule is the same for both labels, so which labels are
known at a cutoff does not depend on the label itself. Accounts without transfers get the
first step as ``time`` and the last step as ``label_time``. Because most accounts stay active
until near the end of the simulation, a temporal split keeps very few training accounts on
AMLSim (on the 20k sample: 28 train, 5 validation); use ``random_stratified_split`` there.

Repairs and checks: account rows that repeat an earlier row exactly are removed with a
warning; two different rows with one account id are an error naming the row. Repeated
identical transfers are kept: AMLSim simulates repeated payments (the 20k sample has 1,420),
and the split is over accounts, so they cannot leak between train and test. Transfer amounts
must be finite and in ``[0, 1e12]``, balances finite; a single label class is a warning.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from bnpl.data.loaders._csv import (
    amounts,
    drop_exact_duplicates,
    find_column,
    integer_labels,
    numeric,
    read_table,
    require_folder,
    times,
    warn_one_class,
)
from bnpl.data.normalised import FraudData, encode_ids
from bnpl.data.privacy import protect_ids, shown
from bnpl.errors import DataError

ID = ("nodeid", "node_id", "account_id", "acct_id", "id")
LABEL = ("isfraud", "is_fraud", "is_sar", "issar", "label")
BALANCE = ("init_balance", "initial_balance", "initial_deposit", "balance")
SRC = ("sourcenodeid", "sender_account_id", "orig_acct", "from_id", "src", "source")
DST = ("targetnodeid", "receiver_account_id", "bene_acct", "to_id", "dst", "target")
AMOUNT = ("value", "tx_amount", "base_amt", "amount")
TIME = ("time", "timestamp", "tran_timestamp", "step")


def load_amlsim(path: str | Path) -> FraudData:
    """Load an AMLSim output folder (see the module docstring for the accepted layouts)."""
    folder = require_folder(path)
    node_file = next((folder / n for n in ("nodes.csv", "accounts.csv") if (folder / n).is_file()), None)
    if node_file is None:
        raise DataError(f"{folder}: expected 'nodes.csv' or 'accounts.csv' (AMLSim accounts) in this folder")
    tx_file = folder / "transactions.csv"
    if not tx_file.is_file():
        raise DataError(f"{folder}: expected 'transactions.csv' (AMLSim transfers) in this folder")

    acc = read_table(node_file, sep=None)
    id_col = find_column(acc, ID, node_file, "account id")
    raw_ids = acc[id_col].astype("string").str.strip()
    if raw_ids.isna().any():
        raise DataError(f"{node_file}: column {id_col!r} has an empty value (data row {int(raw_ids.isna().argmax()) + 1})")
    conflict = raw_ids.duplicated().to_numpy() & ~acc.duplicated().to_numpy()
    if conflict.any():
        i = int(conflict.argmax())
        raise DataError(f"{node_file}: column {id_col!r} has duplicate account id {shown(raw_ids.iloc[i])} "
                        f"(data row {i + 1}) with different values")
    acc, _ = drop_exact_duplicates(acc, node_file)
    raw_ids = acc[id_col].astype("string").str.strip()
    ids, index = encode_ids(raw_ids)
    label = _account_labels(acc, node_file, raw_ids)
    warn_one_class(label, node_file, find_column(acc, LABEL, node_file, "label", required=False) or "is_sar")

    tx = read_table(tx_file, sep=None)
    src = _lookup(tx, find_column(tx, SRC, tx_file, "sender account"), index, tx_file)
    dst = _lookup(tx, find_column(tx, DST, tx_file, "receiver account"), index, tx_file)
    amount = amounts(tx, find_column(tx, AMOUNT, tx_file, "amount"), tx_file)
    t, unit = times(tx, find_column(tx, TIME, tx_file, "time"), tx_file)

    n = len(index)
    first, last = _activity_span(src, dst, t, n)
    account = pd.DataFrame({"node_id": np.arange(n, dtype=np.int64), "time": first})
    bal_col = find_column(acc, BALANCE, node_file, "balance", required=False)
    if bal_col is not None:
        bal = np.empty(n)
        bal[ids] = numeric(acc, bal_col, node_file)
        account["init_balance"] = bal
    lab = np.empty(n, dtype=np.int64)
    lab[ids] = label
    labels = pd.DataFrame({"node_id": account["node_id"], "label": lab, "label_time": last})
    labels["typology"] = np.where(lab == 1, "laundering", "legit")
    transfer = pd.DataFrame({"src": src, "dst": dst, "time": t, "amount": amount})
    return FraudData(name=f"amlsim:{folder.name}", nodes={"account": account},
                     relations={("account", "transfer", "account"): transfer}, target="account",
                     labels=labels, time_unit=unit, meta={"source": str(folder),
                                                          "raw_ids": {"account": protect_ids(index, node_file, id_col)},
                                                          "label_time": "step of the account's last transfer"})


def _account_labels(acc: pd.DataFrame, node_file: Path, raw_ids: pd.Series) -> np.ndarray:
    """0/1 per row of the accounts table: its label column, else ``alert_accounts.csv``."""
    col = find_column(acc, LABEL, node_file, "label", required=False)
    if col is not None:
        return integer_labels(acc, col, node_file, allowed=(0, 1))
    alert_file = node_file.parent / "alert_accounts.csv"
    if not alert_file.is_file():
        raise DataError(f"{node_file}: no label column (expected one of {list(LABEL)}) and no alert_accounts.csv beside it")
    alerts = read_table(alert_file, sep=None)
    a_id = alerts[find_column(alerts, ID, alert_file, "account id")].astype("string").str.strip()
    a_sar = find_column(alerts, LABEL, alert_file, "is_sar", required=False)
    if a_sar is not None:
        a_id = a_id[integer_labels(alerts, a_sar, alert_file, allowed=(0, 1)) == 1]
    return raw_ids.isin(set(a_id)).to_numpy().astype(np.int64)


def _lookup(tx: pd.DataFrame, col: str, index: pd.Index, tx_file: Path) -> np.ndarray:
    """Contiguous account ids for column ``col``; DataError if an id is not in the accounts file."""
    raw = tx[col].astype("string").str.strip()
    codes = index.get_indexer(raw)
    if (codes < 0).any():
        i = int(np.argmax(codes < 0))
        raise DataError(f"{tx_file}: column {col!r} has account id {shown(raw.iloc[i])} (data row {i + 1}) "
                        f"that is not in the accounts file")
    return codes.astype(np.int64)


def _activity_span(src: np.ndarray, dst: np.ndarray, t: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """First and last transfer time per account (global first / last time for inactive accounts)."""
    who = np.concatenate([src, dst])
    tt = np.concatenate([t, t])
    first = np.full(n, np.inf)
    last = np.full(n, -np.inf)
    np.minimum.at(first, who, tt)
    np.maximum.at(last, who, tt)
    first[np.isinf(first)] = t.min()
    last[np.isinf(last)] = t.max()
    return first, last
