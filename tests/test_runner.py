"""The notebook runner: parameter checks before execution, MLflow runs, outputs, failures."""
from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from mlflow.tracking import MlflowClient

from bnpl.cli import main
from bnpl.config import tracking_uri
from bnpl.errors import BnplError
from bnpl.runner import NotebookFailed, check_params, run_notebook


def make_notebook(path: Path, body: str, params: str = "n = 3\nscale = 0.5\nname = 'x'\n", model: str | None = None) -> Path:
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell(params)
    cell.metadata["tags"] = ["parameters"]
    nb.cells = [nbformat.v4.new_markdown_cell("# Test notebook"), cell, nbformat.v4.new_code_cell(body)]
    if model:
        nb.metadata["bnpl"] = {"params_model": model}
    nbformat.write(nb, path)
    return path


BODY = """
from bnpl import tracking
import matplotlib.pyplot as plt
tracking.log_metrics({"n_times_scale": n * scale, "name_len": len(name)})
fig, ax = plt.subplots(); ax.plot([0, 1], [0, n]); tracking.log_figure(fig, "line")
print("done", n, scale, name)
"""


def test_runs_notebook_with_injected_parameters(tmp_path):
    nb = make_notebook(tmp_path / "demo.ipynb", BODY)
    r = run_notebook(nb, {"n": 7, "name": "hello"}, out_root=str(tmp_path / "runs"), progress=False)  # str or Path
    assert r.status == "FINISHED"
    assert r.executed_path.exists() and r.html_path.exists()
    assert (r.out_dir / "figures" / "line.png").exists()
    assert r.out_dir.parent.name == "demo"
    html = r.html_path.read_text()
    assert "done 7 0.5 hello" in html and "tracking.log_metrics" not in html  # rendered without code
    outputs = [o for c in nbformat.read(r.executed_path, as_version=4).cells for o in c.get("outputs", [])]
    assert any("image/png" in o.get("data", {}) for o in outputs), "figure not shown inline (MPLBACKEND=Agg leaked?)"
    run = MlflowClient(tracking_uri()).get_run(r.run_id)
    assert run.info.status == "FINISHED"
    assert run.data.metrics["n_times_scale"] == pytest.approx(3.5)
    assert run.data.metrics["name_len"] == 5
    assert run.data.params["n"] == "7" and run.data.params["scale"] == "0.5"
    assert "git_commit" in run.data.tags
    arts = {a.path for a in MlflowClient(tracking_uri()).list_artifacts(r.run_id)}
    assert {"demo.ipynb", "demo.html", "figures"} <= arts


def test_rejects_unknown_and_ill_typed_parameters_before_execution(tmp_path):
    nb = make_notebook(tmp_path / "demo.ipynb", "raise RuntimeError('must not run')")
    with pytest.raises(BnplError, match="unknown parameter 'nn'"):
        run_notebook(nb, {"nn": 1}, out_root=tmp_path / "runs", progress=False)
    with pytest.raises(BnplError, match="parameter 'n': expected int"):
        run_notebook(nb, {"n": "many"}, out_root=tmp_path / "runs", progress=False)
    assert not (tmp_path / "runs").exists()  # nothing started
    assert check_params(nb, {"scale": 2}) == {"n": 3, "scale": 2, "name": "x"}  # int accepted for a float


def test_params_model_in_metadata_validates(tmp_path):
    nb = make_notebook(tmp_path / "demo.ipynb", "pass", params="seed = 0\nscale = 0.5\n",
                       model="tests.params_fixture:DemoParams")
    with pytest.raises(BnplError, match="parameter 'scale'"):
        check_params(nb, {"scale": -1.0})
    assert check_params(nb, {"seed": 4})["seed"] == 4


def test_failing_notebook_is_recorded_as_failed(tmp_path):
    nb = make_notebook(tmp_path / "broken.ipynb", "x = 1\nraise ValueError('bad column amount')")
    with pytest.raises(NotebookFailed, match=r"cell 2 .*ValueError: bad column amount") as info:
        run_notebook(nb, {}, out_root=tmp_path / "runs", progress=False)
    r = info.value.result
    assert r.executed_path.exists()  # the failed notebook is kept
    run = MlflowClient(tracking_uri()).get_run(r.run_id)
    assert run.info.status == "FAILED"
    assert run.data.tags["failed_cell"] == "2"
    assert "bad column amount" in run.data.tags["error"]


def test_cli_one_line_errors(tmp_path, capsys):
    nb = make_notebook(tmp_path / "broken.ipynb", "raise ValueError('boom')")
    assert main(["run", str(nb), "--out-root", str(tmp_path / "runs")]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    last = err.strip().splitlines()[-1]
    assert last.startswith("bnpl run: error: broken: cell 2") and "ValueError: boom" in last
    assert main(["run", "no_such_notebook"]) == 2
    assert "not found" in capsys.readouterr().err
    assert main(["run", str(nb), "-p", "bogus", "1"]) == 2
    assert "unknown parameter 'bogus'" in capsys.readouterr().err
    assert main(["run", str(nb), "-f", str(tmp_path / "missing.yaml")]) == 2
    assert "missing.yaml not found" in capsys.readouterr().err


def test_report_lists_latest_runs(tmp_path):
    from bnpl.report import build_report

    nb = make_notebook(tmp_path / "demo.ipynb", BODY)
    bad = make_notebook(tmp_path / "broken.ipynb", "raise ValueError('boom')")
    r = run_notebook(nb, {"n": 2}, out_root=tmp_path / "runs", progress=False)
    with pytest.raises(NotebookFailed):
        run_notebook(bad, {}, out_root=tmp_path / "runs", progress=False)
    index = build_report(tmp_path / "runs", tmp_path / "reports")
    text = index.read_text()
    assert r.run_id in text and "FAILED" in text and "boom" in text
    assert (tmp_path / "reports" / "demo.html").exists()
    assert (tmp_path / "reports" / "figures" / "demo" / "line.png").exists()
