"""The runner end to end: one validated value logged per parameter (notebook 01 with ``-p days 30``,
``-p mule_rate 0``; ``-p seed true`` refused), one run at a time per output folder, and canary secrets
in the environment never reaching MLflow, the executed notebook, run.json, the report or the console."""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import time
from pathlib import Path

import nbformat
import pytest
from mlflow.tracking import MlflowClient

from bnpl.cli import main
from bnpl.data.privacy import find_personal_data
from tests.test_runner import make_notebook
from tests.test_runner_signals import bnpl


def _client() -> MlflowClient:
    return MlflowClient(os.environ["MLFLOW_TRACKING_URI"])


@pytest.mark.slow  # the real notebook 01 on a 1,000-transaction world
def test_converted_parameter_values_are_logged_once(tmp_path, capsys):
    world = tmp_path / "world"
    argv = ["run", "01_data_prep", "-p", "days", "30", "-p", "mule_rate", "0", "-p", "n_transactions", "1000",
            "-p", "out_dir", str(world), "--out-root", str(tmp_path / "runs")]
    assert main(argv) == 0, capsys.readouterr().err
    (run,) = _client().search_runs([_client().get_experiment_by_name("01_data_prep").experiment_id])
    assert run.info.status == "FINISHED"
    assert run.data.params["days"] == "30.0" and run.data.params["mule_rate"] == "0.0"
    assert run.data.params["n_transactions"] == "1000"
    assert json.loads((world / "world_config.json").read_text())["days"] == 30.0


def test_a_boolean_for_a_number_is_refused_before_anything_runs(tmp_path, capsys):
    assert main(["run", "01_data_prep", "-p", "seed", "true", "--out-root", str(tmp_path / "runs")]) == 2
    err = capsys.readouterr().err.strip()
    assert err == "bnpl run: error: parameter 'seed': Value error, expected a number, got a boolean (got True)"
    assert not (tmp_path / "runs").exists()


SLEEPER = """
import pathlib, time
pathlib.Path(out_dir).mkdir(parents=True, exist_ok=True)
(pathlib.Path(out_dir) / "started").write_text("x")
time.sleep(120)
"""


@pytest.mark.slow  # a CLI process and a kernel
def test_a_second_run_writing_the_same_out_dir_is_refused(tmp_path, capsys):
    nb = make_notebook(tmp_path / "writer.ipynb", SLEEPER, params="out_dir = ''\n")
    out = tmp_path / "shared-out"
    first = subprocess.Popen([str(bnpl()), "run", str(nb), "-p", "out_dir", str(out), "--out-root", str(tmp_path / "runs")],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.time() + 120
        while not (out / "started").exists():
            assert first.poll() is None and time.time() < deadline, first.stderr.read() if first.stderr else ""
            time.sleep(0.2)
        assert main(["run", str(nb), "-p", "out_dir", str(out), "--out-root", str(tmp_path / "runs2")]) == 2
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1
        assert f"writer: out_dir {out} is being written by another run (pid {first.pid}" in err
        assert not (tmp_path / "runs2").exists()
    finally:
        first.send_signal(signal.SIGTERM)
        first.communicate(timeout=60)
    quick = make_notebook(tmp_path / "writer2.ipynb", "print(out_dir)", params="out_dir = ''\n")
    assert main(["run", str(quick), "-p", "out_dir", str(out), "--out-root", str(tmp_path / "runs3")]) == 0  # released


CANARIES = {"BNPL_TEST_API_KEY": "canary-key-7f3a9c", "GEMINI_API_KEY": "canary-gemini-55e1",
            "DB_PASSWORD": "canary-pass-0b2d"}
LEAKY = """
import os
print("key:", os.environ["BNPL_TEST_API_KEY"], os.environ["GEMINI_API_KEY"])
"""
FAILING = """
import os
raise RuntimeError("cannot connect with " + os.environ["DB_PASSWORD"])
"""


def _texts(tmp_path: Path) -> dict[str, str]:
    """Every text a run leaves: MLflow params and tags, executed notebooks, run.json, HTML pages and the report."""
    c = _client()
    out = {}
    for exp in c.search_experiments():
        for r in c.search_runs([exp.experiment_id]):
            out[f"mlflow {r.info.run_id}"] = json.dumps({"params": r.data.params, "tags": r.data.tags})
    for f in list(tmp_path.rglob("*.ipynb")) + list(tmp_path.rglob("run.json")) + list(tmp_path.rglob("*.html")):
        if "notebooks_in" not in f.parts:
            out[str(f.relative_to(tmp_path))] = f.read_text()
    return out


STAMPS = re.compile(r"\d{8}-\d{6}(?:-[0-9a-f]{8})?|\b(?=[0-9a-f]*[a-f])(?:[0-9a-f]{40}|[0-9a-f]{32}|[0-9a-f]{12})\b")


def masked(text: str) -> str:
    """``text`` with run stamps and hex ids (MLflow run ids, git commits) replaced by ``<stamp>``."""
    return STAMPS.sub("<stamp>", text)


def test_machine_stamps_are_masked_but_card_numbers_are_not():
    """The mask the next test uses hides run stamps and hex ids, never a card number, in a name or a text."""
    stamp_key = "runs/leaky/20261206-053255-56a268cd/leaky.ipynb"  # the name that failed CI once: Luhn passes
    assert find_personal_data({stamp_key: ""}) == [f"{stamp_key} (key): card number"]
    assert find_personal_data({masked(stamp_key): ""}) == []
    ids = "run 81fab8c739454c6aabb958dea2e67dce commit 4012888888881881aaaa4012888888881881bbbb"
    assert find_personal_data(ids) == [": card number"] and find_personal_data(masked(ids)) == []
    for card in ["4111 1111 1111 1111", "4012888888881881", "5500-0000-0000-0004"]:
        assert find_personal_data({masked(card): masked(card)}) == [
            f"{card} (key): card number", f"{card}: card number"]


def test_secrets_never_reach_mlflow_runs_or_reports(tmp_path, monkeypatch, capsys):
    for k, v in CANARIES.items():
        monkeypatch.setenv(k, v)
    src = tmp_path / "notebooks_in"
    src.mkdir()
    leaky = make_notebook(src / "leaky.ipynb", LEAKY)
    failing = make_notebook(src / "failing.ipynb", FAILING)
    assert main(["run", str(leaky), "--out-root", str(tmp_path / "runs")]) == 0
    assert main(["run", str(failing), "--out-root", str(tmp_path / "runs")]) == 2
    assert main(["report", "--runs-dir", str(tmp_path / "runs"), "--out", str(tmp_path / "reports")]) == 0
    console = capsys.readouterr()
    assert "cannot connect with ***" in console.err
    texts = {**_texts(tmp_path), "console": console.out + console.err}
    executed = next((tmp_path / "runs" / "leaky").glob("*/leaky.ipynb"))
    outputs = [o for c in nbformat.read(executed, as_version=4).cells for o in c.get("outputs", [])]
    assert any("key: *** ***" in o.get("text", "") for o in outputs)  # the cell ran; its output was redacted
    for where, text in texts.items():
        for value in CANARIES.values():
            assert value not in text, f"{where} holds a secret"
    # Machine-made numbers pass the card pattern's Luhn check by chance (one time in ten), in the texts and in
    # their names: a run folder's stamp (YYYYMMDD-HHMMSS-hex8: "20261206-053255-56" is 16 digits that pass),
    # MLflow run ids (32 hex) and git commits (40 hex, 12 in the report) that hold long runs of digits.
    assert find_personal_data({masked(k): masked(v) for k, v in texts.items()}) == []
    assert len(texts) >= 8
