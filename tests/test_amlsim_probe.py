"""The AMLSim stage-2 probe script (experiments/amlsim/stage2_probe.py) on a planted account graph."""
import pytest
from experiments.amlsim import stage2_probe

from bnpl.data.subset import label_vector
from tests.fixtures.amlsim import planted, write_amlsim


def _probe():
    return stage2_probe


def test_probe_scores_every_variant_on_validation():
    probe = _probe()
    data = planted()
    y = label_vector(data)
    ei = probe.transfer_edge_index(data)
    assert (ei[0] != ei[1]).all() and ei.shape[1] % 2 == 0          # undirected, no self-loops
    out = probe.probe_seed(data, y, 0, {}, ei)
    assert {"base", "fold_seed+1000", "rf", "et", "cs_correct", "cs_smooth"} <= set(out)
    assert not any(k.startswith("TEST") for k in out)
    assert all(0.0 <= v <= 1.0 for v in out.values())
    assert out["base"] > 2 * y.mean()                                 # the planted rings are found


def test_probe_main_reads_amlsim_files_and_reports_test_only_when_asked(tmp_path):
    data = planted()
    y = label_vector(data)
    write_amlsim(data, tmp_path)
    table = _probe().main([str(tmp_path), "--seeds", "0", "--report-test"])
    assert {"TEST base", "TEST fold_seed+1000", "TEST fold_seed+2000"} <= set(table.index)
    assert table.loc["base", "vs_base"] == 0 and table.loc["TEST base", "vs_base"] == 0
    assert table.loc["TEST base", 0] > 2 * y.mean()


def test_probe_bad_path_is_one_line(tmp_path):
    with pytest.raises(SystemExit, match="error: .*nodes.csv"):
        _probe().main([str(tmp_path)])
