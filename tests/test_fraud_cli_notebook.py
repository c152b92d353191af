"""The benchmark CLI's error path and a tiny run; the latest-targets window; the explanation
neighbourhood; the notebook through the runner with tiny parameters."""
import json
import re

import pandas as pd
import pytest

from bnpl.cli import main
from bnpl.data.normalised import FraudData
from bnpl.data.subset import latest_targets
from bnpl.fraud.explain import neighbourhood
from tests.fixtures.planted import planted_ring_data


def test_benchmark_bad_path_is_one_line_error(tmp_path, capsys):
    rc = main(["fraud", "benchmark", "--dataset", "s-ffsd", "--path", str(tmp_path / "nope.csv"),
               "--out", str(tmp_path / "r.json")])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and len(err.splitlines()) == 1 and "nope.csv" in err
    assert not (tmp_path / "r.json").exists()


def test_benchmark_malformed_file_is_one_line_error(tmp_path, capsys):
    bad = tmp_path / "S-FFSD.csv"
    bad.write_text("a,b\n1,2\n")
    rc = main(["fraud", "benchmark", "--dataset", "s-ffsd", "--path", str(bad), "--out", str(tmp_path / "r.json")])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and len(err.splitlines()) == 1


def test_benchmark_unknown_model(tmp_path, capsys):
    rc = main(["fraud", "benchmark", "--dataset", "s-ffsd", "--path", str(tmp_path), "--out", str(tmp_path / "r.json"),
               "--models", "xgb_magic"])
    assert rc == 2 and "xgb_magic" in capsys.readouterr().err


def test_benchmark_tiny_synthetic_run(tmp_path, capsys):
    from bnpl.data.synthetic import WorldConfig, generate_world, save_world

    save_world(generate_world(WorldConfig(seed=0, n_transactions=1000)), tmp_path / "w")
    out = tmp_path / "r.json"
    rc = main(["fraud", "benchmark", "--dataset", "synthetic", "--path", str(tmp_path / "w"), "--seeds", "0", "1",
               "--models", "lgbm_tabular", "sage", "--epochs", "2", "--out", str(out)])
    res = json.loads(out.read_text())
    assert rc == 0 and set(res["models"]) == {"lgbm_tabular", "sage"}
    for m in ("auroc", "auprc", "f1_fraud"):
        assert m in res["models"]["sage"]["mean"] and m in res["models"]["sage"]["std"]
    assert res["best"]["model"] in res["models"] and "auprc" in res["best"]["test"]
    assert res["best"]["test_from"] == "refit on training + validation labels"    # the random split's default
    assert "auprc_no_refit" in res["models"]["sage"]["mean"]
    progress = [ln for ln in capsys.readouterr().out.splitlines() if "elapsed" in ln]
    assert len(progress) == 4 and progress[-1].lstrip().startswith("seed 1 sage")   # one line per (seed, model)


def _chain() -> FraudData:
    """6 transactions -> 3 customers -> 3 devices; the latest 3 transactions all belong to customer 0."""
    nodes = {"transaction": pd.DataFrame({"node_id": range(6), "time": [5.0, 1, 4, 2, 3, 0]}),
             "customer": pd.DataFrame({"node_id": range(3)}), "device": pd.DataFrame({"node_id": range(3)})}
    rels = {("transaction", "made_by", "customer"): pd.DataFrame({"src": range(6), "dst": [0, 1, 0, 1, 0, 2]}),
            ("customer", "uses", "device"): pd.DataFrame({"src": [0, 1, 0], "dst": [0, 1, 2]})}
    labels = pd.DataFrame({"node_id": [0, 1, 4], "label": [1, 0, 0], "label_time": [6.0, 2, 4]})
    return FraudData("chain", nodes, rels, "transaction", labels)


def test_latest_targets_keeps_recent_nodes_and_their_entities():
    d = latest_targets(_chain(), 3)
    assert d.summary()["nodes"] == {"transaction": 3, "customer": 1, "device": 2}
    assert d.nodes["transaction"]["time"].tolist() == [5.0, 4.0, 3.0]          # old ids 0, 2, 4 in order
    assert d.relations[("transaction", "made_by", "customer")]["dst"].tolist() == [0, 0, 0]
    assert d.relations[("customer", "uses", "device")][["src", "dst"]].to_numpy().tolist() == [[0, 0], [0, 1]]
    assert d.labels[["node_id", "label"]].to_numpy().tolist() == [[0, 1], [2, 0]]   # old 0 and 4; old 1 dropped
    assert latest_targets(_chain(), None) is not None and latest_targets(_chain(), 10).num_nodes("transaction") == 6


def test_neighbourhood_is_local_and_typed():
    d = planted_ring_data(60, with_transfers=False)
    g = neighbourhood(d, 0, hops=2, max_nodes=500)
    cust = int(d.relations[("transaction", "made_by", "customer")]["dst"][0])
    mine = d.relations[("transaction", "made_by", "customer")].query("dst == @cust")["src"]
    assert g.has_edge(("transaction", 0), ("customer", cust))
    assert {("transaction", int(t)) for t in mine} <= set(g)          # 2 hops: the customer's other transactions
    assert all(g.degree(v) > 0 for v in g) and len(neighbourhood(d, 0, hops=2, max_nodes=5)) <= 5


@pytest.mark.slow  # stage notebook smoke test; `make test-fast` skips it
def test_notebook_runs_with_tiny_parameters(tmp_path):
    from bnpl import runner  # an import error fails the test, never skips it
    res = runner.run_notebook("notebooks/02_fraud_gnn.ipynb",
                              {"data_dir": str(tmp_path / "world"), "n_transactions": 1000, "recent_targets": 600,
                               "epochs": 2, "hidden": 8, "models": ["lgbm_tabular", "lgbm_graph", "sage"],
                               "inductive_batches": 1},
                              out_root=tmp_path / "runs")
    nb = json.loads(res.executed_path.read_text())
    images = [o for c in nb["cells"] if c["cell_type"] == "code" for o in c.get("outputs", [])
              if "image/png" in o.get("data", {})]
    assert len(images) >= 3        # PR curves + calibration, typology recall, explanation
    table = pd.read_csv(res.out_dir / "tables" / "comparison.csv", index_col=0)
    assert set(table.index) == {"lgbm_tabular", "lgbm_graph", "sage"}
    outs = [o for c in nb["cells"] for o in c.get("outputs", [])]
    text = "".join("".join(o.get("text", "")) + "".join(o.get("data", {}).get("text/plain", "")) for o in outs)
    assert re.search(r"nodes / transaction\s+600", text)   # the latest-targets window was applied
    assert "p50" in text and "p95" in text             # inductive latency reported
    findings = json.loads((res.out_dir / "findings.json").read_text())
    assert findings["stage"] == "fraud" and "baseline" in findings["headline"]


def test_benchmark_all_rows_split_on_a_tiny_sffsd_file(tmp_path):
    """``--split all-rows`` (the published GTAN / RGTAN split): 60 % of every row is test, unlabelled rows
    (label 2) stay in the graph but are never trained on or scored."""
    import numpy as np

    from bnpl.data.datasets import fraud_dataset
    from bnpl.fraud.benchmark import make_split

    rng = np.random.default_rng(0)
    n = 300
    rows = pd.DataFrame({"Time": np.arange(n), "Source": [f"S{i}" for i in rng.integers(0, 40, n)],
                         "Target": [f"T{i}" for i in rng.integers(0, 10, n)], "Amount": rng.gamma(2, 20, n).round(2),
                         "Location": [f"L{i}" for i in rng.integers(0, 5, n)], "Type": "TP1",
                         "Labels": rng.choice([0, 1, 2], size=n, p=[0.45, 0.2, 0.35])})
    rows.to_csv(tmp_path / "S-FFSD.csv", index=False)
    data = fraud_dataset("s-ffsd").load(tmp_path)
    split = make_split(data, "all-rows", 0, *fraud_dataset("s-ffsd").split_sizes("all-rows"))
    labelled = set(data.labels["node_id"])
    assert set(split.test) | set(split.val) | set(split.train) == labelled
    assert abs(len(split.test) - 0.6 * len(labelled)) <= 2
    out = tmp_path / "r.json"
    assert main(["fraud", "benchmark", "--dataset", "s-ffsd", "--path", str(tmp_path), "--split", "all-rows",
                 "--seeds", "0", "--models", "lgbm_tabular", "--out", str(out)]) == 0
    res = json.loads(out.read_text())
    assert (res["config"]["split"], res["config"]["test_size"], res["config"]["val_size"]) == ("all-rows", 0.6, 0.1)
    assert res["best"]["test_from"] == "refit on training + validation labels"
