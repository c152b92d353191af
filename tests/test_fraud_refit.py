"""The refit on training + validation labels: rounds replayed, test labels never used, both metrics kept."""
import numpy as np
import pandas as pd
import pytest

from bnpl.data.splits import random_stratified_split, temporal_split
from bnpl.data.subset import label_vector
from bnpl.fraud.benchmark import BenchmarkConfig, refit_ids, run_seed
from bnpl.fraud.boosting import Rounds, fit_lgbm
from bnpl.fraud.graph import build_homogeneous_graph
from bnpl.fraud.train import TrainConfig, train_gnn
from tests.fixtures.planted import planted_ring_data as tiny


def _xy(n=600, seed=0):
    rng = np.random.default_rng(seed)
    x = pd.DataFrame(rng.normal(size=(n, 4)), columns=list("abcd"))
    y = (x["a"] + 0.5 * rng.normal(size=n) > 1).astype(int).to_numpy()
    return x, y


def test_rounds_record_then_replay_without_validation():
    x, y = _xy()
    ids = np.arange(len(y))
    train, val = ids[ids % 3 != 0], ids[ids % 3 == 0]
    log = Rounds()
    first = fit_lgbm(x, y, train, val, 0, rounds=log)
    second = fit_lgbm(x, y, train, val, 1, rounds=log)
    assert log.log == [first.best_iteration_, second.best_iteration_]
    assert 1 <= log.log[0] < 500                      # early stopping chose it
    replay = log.replay()
    assert replay.replaying and not log.replaying
    refit = fit_lgbm(x, y, ids, val[:0], 0, rounds=replay)   # no validation set needed
    assert refit.n_estimators == log.log[0] and refit.booster_.num_trees() == log.log[0]
    fit_lgbm(x, y, ids, val[:0], 0, rounds=replay)
    with pytest.raises(RuntimeError, match="more LightGBM fits"):
        fit_lgbm(x, y, ids, val[:0], 0, rounds=replay)


def test_refit_ids_random_is_train_plus_val_never_test():
    d = tiny(n=300)
    split = random_stratified_split(d, test_size=0.3, val_size=0.2, seed=0)
    ids = refit_ids(split, d)
    assert set(ids) == set(split.train) | set(split.val)
    assert not set(ids) & set(split.test)


def test_refit_ids_temporal_drops_validation_labels_not_yet_known():
    d = tiny(n=300)
    split = temporal_split(d, val_frac=0.2, test_frac=0.2)
    lab = d.labels.copy()
    late = split.val[:5]                              # their labels arrive after the test period starts
    lab.loc[lab["node_id"].isin(late), "label_time"] = split.val_cutoff + 1.0
    d.labels = lab
    ids = refit_ids(split, d)
    known = lab.set_index("node_id")["label_time"]
    matured = {v for v in split.val if known[v] <= split.val_cutoff}
    assert set(ids) == set(split.train) | matured
    assert not set(ids) & (set(late) | set(split.test))
    assert 0 < len(matured) < len(split.val)


def test_gnn_without_validation_trains_the_given_epochs():
    d = tiny(n=200)
    g = build_homogeneous_graph(d)
    y = label_vector(d)
    ids = np.arange(200)
    res = train_gnn("sage", g, y, ids[ids % 2 == 0], ids[:0], seed=0, cfg=TrainConfig(epochs=3, hidden=8))
    assert len(res.history) == 3 and res.best_epoch == 2 and np.isnan(res.val_auprc)
    assert res.scores.shape == (200,) and np.isfinite(res.scores).all()


def test_run_seed_reports_refit_and_train_only_metrics():
    d = tiny(n=400)
    kw = dict(models=["lgbm_graph", "lgbm_collective", "sage", "hybrid"], epochs=4, hidden=8,
              test_size=0.3, val_size=0.2)
    on = run_seed(d, BenchmarkConfig(**kw), seed=0, progress=False)
    off = run_seed(d, BenchmarkConfig(refit=False, **kw), seed=0, progress=False)
    assert on.refitted and not off.refitted
    split = on.split
    assert set(on.refit_ids) == set(split.train) | set(split.val)
    for name in kw["models"]:
        a, b = on.models[name], off.models[name]
        # selection and threshold come from the train-only fit, identical with and without the refit
        assert a.metrics["val_auprc"] == pytest.approx(b.metrics["val_auprc"])
        assert a.metrics["auprc_no_refit"] == pytest.approx(b.metrics["auprc"])
        assert "auprc_no_refit" not in b.metrics
        assert not np.allclose(a.scores, b.scores)   # the refit is another model


def test_temporal_split_does_not_refit_unless_asked():
    d = tiny(n=300)
    kw = dict(split="temporal", models=["lgbm_graph"], test_size=0.2, val_size=0.2)
    default = run_seed(d, BenchmarkConfig(**kw), seed=0, progress=False)
    assert "auprc_no_refit" not in default.models["lgbm_graph"].metrics
    assert set(default.refit_ids) == set(default.split.train)
    asked = run_seed(d, BenchmarkConfig(refit=True, **kw), seed=0, progress=False)
    assert "auprc_no_refit" in asked.models["lgbm_graph"].metrics
