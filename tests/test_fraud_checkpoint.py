"""Fraud GNN training resumes from its last checkpoint and ends as if never interrupted (issue 15)."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from bnpl.data.subset import label_vector
from bnpl.errors import BnplError
from bnpl.fraud.checkpoint import Checkpointing
from bnpl.fraud.graph import build_homogeneous_graph
from bnpl.fraud.train import TrainConfig, train_gnn
from tests.fixtures.planted import planted_ring_data


class Interrupted(Exception):
    pass


def _problem():
    data = planted_ring_data(150)
    ids = np.arange(150)
    return build_homogeneous_graph(data), label_vector(data), ids[ids % 3 != 0], ids[ids % 3 == 0]


def _same(a, b) -> None:
    wa, wb = a.network.state_dict(), b.network.state_dict()
    assert wa.keys() == wb.keys() and all(torch.equal(wa[k], wb[k]) for k in wa)
    assert np.array_equal(a.scores, b.scores) and a.best_epoch == b.best_epoch
    assert [h["loss"] for h in a.history] == [h["loss"] for h in b.history]


@pytest.mark.parametrize("name,patience", [("sage", 9), ("dir_sage", 2)])
def test_resumed_training_ends_with_the_uninterrupted_weights(tmp_path, name, patience):
    """Interrupted after epoch 4 (last checkpoint: epoch 3), resumed; dir_sage early-stops after the
    interruption, so what early stopping counts is restored too; resuming a finished run trains no more."""
    g, y, train, val = _problem()
    cfg = TrainConfig(epochs=9, hidden=8, patience=patience)
    extra = np.random.default_rng(0).normal(size=(len(y), 3))
    whole = train_gnn(name, g, y, train, val, seed=3, cfg=cfg, extra=extra)
    assert 5 < len(whole.history) <= 9 and (patience == 9) == (len(whole.history) == 9)

    def stop_after_epoch_4(record):
        if record["epoch"] == 4:
            raise Interrupted
    ck = Checkpointing(tmp_path / "run" / "checkpoint.pt", every=2, resume=True)
    with pytest.raises(Interrupted):
        train_gnn(name, g, y, train, val, seed=3, cfg=cfg, extra=extra, checkpoint=ck, on_epoch=stop_after_epoch_4)
    assert torch.load(ck.path, weights_only=True)["epoch"] == 3           # the last checkpoint before it
    resumed = train_gnn(name, g, y, train, val, seed=3, cfg=cfg, extra=extra, checkpoint=ck)
    _same(whole, resumed)
    again = train_gnn(name, g, y, train, val, seed=3, cfg=cfg, extra=extra, checkpoint=ck, on_epoch=stop_after_epoch_4)
    _same(whole, again)
    assert [p.name for p in ck.path.parent.iterdir()] == ["checkpoint.pt"]    # no temporary files left


def test_a_checkpoint_of_other_settings_or_a_corrupt_one_is_refused(tmp_path):
    g, y, train, val = _problem()
    ck = Checkpointing(tmp_path / "checkpoint.pt", every=1, resume=True)
    train_gnn("sage", g, y, train, val, seed=0, cfg=TrainConfig(epochs=2, hidden=8), checkpoint=ck)
    with pytest.raises(BnplError, match=r"checkpoint\.pt: checkpoint of another run \(hidden: 8 there, 16 now"):
        train_gnn("sage", g, y, train, val, seed=0, cfg=TrainConfig(epochs=2, hidden=16), checkpoint=ck)
    ck.path.write_bytes(ck.path.read_bytes()[:100])
    with pytest.raises(BnplError, match=r"checkpoint\.pt: not a readable checkpoint"):
        train_gnn("sage", g, y, train, val, seed=0, cfg=TrainConfig(epochs=2, hidden=8), checkpoint=ck)
    with pytest.raises(BnplError, match="checkpoint every: must be >= 1"):
        Checkpointing(ck.path, every=0)


def test_distributed_run_extended_from_its_checkpoint_matches_one_long_run(tmp_path, monkeypatch):
    """A one-process group: 3 epochs, then --resume to 6, ends where 6 epochs in one go end."""
    import torch.distributed as dist

    from bnpl.fraud.ddp import (
        DistributedOptions,
        free_port,
        init_processes,
        train_distributed,
    )

    for k, v in dict(RANK="0", WORLD_SIZE="1", LOCAL_WORLD_SIZE="1", MASTER_ADDR="127.0.0.1",
                     MASTER_PORT=str(free_port())).items():
        monkeypatch.setenv(k, v)
    init_processes("gloo")
    try:
        data = planted_ring_data(150)
        opts = dict(model="gatv2", hidden=8, batch_size=32, patience=6, checkpoint_every=2)
        whole = train_distributed(data, DistributedOptions(epochs=6, **opts), tmp_path / "whole")
        train_distributed(data, DistributedOptions(epochs=3, **opts), tmp_path / "parts")
        resumed = train_distributed(data, DistributedOptions(epochs=6, resume=True, **opts), tmp_path / "parts")
    finally:
        dist.destroy_process_group()
    _same(whole, resumed)
    assert len(resumed.history) == 6
