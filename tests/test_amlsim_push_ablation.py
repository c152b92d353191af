"""The pushed-mass ablation script (experiments/amlsim/push_ablation.py) on a planted account graph."""
import numpy as np
import pytest
from experiments.amlsim import push_ablation

from bnpl.data.subset import label_vector
from tests.fixtures.amlsim import planted, write_amlsim


def _ablation():
    return push_ablation


def test_push_switch_drops_exactly_the_push_columns():
    mod, data = _ablation(), planted()
    y = label_vector(data)
    with_push = mod.validation_auprc(data, y, 0)
    no_push = mod.validation_auprc(data, y, 0, push=False)
    # stage 2 sees 3 pushed-mass columns from the training labels and 3 from the soft labels
    assert with_push["push_columns"] == 6 and no_push["push_columns"] == 0
    assert with_push["stage1"] > 2 * y.mean() and no_push["stage1"] > 2 * y.mean()


def test_ablation_main_prints_gains_and_rejects_a_bad_path(tmp_path):
    write_amlsim(planted(), tmp_path)
    table = _ablation().main([str(tmp_path), "--seeds", "0"])
    assert list(table.index) == [0, "mean"]
    assert np.isclose(table.loc[0, "stage2_gain"], table.loc[0, "stage2_with"] - table.loc[0, "stage2_without"])
    with pytest.raises(SystemExit, match="error: .*missing"):
        _ablation().main([str(tmp_path / "missing")])
