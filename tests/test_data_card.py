"""Data cards on a world, a FraudData and an InteractionData; `bnpl data card`; notebook 01 through the runner."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from bnpl.config import shared_data
from bnpl.data.card import data_card, degree_stats
from bnpl.data.normalised import FraudData, InteractionData
from bnpl.data.synthetic import WorldConfig, generate_world, save_world
from bnpl.errors import BnplError
from tests.realdata import needs_shared


@pytest.fixture(scope="module")
def world():
    return generate_world(WorldConfig(seed=5, n_transactions=3000), progress=False)


def tiny_fraud() -> FraudData:
    nodes = {"tx": pd.DataFrame({"node_id": np.arange(4), "time": [0.0, 1.0, 2.0, 3.0], "amount": [1.0, 2, 3, 4]}),
             "card": pd.DataFrame({"node_id": np.arange(2)})}
    rel = {("tx", "uses", "card"): pd.DataFrame({"src": [0, 1, 2, 3], "dst": [0, 0, 0, 1]})}
    labels = pd.DataFrame({"node_id": [0, 1, 2], "label": [0, 1, 1], "label_time": [5.0, 3.0, 4.0],
                           "typology": ["legit", "ring", "ring"]})
    return FraudData("tiny", nodes, rel, "tx", labels, time_unit="days")


def test_degree_stats_by_hand():
    stats = degree_stats({"d": np.array([1, 1, 2, 4])})
    assert stats.loc["d", "mean"] == 2.0 and stats.loc["d", "median"] == 1.5 and stats.loc["d", "max"] == 4


def test_card_on_fraud_data():
    card = data_card(tiny_fraud())
    assert card.facts["labelled"] == 3 and card.facts["fraud"] == 2 and card.facts["unlabelled"] == 1
    assert card.facts["time_span"] == 3.0
    assert card.facts["median_label_delay"] == 2.0  # delays 2 and 2
    assert card.tables["fraud_by_typology"].loc["ring", "count"] == 2
    assert list(card.degrees["tx-uses->card [in]"]) == [3, 1]
    assert "Data card: tiny" in card.text()


def test_card_on_interactions():
    inter = InteractionData("toy", pd.DataFrame({"user_id": [0, 0, 1], "item_id": [0, 1, 1], "time": [0.0, 1, 2],
                                                 "weight": [1.0, 1, 4]}), n_users=2, n_items=3)
    card = data_card(inter)
    assert card.facts["interactions"] == 3 and card.facts["density"] == pytest.approx(0.5)
    assert list(card.degrees["interactions per item"]) == [1, 2, 0]


def test_card_on_world_writes_tables_and_plots(world, tmp_path):
    card = data_card(world)
    typ = card.tables["fraud_by_typology"]
    assert typ.loc["scam", "configured_rate"] == world.config.scam_rate
    assert typ.loc["scam", "share_of_all_nodes"] == pytest.approx(world.config.scam_rate, abs=1e-3)
    assert card.tables["world_tables"].loc["transactions", "rows"] == 3000
    assert card.facts["time_span"] <= world.config.days
    paths = card.save(tmp_path / "card")
    names = {p.name for p in paths}
    assert {"card.json", "fraud_by_typology.csv", "degree_distributions.png", "activity_over_time.png",
            "label_delay.png", "fraud_by_typology.png"} <= names
    assert json.loads((tmp_path / "card" / "card.json").read_text())["facts"]["fraud"] == int(
        world["transaction_labels"]["label"].sum())


def test_card_rejects_other_objects():
    with pytest.raises(BnplError, match="no data card"):
        data_card(pd.DataFrame())


def test_cli_card(world, tmp_path, capsys):
    from bnpl.cli import main

    save_world(world, tmp_path / "w")
    assert main(["data", "card", "--dataset", "synthetic", "--path", str(tmp_path / "w"),
                 "--out", str(tmp_path / "c")]) == 0
    assert "fraud_by_typology" in capsys.readouterr().out
    assert (tmp_path / "c" / "degree_distributions.png").exists()
    assert main(["data", "card", "--dataset", "synthetic", "--path", str(tmp_path / "missing")]) == 2
    err = capsys.readouterr().err.strip()
    assert "missing" in err and len(err.splitlines()) == 1


@needs_shared("fraud", "s-ffsd", "S-FFSD.csv")
def test_card_on_sffsd():
    from bnpl.data.card import load_for_card

    card = data_card(load_for_card("s-ffsd", shared_data("fraud", "s-ffsd", "S-FFSD.csv")))
    assert card.facts["labelled"] == 24387 + 5256 and card.facts["fraud"] == 5256


@pytest.mark.slow  # stage notebook smoke test; `make test-fast` skips it
def test_notebook_01_runs_through_the_runner(tmp_path):
    from bnpl.runner import run_notebook

    res = run_notebook("01_data_prep", {"n_transactions": 2000, "seed": 1, "out_dir": str(tmp_path / "world")},
                       out_root=tmp_path / "runs")
    assert res.status == "FINISHED"
    assert (tmp_path / "world" / "transactions.parquet").exists()
    assert (res.out_dir / "figures" / "degree_distributions.png").exists()
    assert res.html_path is not None and res.html_path.exists()
    html = res.html_path.read_text()
    assert "DataPrepParams(" not in html and "world:" not in html      # a parameter table, no repr, no progress bar
    findings = json.loads((res.out_dir / "findings.json").read_text())
    assert findings["headline"].startswith("A world of ") and findings["headline"] in html.replace("&#39;", "'")
    run = json.loads((res.out_dir / "run.json").read_text())
    assert run["data"]["output"]["config"]["seed"] == 1                # the world it wrote, by configuration and hash
