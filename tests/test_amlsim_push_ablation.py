"""The pushed-mass ablation script (experiments/amlsim_push_ablation.py) on a planted account graph."""
import numpy as np
import pytest

import bnpl.fraud.collective as collective
import bnpl.fraud.features as features
from bnpl.fraud.graph import label_vector
from tests.amlsim_fixture import load_script, planted, write_amlsim


def _ablation():
    return load_script("amlsim_push_ablation")


def test_without_push_drops_exactly_the_push_columns_and_restores():
    mod, data = _ablation(), planted()
    y = label_vector(data)
    original = features.flow_label_block
    with_push = mod.validation_auprc(data, y, 0, {})
    with mod.without_push():
        assert features.flow_label_block is not original and collective.flow_label_block is not original
        no_push = mod.validation_auprc(data, y, 0, {})
    assert features.flow_label_block is original and collective.flow_label_block is original
    # stage 2 sees 3 pushed-mass columns from the training labels and 3 from the soft labels
    assert with_push["push_columns"] == 6 and no_push["push_columns"] == 0
    assert with_push["stage1"] > 2 * y.mean() and no_push["stage1"] > 2 * y.mean()


def test_without_push_restores_after_an_error():
    mod = _ablation()
    original = features.flow_label_block
    with pytest.raises(RuntimeError), mod.without_push():
        raise RuntimeError("boom")
    assert features.flow_label_block is original and collective.flow_label_block is original


def test_ablation_main_prints_gains_and_rejects_a_bad_path(tmp_path):
    write_amlsim(planted(), tmp_path)
    table = _ablation().main([str(tmp_path), "--seeds", "0"])
    assert list(table.index) == [0, "mean"]
    assert np.isclose(table.loc[0, "stage2_gain"], table.loc[0, "stage2_with"] - table.loc[0, "stage2_without"])
    with pytest.raises(SystemExit, match="error: .*missing"):
        _ablation().main([str(tmp_path / "missing")])
