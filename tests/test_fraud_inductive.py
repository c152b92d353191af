"""The inductive scorer: scores of a batch never change as later rows arrive; the latency report."""
import json

import numpy as np
import pytest

from bnpl.cli import main
from bnpl.errors import BnplError
from bnpl.fraud.inductive import fit_inductive, latency_report
from tests.fixtures.planted import planted_ring_data


def test_batch_scores_do_not_move_when_later_rows_arrive():
    data = planted_ring_data(300, seed=1)
    t = data.nodes[data.target]["time"].to_numpy()
    scorer = fit_inductive(data, cutoff=float(np.quantile(t, 0.6)))
    batch = np.flatnonzero((t > np.quantile(t, 0.6)) & (t <= np.quantile(t, 0.7)))
    at_arrival = scorer.score(data, batch, now=float(t[batch].max()))
    later = scorer.score(data, batch, now=float(t.max()))            # 30 % more history, same frozen model
    np.testing.assert_allclose(at_arrival, later)
    assert at_arrival.shape == (len(batch),) and ((0 <= at_arrival) & (at_arrival <= 1)).all()


def test_latency_report_counts_and_quality():
    data = planted_ring_data(400, seed=2)
    t = data.nodes[data.target]["time"].to_numpy()
    rep = latency_report(data, cutoff_quantile=0.7, batch_size=25, max_batches=3)
    assert rep["history"] == int((t <= np.quantile(t, 0.7)).sum())
    assert rep["batches"] == 3 and len(rep["scores"]) == 75
    assert rep["later"] == int((t > rep["cutoff"]).sum()) and rep["later_labelled"] <= rep["later"]
    assert set(rep["scores"].index) <= set(np.flatnonzero(t > rep["cutoff"]))   # only later targets are timed
    assert 0 < rep["p50_s"] <= rep["p95_s"]
    assert rep["auroc"] > 0.7                                          # the planted device ring is found


@pytest.mark.parametrize("kw, match", [({"cutoff_quantile": 1.0}, "cutoff_quantile"),
                                       ({"batch_size": 0}, "batch_size")])
def test_latency_report_bad_parameters(kw, match):
    with pytest.raises(BnplError, match=match):
        latency_report(planted_ring_data(100), **kw)


def test_latency_cli(tmp_path, capsys):
    from bnpl.data.synthetic import WorldConfig, generate_world, save_world

    save_world(generate_world(WorldConfig(seed=0, n_transactions=1000), progress=False), tmp_path / "w")
    out = tmp_path / "lat.json"
    rc = main(["fraud", "latency", "--dataset", "synthetic", "--path", str(tmp_path / "w"), "--batch-size", "50",
               "--batches", "2", "--out", str(out)])
    res = json.loads(out.read_text())
    assert rc == 0 and res["batches"] == 2 and res["p50_s"] > 0 and "scores" not in res
    assert "p95" in capsys.readouterr().out
    rc = main(["fraud", "latency", "--dataset", "amlsim", "--path", str(tmp_path / "nope")])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and len(err.splitlines()) == 1 and "nope" in err


def test_fit_inductive_refuses_a_cutoff_without_known_fraud():
    data = planted_ring_data(200)
    first_fraud = data.labels.query("label == 1")["label_time"].min()
    with pytest.raises(BnplError, match="both classes.*later cutoff"):
        fit_inductive(data, cutoff=float(first_fraud) - 0.5)


def test_skipping_out_of_fold_passes_leaves_non_training_rows_unchanged():
    from bnpl.fraud.features import graph_features

    data = planted_ring_data(300, seed=3)
    train = np.arange(0, 300, 2)
    oof = graph_features(data, train, causal=True)
    fast = graph_features(data, train, causal=True, label_folds=0)
    rest = np.setdiff1d(np.arange(300), train)
    np.testing.assert_allclose(fast.iloc[rest].to_numpy(float), oof.iloc[rest].to_numpy(float))
    assert not np.allclose(fast.iloc[train].to_numpy(float), oof.iloc[train].to_numpy(float), equal_nan=True)


def test_scorer_refuses_its_own_training_nodes():
    data = planted_ring_data(300, seed=1)
    t = data.nodes[data.target]["time"].to_numpy()
    scorer = fit_inductive(data, cutoff=float(np.quantile(t, 0.6)))
    with pytest.raises(BnplError, match="trained on"):
        scorer.score(data, scorer.train_ids[:3], now=float(t.max()))
