"""The AMLSim label-ceiling diagnostic (experiments/amlsim/label_ceiling.py) on a planted account graph."""
import json

import numpy as np
import pytest
from experiments.amlsim import label_ceiling

from bnpl.data.subset import label_vector
from bnpl.fraud.features import relation_structures
from tests.fixtures.amlsim import planted, write_amlsim


def _ceiling():
    return label_ceiling


def test_oracle_features_never_read_own_label_or_unknown_labels():
    mod, data = _ceiling(), planted()
    y = label_vector(data)
    rels = relation_structures(data)
    known = np.arange(len(y)) % 3 != 0                                 # a third of the labels hidden
    base = mod.oracle_soft_features(data, y, known, folds=4, seed=0, relations=rels)
    node = int(np.flatnonzero(known & (y == 1))[0])
    flipped = y.copy()
    flipped[node] = 0
    moved = mod.oracle_soft_features(data, flipped, known, folds=4, seed=0, relations=rels)
    assert np.allclose(base.iloc[node].to_numpy(), moved.iloc[node].to_numpy())     # its own fold is hidden
    assert not np.allclose(base.to_numpy(), moved.to_numpy())                        # others do see it
    hidden = int(np.flatnonzero(~known & (y == 1))[0])
    flipped = y.copy()
    flipped[hidden] = 0
    same = mod.oracle_soft_features(data, flipped, known, folds=4, seed=0, relations=rels)
    assert np.allclose(base.to_numpy(), same.to_numpy(), equal_nan=True)           # unknown labels unread


def test_ceiling_seed_orders_the_references():
    mod, data = _ceiling(), planted(n=800)
    y = label_vector(data)
    out = mod.ceiling_seed(data, y, 0, folds=5, label_free=None)
    assert {"stage1", "stage2", "oracle_labelled", "oracle_all", "gap_closed"} == set(out)
    assert all(0.0 <= out[k] <= 1.0 for k in ("stage1", "stage2", "oracle_labelled", "oracle_all"))
    assert out["stage1"] > 2 * y.mean()
    assert out["oracle_all"] > out["oracle_labelled"]        # the test accounts' true labels add to the rings


def test_ceiling_main_writes_json_and_rejects_bad_input(tmp_path):
    write_amlsim(planted(), tmp_path)
    out = tmp_path / "ceiling.json"
    table = _ceiling().main([str(tmp_path), "--seeds", "0", "--folds", "4", "--out", str(out)])
    saved = json.loads(out.read_text())
    assert set(saved) == {"0", "mean"}
    assert saved["mean"]["oracle_all"] == pytest.approx(table.loc["mean", "oracle_all"])
    assert not list(tmp_path.glob("*.tmp"))
    with pytest.raises(SystemExit, match="--folds must be at least 2"):
        _ceiling().main([str(tmp_path), "--folds", "1"])
    with pytest.raises(SystemExit, match="error: .*missing: no such file"):
        _ceiling().main([str(tmp_path / "missing")])
