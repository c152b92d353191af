"""Provenance: a run records the identity of the data it read; worlds live in folders named by their config;
the runner echoes progress lines and tags experiments for MLflow's runs view; the CLI shows defaults."""
from __future__ import annotations

import json
import shutil
import subprocess

import pytest
from mlflow.tracking import MlflowClient

from bnpl.cli import build_parser, main
from bnpl.config import DATA_DIR, REPO_ROOT, tracking_uri
from bnpl.data.synthetic.config import WorldConfig
from bnpl.provenance import (
    content_hash,
    data_identity,
    data_label,
    world_folder_name,
    world_mismatch,
    world_output_folder,
)
from bnpl.runner import run_notebook

from .test_runner import make_notebook


def test_content_hash_follows_content_and_names(tmp_path):
    d = tmp_path / "w"
    d.mkdir()
    (d / "a.parquet").write_bytes(b"123")
    (d / "world_config.json").write_text(json.dumps({"seed": 3, "n_transactions": 20000}))
    h = content_hash(d)
    assert content_hash(d) == h and len(h) == 16
    (d / "a.parquet").write_bytes(b"124")
    assert content_hash(d) != h
    ident = data_identity(d)
    assert ident["config"] == {"seed": 3, "n_transactions": 20000} and ident["hash"] == content_hash(d)
    assert data_label(ident).endswith(f"(seed 3, 20,000 transactions) #{ident['hash'][:8]}")


def test_worlds_live_in_folders_named_by_their_configuration():
    assert world_folder_name(WorldConfig().model_dump()) == "default"
    name = world_folder_name({"seed": 3, "n_transactions": 20000})
    assert name.startswith("seed3-n20000-") and name != world_folder_name({"seed": 3, "n_transactions": 20001})
    # the default folder never receives another configuration: it goes beside it
    assert world_output_folder("data/synthetic/default", {"seed": 3, "n_transactions": 20000}) == \
        DATA_DIR / "synthetic" / name
    assert world_output_folder("data/synthetic/default", {}) == DATA_DIR / "synthetic" / "default"
    assert str(world_output_folder("/elsewhere/w", {"seed": 3})) == "/elsewhere/w"     # an explicit folder is kept


def test_world_mismatch_says_which_parameters_were_not_used():
    ident = {"path": "data/synthetic/default", "config": {"seed": 0, "n_transactions": 200000}}
    note = world_mismatch(ident, seed=0, n_transactions=50000)
    assert "n_transactions=200000 (parameter says 50000)" in note and "seed" not in note.split("holds")[1].split(";")[0]
    assert world_mismatch(ident, seed=0, n_transactions=200000) is None


BODY = """
from bnpl import tracking
from bnpl.provenance import data_identity, log_data
import time
for i in range(3):
    tracking.progress(f"step {i} of 3")
    time.sleep(0.3)
with tracking.progress_output():
    print("from a library: model fitted")
log_data(data_identity(data_dir))
"""


def test_runner_records_data_echoes_progress_and_tags_the_experiment(tmp_path, capfd):
    data = tmp_path / "world"
    data.mkdir()
    (data / "t.parquet").write_bytes(b"x")
    (data / "world_config.json").write_text(json.dumps({"seed": 1, "n_transactions": 1000}))
    nb = make_notebook(tmp_path / "prov.ipynb", BODY, params=f"data_dir = {str(data)!r}\n")
    r = run_notebook(nb, {}, out_root=tmp_path / "runs", progress=True)
    err = capfd.readouterr().err
    assert "    step 0 of 3" in err and "    step 2 of 3" in err and "    from a library: model fitted" in err
    assert "model fitted" not in r.html_path.read_text()                # kept out of the rendered notebook
    rec = json.loads((r.out_dir / "run.json").read_text())
    assert rec["data"]["input"]["hash"] == content_hash(data) and rec["data"]["input"]["config"]["seed"] == 1
    assert rec["git_commit"] and rec["experiment_id"]
    client = MlflowClient(tracking_uri())
    run = client.get_run(r.run_id)
    assert run.data.params["data.input.hash"] == content_hash(data)
    assert run.data.params["data.input.config.n_transactions"] == "1000"
    assert run.data.tags["data_input"].startswith("synthetic ")
    assert client.get_experiment(rec["experiment_id"]).tags["mlflow.experimentKind"] == "custom_model_development"


def _all_parsers(parser):
    yield parser
    for action in parser._actions:
        for sub in (getattr(action, "choices", None) or {}).values() if hasattr(action, "_name_parser_map") else []:
            yield from _all_parsers(sub)


def test_cli_help_shows_defaults_and_no_rst_markup():
    parsers = list(_all_parsers(build_parser()))
    assert len(parsers) > 8
    for p in parsers:
        text = p.format_help()
        assert "``" not in text and ":func:" not in text, p.prog
    run_help = next(p for p in parsers if p.prog.endswith(" run")).format_help()
    assert "(default: runs/)" in run_help
    bench = next(p for p in parsers if p.prog.endswith("fraud benchmark")).format_help()
    assert "default: random" in bench and "(default: 40)" in bench


def test_list_params_prints_names_types_defaults_and_meaning(capsys):
    assert main(["run", "03_recsys_ablation", "--list-params"]) == 0
    out = capsys.readouterr().out
    assert "max_users" in out and "int" in out and "2000" in out and "users sampled" in out
    assert main(["run", "--list-params"]) == 2


@pytest.mark.skipif(shutil.which("make") is None, reason="make not installed")
def test_make_help_has_no_colour_codes_off_a_terminal():
    out = subprocess.run(["make", "--no-print-directory", "help"], cwd=REPO_ROOT, capture_output=True, text=True).stdout
    assert "setup" in out and "\033" not in out and "\\033" not in out


def test_fraud_benchmark_reports_each_model_to_the_runner_console(tmp_path, monkeypatch):
    from bnpl.fraud.benchmark import BenchmarkConfig, run_benchmark
    from tests.fixtures.planted import planted_ring_data

    monkeypatch.setenv("BNPL_MLFLOW_RUN_ID", "r1")              # as under `bnpl run`
    monkeypatch.setenv("BNPL_RUN_DIR", str(tmp_path))
    run_benchmark(planted_ring_data(), BenchmarkConfig(models=["lgbm_tabular"], seeds=[0]), progress=False)
    lines = (tmp_path / "progress.log").read_text().splitlines()
    assert len(lines) == 1 and lines[0].startswith("seed 0 lgbm_tabular")
