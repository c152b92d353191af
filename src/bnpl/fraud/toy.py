"""A tiny hand-made fraud dataset with a planted pattern, for tests and smoke runs."""
from __future__ import annotations

import numpy as np
import pandas as pd

from bnpl.data.normalised import FraudData


def planted_ring_data(n: int = 200, seed: int = 0, with_transfers: bool = True) -> FraudData:
    """Transactions by customers on devices; every third customer shares one 'bad' device and commits fraud."""
    rng = np.random.default_rng(seed)
    n_cust = 40
    cust = rng.integers(0, n_cust, n)
    bad_cust = cust % 3 == 0
    device = np.where(bad_cust, 0, 1 + cust % 10)           # fraudsters share device 0
    y = (bad_cust & (rng.random(n) < 0.8)).astype(int)
    time = np.arange(n, dtype=float)
    nodes = {
        "transaction": pd.DataFrame({"node_id": np.arange(n), "time": time, "amount": rng.gamma(2, 50, n)}),
        "customer": pd.DataFrame({"node_id": np.arange(n_cust), "age": rng.integers(18, 80, n_cust).astype(float)}),
        "device": pd.DataFrame({"node_id": np.arange(11)}),
    }
    rels = {
        ("transaction", "made_by", "customer"): pd.DataFrame({"src": np.arange(n), "dst": cust, "time": time}),
        ("transaction", "from_device", "device"): pd.DataFrame({"src": np.arange(n), "dst": device, "time": time}),
    }
    if with_transfers:
        rels[("transaction", "follows", "transaction")] = pd.DataFrame(
            {"src": np.arange(n - 1), "dst": np.arange(1, n), "time": time[1:], "amount": np.ones(n - 1)})
    labels = pd.DataFrame({"node_id": np.arange(n), "label": y, "label_time": time + 5,
                           "typology": np.where(y == 1, "ring", "legit")})
    return FraudData("tiny", nodes, rels, "transaction", labels)
