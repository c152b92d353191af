"""The benchmark CLI's error path and a tiny run; the notebook through the runner with tiny parameters."""
import json

import pytest

from bnpl.cli import main


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


def test_benchmark_tiny_synthetic_run(tmp_path):
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


def test_notebook_runs_with_tiny_parameters(tmp_path):
    runner = pytest.importorskip("bnpl.runner", reason="bnpl.runner not written yet")
    res = runner.run_notebook("notebooks/02_fraud_gnn.ipynb",
                              {"data_dir": str(tmp_path / "world"), "n_transactions": 1000, "epochs": 2,
                               "models": ["lgbm_tabular", "lgbm_graph", "sage"], "inductive_batches": 1},
                              out_root=tmp_path / "runs")
    assert res.executed_path.exists()
