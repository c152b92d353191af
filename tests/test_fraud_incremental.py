"""Incremental inductive scoring: running per-entity state gives the features (and scores) of the batch
recomputation over the whole history."""
import numpy as np
import pytest

from bnpl.data.subset import restrict_to_time
from bnpl.data.synthetic import WorldConfig, generate_world, world_to_fraud_data
from bnpl.errors import BnplError
from bnpl.fraud.features import graph_features
from bnpl.fraud.incremental import fit_incremental
from bnpl.fraud.inductive import _kept
from tests.fixtures.planted import planted_ring_data


def _batches(data, scorer, size, n):
    t = data.nodes[data.target]["time"].to_numpy()
    new = np.flatnonzero(t > scorer.cutoff)
    new = new[np.lexsort((new, t[new]))]
    return [new[b * size:(b + 1) * size] for b in range(min(n, len(new) // size))], t


@pytest.mark.parametrize("make", [lambda: planted_ring_data(400, seed=2, with_transfers=False),
                                  lambda: world_to_fraud_data(generate_world(WorldConfig(seed=0, n_transactions=2000),
                                                                             progress=False))])
def test_incremental_features_equal_the_batch_recomputation(make):
    data = make()
    t = data.nodes[data.target]["time"].to_numpy()
    inc = fit_incremental(data, cutoff=float(np.quantile(t, 0.7)))
    batches, t = _batches(data, inc, 40, 3)
    assert len(batches) == 3
    for ids in batches:
        now = float(t[ids].max())
        mine = inc.features(now).loc[ids, inc.base.columns].to_numpy(float)
        kept = _kept(data, now)
        full = graph_features(restrict_to_time(data, now), np.searchsorted(kept, inc.base.train_ids), causal=True,
                              seed=0, label_folds=0).iloc[np.searchsorted(kept, ids)][inc.base.columns]
        np.testing.assert_allclose(mine, full.to_numpy(float), rtol=0, atol=1e-9)
        assert np.isfinite(mine).any(axis=0).sum() > 0.8 * mine.shape[1]       # not an all-NaN comparison


def test_incremental_scores_equal_the_recomputing_scorer_and_refuse_repeats():
    data = planted_ring_data(400, seed=3, with_transfers=False)
    t = data.nodes[data.target]["time"].to_numpy()
    inc = fit_incremental(data, cutoff=float(np.quantile(t, 0.7)))
    (ids,), t = _batches(data, inc, 50, 1)
    now = float(t[ids].max())
    np.testing.assert_allclose(inc.score(ids, now), inc.base.score(data, ids, now), rtol=0, atol=1e-12)
    with pytest.raises(BnplError, match="did not arrive"):
        inc.score(ids, now)                                  # already in the state


def test_incremental_refuses_target_to_target_relations():
    data = planted_ring_data(300, seed=1)                   # transactions follow transactions
    t = data.nodes[data.target]["time"].to_numpy()
    with pytest.raises(BnplError, match="target-to-target"):
        fit_incremental(data, cutoff=float(np.quantile(t, 0.6)))


def test_ring_keys_added_later_use_the_spare_rows_then_grow():
    from bnpl.fraud.incremental import _Ring

    r = _Ring(np.array([0, 0, 1]), 2, {"time": np.array([1.0, 2.0, 3.0])}, width=3, spare=1)
    assert len(r.count) == 3 and r.count.tolist() == [2, 1, 0]
    before = r.ring["time"]
    r.grow(3)                                   # key 2 fits in the spare row: no copy
    r.push(2, {"time": 4.0})
    assert r.ring["time"] is before
    r.grow(5)                                   # key 4 does not: the rows double (one copy)
    r.push(4, {"time": 5.0})
    assert len(r.count) == 6 and r.ring["time"] is not before
    assert [r.back(0, "time", 1), r.back(0, "time", 2), r.back(2, "time", 1), r.back(4, "time", 1)] == [2.0, 1.0, 4.0, 5.0]
    assert np.isnan(r.back(1, "time", 2)) and np.isnan(r.back(3, "time", 1))
