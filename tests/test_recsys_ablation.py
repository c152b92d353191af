"""Ablation grid: file checks, paired bootstrap, a tiny end-to-end run, and notebook 03 through the runner."""
import numpy as np
import pytest

from bnpl.config import EXPERIMENTS_DIR
from bnpl.errors import BnplError
from bnpl.recsys.ablation import (
    FULL,
    ablation_table,
    cell_specs,
    load_grid,
    paired_bootstrap,
    run_ablation,
)


def test_shipped_grid_is_valid_and_cells_override_the_full_model():
    grid = load_grid(EXPERIMENTS_DIR / "recsys_ablation.yaml")
    specs = cell_specs(grid, overrides={"epochs": 1})
    assert specs[0]["name"] == FULL
    by_name = {s["name"]: s for s in specs}
    assert by_name["layers=0 (matrix factorisation)"]["params"]["layers"] == 0
    assert by_name["layers=0 (matrix factorisation)"]["params"]["side_features"] is True  # rest kept from the full model
    assert all(s["params"]["epochs"] == 1 for s in specs if s["model"] == "sidegnn")
    assert "epochs" not in by_name["EASE baseline"]["params"]


@pytest.mark.parametrize("text, fragment", [
    ("full: {model: sidegnn}\n", "needs top-level keys"),
    ("full: {model: nope}\ncells: []\n", "unknown model"),
    ("full: {model: ease}\ncells: [{name: a, wat: 1}]\n", "unknown key"),
    ("protocol: sometimes\nfull: {model: ease}\ncells: []\n", "protocol"),
])
def test_bad_grid_files_fail_in_one_line(tmp_path, text, fragment):
    f = tmp_path / "grid.yaml"
    f.write_text(text)
    with pytest.raises(BnplError, match=fragment):
        load_grid(f)


def test_paired_bootstrap_covers_the_mean_and_excludes_zero_for_a_clear_shift():
    rng = np.random.default_rng(0)
    diff = rng.normal(0.1, 0.05, size=400)
    lo, hi = paired_bootstrap(diff, np.arange(400), n_boot=500)
    assert lo < diff.mean() < hi and lo > 0
    lo, hi = paired_bootstrap(rng.normal(0, 0.05, size=400), np.arange(400), n_boot=500)
    assert lo < 0 < hi


def test_tiny_ablation_runs_and_full_model_delta_is_zero():
    from bnpl.data.normalised import InteractionData
    from tests.test_recsys_models import N_ITEMS, N_USERS, planted_tastes

    data = InteractionData("tiny", planted_tastes(), N_USERS, N_ITEMS)
    grid = {"protocol": "random-75-25", "k": 5,
            "full": {"model": "lightgcn", "params": {"dim": 8, "epochs": 5, "lr": 0.05}},
            "cells": [{"name": "layers=0", "params": {"layers": 0}}, {"name": "ease", "model": "ease"},
                      {"name": "half window", "train_window": 0.5}]}
    seen = []
    summary, per_user = run_ablation(data, grid, seeds=[0, 1], on_cell=lambda spec, res: seen.append(spec["name"]))
    assert len(summary) == 8 and len(seen) == 8
    table = ablation_table(summary, per_user, n_boot=100)
    assert table.loc[FULL, "ndcg_delta"] == 0
    assert table.loc["ease", "ndcg_ci_low"] <= table.loc["ease", "ndcg_delta"] <= table.loc["ease", "ndcg_ci_high"]
    assert (summary.groupby("cell")["users"].nunique() == 1).all()  # every cell judged on the same users


@pytest.mark.slow  # stage notebook smoke test; `make test-fast` skips it
def test_notebook_03_runs_with_tiny_parameters(tmp_path):
    from bnpl import runner  # an import error fails the test, never skips it
    res = runner.run_notebook("03_recsys_ablation", {"data_dir": str(tmp_path / "world"), "world_transactions": 2000,
                                                     "max_users": 150, "epochs": 1, "seeds": [0], "n_boot": 50},
                              out_root=tmp_path / "runs")
    assert res.status == "FINISHED"
    assert (res.out_dir / "figures" / "ablation_delta.png").exists()
    assert (res.out_dir / "tables" / "ablation_table.csv").exists()
    assert "full model" in (res.out_dir / "findings.json").read_text()   # findings generated from the table
    assert "RecsysParams(" not in res.html_path.read_text()
