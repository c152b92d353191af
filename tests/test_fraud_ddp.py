"""DistributedDataParallel training of the fraud GNN (bnpl.fraud.ddp) and its k-hop mini-batches."""
from __future__ import annotations

import json
import os

import numpy as np
import pytest
import torch
import torch.multiprocessing as mp

from bnpl.data.subset import label_vector
from bnpl.errors import BnplError
from bnpl.fraud.graph import build_homogeneous_graph
from bnpl.fraud.minibatch import (
    SubgraphBatches,
    induced_subgraph,
    neighbor_sampling_available,
)
from bnpl.fraud.nets import GNN_NAMES
from bnpl.fraud.train import TrainConfig, model_inputs, setup
from tests.fixtures.planted import planted_ring_data


@pytest.mark.parametrize("name", GNN_NAMES)
def test_khop_batch_gives_the_seeds_their_whole_graph_outputs(name):
    """A 2-layer network on the seeds' 2-hop subgraph scores them as it does on the whole graph."""
    data = planted_ring_data(120)
    g, y = build_homogeneous_graph(data), label_vector(data)
    train = np.arange(0, 120, 2)
    net, _, _, _ = setup(name, g, y, train, seed=0, cfg=TrainConfig(hidden=8))
    net.eval()
    batches = SubgraphBatches(g, y, train, type(net).structure, hops=2, batch_size=7, seed=0)
    steps = list(batches(0, np.random.default_rng(0)))
    assert sum(len(s.target) for s in steps) == len(train)
    step, (nodes, _) = steps[0], next(batches.neighbourhoods(batches.shard(0)[:7]))   # the first batch
    seeds = nodes[step.target]
    assert len(nodes) < g.x.shape[0]                                   # a real subgraph, not the graph
    with torch.no_grad():
        full = net(model_inputs(g.x, y, np.setdiff1d(train, seeds.numpy()), None))[seeds]   # seeds hidden
        sub = net(step.x, step.structure)[step.target]
    torch.testing.assert_close(sub, full, rtol=1e-5, atol=1e-6)


def test_induced_subgraph_keeps_directions_and_relations():
    g = build_homogeneous_graph(planted_ring_data(30))
    nodes = torch.tensor([5, 3, 4])
    sub = induced_subgraph(g, nodes)
    kept = {(int(nodes[s]), int(nodes[d]), int(t)) for (s, d), t in zip(sub.edge_index.T, sub.edge_type, strict=True)}
    want = {(int(s), int(d), int(t)) for (s, d), t in zip(g.edge_index.T, g.edge_type, strict=True)
            if int(s) in {3, 4, 5} and int(d) in {3, 4, 5}}
    assert kept == want and kept


def test_fanout_without_pyg_lib_is_refused_in_one_line():
    if neighbor_sampling_available():
        pytest.skip("pyg-lib or torch-sparse is installed: NeighborLoader can sample here")
    g = build_homogeneous_graph(planted_ring_data(30))
    with pytest.raises(BnplError, match="--fanout: PyG's NeighborLoader needs pyg-lib"):
        SubgraphBatches(g, label_vector(planted_ring_data(30)), np.arange(10), lambda h: None, 2, 4, 0, fanout=5)


def _rank(rank: int, world: int, port: int, out: str, mlflow_uri: str) -> None:
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), RANK=str(rank), WORLD_SIZE=str(world),
                      LOCAL_RANK=str(rank), LOCAL_WORLD_SIZE=str(world), MLFLOW_TRACKING_URI=mlflow_uri)
    import torch.distributed as dist

    from bnpl.fraud.ddp import DistributedOptions, init_processes, train_distributed

    init_processes("gloo")
    try:
        opts = DistributedOptions(model="sage", epochs=6, hidden=16, lr=0.03, batch_size=24, patience=6,
                                  checkpoint_every=3, mlflow="ddp-test")
        res = train_distributed(planted_ring_data(200), opts, out)
        torch.save(res.network.state_dict(), os.path.join(out, f"rank{rank}.pt"))
    finally:
        dist.destroy_process_group()


def test_two_cpu_processes_end_with_identical_weights(tmp_path):
    from bnpl.fraud.ddp import free_port

    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    mp.spawn(_rank, args=(2, free_port(), str(tmp_path), uri), nprocs=2, join=True)
    w0, w1 = (torch.load(tmp_path / f"rank{r}.pt") for r in (0, 1))
    assert w0.keys() == w1.keys()
    assert all(torch.equal(w0[k], w1[k]) for k in w0)
    res = json.loads((tmp_path / "results.json").read_text())
    losses = [h["loss"] for h in res["history"]]
    assert res["processes"] == 2 and res["backend"] == "gloo" and len(losses) == 6
    assert losses[-1] < losses[0]
    assert 0 <= res["test"]["auprc"] <= 1
    assert (tmp_path / "checkpoint.pt").exists() and (tmp_path / "model.pt").exists()
    from mlflow.tracking import MlflowClient

    client = MlflowClient(uri)
    runs = client.search_runs([client.get_experiment_by_name("ddp-test").experiment_id])
    assert len(runs) == 1                                  # rank 0 only
    assert len(client.get_metric_history(runs[0].info.run_id, "loss")) == 6


@pytest.mark.parametrize("flag,value,message", [
    ("--epochs", "0", "--epochs must be >= 1 (got 0)"),
    ("--batch-size", "-3", "--batch-size must be >= 1 (got -3)"),
    ("--lr", "inf", "--lr must be a positive number (got inf)"),
])
def test_bad_option_is_one_line_before_any_work(tmp_path, capsys, flag, value, message):
    from bnpl.fraud.ddp import main

    rc = main(["--dataset", "synthetic", "--path", str(tmp_path / "missing"), "--out", str(tmp_path / "o"), flag, value])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and err == f"bnpl.fraud.ddp: error: {message}"
    assert not (tmp_path / "o").exists()
