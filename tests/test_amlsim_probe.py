"""The AMLSim stage-2 probe script (experiments/amlsim_stage2_probe.py) on a planted account graph."""
import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from bnpl.data.normalised import FraudData
from bnpl.fraud.graph import label_vector

SCRIPT = Path(__file__).resolve().parents[1] / "experiments" / "amlsim_stage2_probe.py"


def _probe():
    spec = importlib.util.spec_from_file_location("amlsim_stage2_probe", SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _planted(n=600, seed=0) -> FraudData:
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


def test_probe_scores_every_variant_on_validation():
    probe = _probe()
    data = _planted()
    y = label_vector(data)
    ei = probe.transfer_edge_index(data)
    assert (ei[0] != ei[1]).all() and ei.shape[1] % 2 == 0          # undirected, no self-loops
    out = probe.probe_seed(data, y, 0, {}, ei)
    assert {"base", "fold_seed+1000", "rf", "et", "cs_correct", "cs_smooth"} <= set(out)
    assert not any(k.startswith("TEST") for k in out)
    assert all(0.0 <= v <= 1.0 for v in out.values())
    assert out["base"] > 2 * y.mean()                                 # the planted rings are found


def test_probe_main_reads_amlsim_files_and_reports_test_only_when_asked(tmp_path):
    data = _planted()
    y = label_vector(data)
    tx = data.relations[("account", "transfer", "account")]
    pd.DataFrame({"nodeid": np.arange(len(y)), "isFraud": y, "init_balance": 100.0}).to_csv(
        tmp_path / "nodes.csv", index=False)
    pd.DataFrame({"sourceNodeId": tx["src"], "targetNodeId": tx["dst"], "value": tx["amount"].round(2),
                  "time": tx["time"].astype(int)}).to_csv(tmp_path / "transactions.csv", index=False)
    table = _probe().main([str(tmp_path), "--seeds", "0", "--report-test"])
    assert {"TEST base", "TEST fold_seed+1000", "TEST fold_seed+2000"} <= set(table.index)
    assert table.loc["base", "vs_base"] == 0 and table.loc["TEST base", "vs_base"] == 0
    assert table.loc["TEST base", 0] > 2 * y.mean()


def test_probe_bad_path_is_one_line(tmp_path):
    with pytest.raises(SystemExit, match="error: .*nodes.csv"):
        _probe().main([str(tmp_path)])
