"""Benchmark protocols do not leak, the CLI reports bad input in one line, and a tiny benchmark runs."""
import json

import numpy as np
import pandas as pd
import pytest

from bnpl.cli import main
from bnpl.config import shared_data
from bnpl.recsys.benchmark import PROTOCOLS, split_interactions
from tests.realdata import needs_shared


def _inter(n_users=40, n_items=30, per_user=12, seed=0):
    rng = np.random.default_rng(seed)
    rows = [(u, i, float(t)) for u in range(n_users)
            for t, i in enumerate(rng.choice(n_items, per_user, replace=False))]
    df = pd.DataFrame(rows, columns=["user_id", "item_id", "time"])
    df["time"] = df["time"] + rng.random(len(df))
    return df.assign(weight=1.0)


@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_splits_have_no_user_item_pair_in_both_parts(protocol):
    train, test = split_interactions(_inter(), protocol, seed=0)
    both = set(zip(train.user_id, train.item_id, strict=True)) & set(zip(test.user_id, test.item_id, strict=True))
    assert len(test) > 0 and not both


def test_cli_bad_inputs_fail_in_one_line(tmp_path, capsys):
    assert main(["recsys", "benchmark", "--data", str(tmp_path / "missing.csv"), "--seeds", "0"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "missing.csv" in err
    f = tmp_path / "inter.csv"
    _inter().rename(columns={"user_id": "user", "item_id": "item"}).to_csv(f, index=False)
    assert main(["recsys", "benchmark", "--data", str(f), "--models", "nonsense", "--seeds", "0"]) == 2
    assert "unknown model 'nonsense'" in capsys.readouterr().err


def test_cli_benchmark_writes_mean_std_and_best_by_validation(tmp_path, capsys):
    f = tmp_path / "inter.csv"
    _inter(60, 40, 15).rename(columns={"user_id": "user", "item_id": "item"}).to_csv(f, index=False)
    out = tmp_path / "r.json"
    rc = main(["recsys", "benchmark", "--data", str(f), "--protocol", "random-75-25", "--k", "5", "--seeds", "0", "1",
               "--models", "popularity", "ease", "itemknn", "--out", str(out)])
    assert rc == 0
    res = json.loads(out.read_text())
    assert set(res["models"]) == {"popularity", "ease", "itemknn"}
    assert {"ndcg", "recall", "precision", "map"} <= set(res["models"]["ease"]["mean"])
    best = max(res["models"], key=lambda m: res["models"][m]["mean"]["val_ndcg"])
    assert res["best"]["model"] == best
    assert "best by validation" in capsys.readouterr().out


@needs_shared("recsys", "ml-100k")
def test_ml100k_ease_reaches_reference_level():
    from bnpl.data.loaders import load_interactions
    from bnpl.recsys.evaluate import evaluate
    from bnpl.recsys.models import model_class

    data = load_interactions(shared_data("recsys", "ml-100k"))
    train, test = split_interactions(data.interactions, "random-75-25", seed=0)
    m = evaluate(model_class("ease")(l2=300.0).fit(train, data.n_users, data.n_items), test, 10)
    assert m["ndcg"] > 0.46 and m["recall"] > 0.21  # Microsoft Recommenders' best published row: 0.475 / 0.219
