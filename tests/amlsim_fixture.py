"""A small planted AMLSim-like account graph for the experiment scripts' tests."""
from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from bnpl.data.normalised import FraudData

EXPERIMENTS = Path(__file__).resolve().parents[1] / "experiments"


def load_script(name: str):
    """Import ``experiments/<name>.py`` as a module (its folder on the path, as when run as a script)."""
    if str(EXPERIMENTS) not in sys.path:
        sys.path.insert(0, str(EXPERIMENTS))
    spec = importlib.util.spec_from_file_location(name, EXPERIMENTS / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def planted(n=600, seed=0) -> FraudData:
    """Random transfers; the launderers (15 %) also pay each other in rings of five."""
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.15).astype(int)
    rings = np.array_split(np.flatnonzero(y), max(1, y.sum() // 5))
    ring_src = np.concatenate(rings)
    ring_dst = np.concatenate([np.roll(r, -1) for r in rings])
    src = np.r_[rng.integers(0, n, 3 * n), ring_src]
    dst = np.r_[rng.integers(0, n, 3 * n), ring_dst]
    t = rng.integers(0, 50, len(src)).astype(float)
    nodes = {"account": pd.DataFrame({"node_id": np.arange(n), "time": np.zeros(n)})}
    rels = {("account", "transfer", "account"): pd.DataFrame(
        {"src": src, "dst": dst, "time": t, "amount": rng.gamma(2, 100, len(src))})}
    labels = pd.DataFrame({"node_id": np.arange(n), "label": y, "label_time": np.full(n, 50.0)})
    return FraudData("amlsim:planted", nodes, rels, "account", labels)


def write_amlsim(data: FraudData, folder: Path) -> None:
    """Write ``data`` in the AMLSim two-file format (nodes.csv, transactions.csv)."""
    y = data.labels.sort_values("node_id")["label"].to_numpy()
    tx = data.relations[("account", "transfer", "account")]
    pd.DataFrame({"nodeid": np.arange(len(y)), "isFraud": y, "init_balance": 100.0}).to_csv(
        folder / "nodes.csv", index=False)
    pd.DataFrame({"sourceNodeId": tx["src"], "targetNodeId": tx["dst"], "value": tx["amount"].round(2),
                  "time": tx["time"].astype(int)}).to_csv(folder / "transactions.csv", index=False)
