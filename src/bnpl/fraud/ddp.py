"""The fraud GNN trained with DistributedDataParallel over several processes, one per CPU socket or GPU:

    torchrun --nproc-per-node 2 -m bnpl.fraud.ddp --dataset synthetic --path data/synthetic/default \\
        --model sage --epochs 20 --out runs/ddp/sage

Backend gloo on CPU, nccl when CUDA is available (process ``LOCAL_RANK`` on GPU ``LOCAL_RANK``). The
training nodes of the dataset registry's split are sharded across the processes and trained in k-hop
subgraph mini-batches (:mod:`bnpl.fraud.minibatch`; ``--fanout`` samples neighbours with PyG's
``NeighborLoader`` where pyg-lib is installed) through the same loop, networks and label trick as the
full-batch benchmark (:func:`bnpl.fraud.train.fit`). Inputs are the node features and the label
channels (no graph-feature columns). Rank 0 evaluates on the whole graph after every epoch (early
stopping on validation AUPRC; its decision is broadcast), writes ``checkpoint.pt`` every
``--checkpoint-every`` epochs (``--resume`` continues from it), ``results.json`` and ``model.pt`` into
``--out``, and alone logs to MLflow (``--mlflow EXPERIMENT``). Without torchrun it runs as one process.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import cast

import numpy as np
import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel

from bnpl.config import THREADS
from bnpl.data.datasets import FRAUD_DATASET_NAMES
from bnpl.data.normalised import FraudData
from bnpl.errors import BnplError
from bnpl.fraud.checkpoint import Checkpointing
from bnpl.fraud.defaults import DEFAULT_EPOCHS, DEFAULT_HIDDEN, DEFAULT_PATIENCE
from bnpl.fraud.minibatch import SubgraphBatches, neighbor_sampling_available, to_device
from bnpl.fraud.train import (
    GNNResult,
    Processes,
    TrainConfig,
    checkpoint_meta,
    fit,
    full_graph_evaluation,
    model_inputs,
    setup,
)


@dataclass
class DistributedOptions:
    """What a distributed run trains: model, split, seed, mini-batches, checkpoints."""
    model: str = "sage"
    split: str = "random"
    seed: int = 0
    epochs: int = DEFAULT_EPOCHS
    hidden: int = DEFAULT_HIDDEN
    layers: int = 2
    lr: float = 0.01
    patience: int = DEFAULT_PATIENCE
    batch_size: int = 512
    fanout: int | None = None          # NeighborLoader neighbours per hop; None: exact k-hop subgraphs
    checkpoint_every: int = 5
    resume: bool = False
    mlflow: str | None = None          # MLflow experiment that rank 0 logs to; None: no MLflow

    def check(self) -> None:
        for name in ("epochs", "hidden", "layers", "patience", "batch_size", "checkpoint_every"):
            if getattr(self, name) < 1:
                raise BnplError(f"--{name.replace('_', '-')} must be >= 1 (got {getattr(self, name)})")
        if self.fanout is not None and self.fanout < 1:
            raise BnplError(f"--fanout must be >= 1 (got {self.fanout})")
        if self.fanout is not None and not neighbor_sampling_available():
            raise BnplError("--fanout: PyG's NeighborLoader needs pyg-lib or torch-sparse, which are not installed "
                            "(leave --fanout out for exact k-hop subgraphs)")
        if not (self.lr > 0 and np.isfinite(self.lr)):
            raise BnplError(f"--lr must be a positive number (got {self.lr})")


class ProcessGroup(Processes):
    """The processes of the default ``torch.distributed`` group: rank 0 evaluates and decides."""

    def __init__(self):
        self.rank = dist.get_rank()
        self.world = dist.get_world_size()
        self.is_main = self.rank == 0

    def agree(self, stop: bool) -> bool:
        flag = [stop]
        dist.broadcast_object_list(flag, src=0)
        return bool(flag[0])

    def gather(self, obj: object) -> list:
        out: list = [None] * self.world
        dist.all_gather_object(out, obj)
        return out


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now (for a group of processes on one machine)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def init_processes(backend: str | None = None) -> tuple[str, torch.device]:
    """Join the process group torchrun describes in the environment (a group of one without torchrun):
    nccl with this process's GPU when CUDA is available, else gloo on the CPU (or ``backend``)."""
    os.environ.setdefault("RANK", "0")
    os.environ.setdefault("WORLD_SIZE", "1")
    os.environ.setdefault("MASTER_ADDR", "127.0.0.1")
    os.environ.setdefault("MASTER_PORT", str(free_port()))
    backend = backend or ("nccl" if torch.cuda.is_available() else "gloo")
    if backend == "nccl":
        device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
        torch.cuda.set_device(device)
    else:
        device = torch.device("cpu")
        torch.set_num_threads(max(1, THREADS // int(os.environ.get("LOCAL_WORLD_SIZE", os.environ["WORLD_SIZE"]))))
    dist.init_process_group(backend)
    return backend, device


def train_distributed(data: FraudData, opts: DistributedOptions, out: str | Path, test_size: float = 0.3,
                      val_size: float = 0.1) -> GNNResult:
    """Train on ``data`` in the current process group (see the module docstring); every rank returns its
    :class:`~bnpl.fraud.train.GNNResult` (scores only on rank 0), rank 0 writes into ``out``."""
    from bnpl.data.subset import label_vector
    from bnpl.fraud.benchmark import make_split
    from bnpl.fraud.graph import build_homogeneous_graph

    opts.check()
    out = Path(out)
    group = ProcessGroup()
    device = torch.device("cuda", torch.cuda.current_device()) if dist.get_backend() == "nccl" else torch.device("cpu")
    split = make_split(data, opts.split, opts.seed, test_size, val_size)
    train, val = np.asarray(split.train), np.asarray(split.val)
    y, g = label_vector(data), build_homogeneous_graph(data)
    cfg = TrainConfig(epochs=opts.epochs, hidden=opts.hidden, layers=opts.layers, lr=opts.lr, patience=opts.patience)
    net, opt, loss_fn, _ = setup(opts.model, g, y, train, opts.seed, cfg)
    net.to(device)
    loss_fn.to(device)
    model = DistributedDataParallel(net, device_ids=[device.index] if device.type == "cuda" else None)
    batches = SubgraphBatches(g, y, train, type(net).structure, cfg.layers, opts.batch_size, opts.seed,
                              group.rank, group.world, opts.fanout, cfg.label_trick, device=device)
    evaluate = full_graph_evaluation(g, y, val, model_inputs(g.x, y, train, None).to(device),
                                     to_device(net.structure(g), device))
    meta = checkpoint_meta(opts.model, g, train, opts.seed, cfg, processes=group.world, split=opts.split,
                           batch_size=opts.batch_size, fanout=opts.fanout)
    run_id = start_mlflow(opts, group) if opts.mlflow else None
    started = time.time()

    def on_epoch(record: dict) -> None:
        if group.is_main:
            print(f"epoch {record['epoch']}: loss {record['loss']:.4f} val AUPRC {record['val_auprc']:.4f}", flush=True)
            if run_id:
                from bnpl import tracking

                tracking.log_metrics({k: v for k, v in record.items() if k != "epoch"}, step=record["epoch"],
                                     run_id=run_id)

    try:
        res = fit(net, opt, loss_fn, batches, evaluate, cfg, np.random.default_rng(opts.seed), has_val=len(val) > 0,
                  model=model, processes=group, checkpoint=Checkpointing(out / "checkpoint.pt", opts.checkpoint_every,
                                                                         opts.resume),
                  meta=meta, on_epoch=on_epoch, desc=opts.model)
    except BaseException:
        if run_id:
            from bnpl.tracking import _client

            _client().set_terminated(run_id, "FAILED")
        raise
    if group.is_main:
        write_results(out, res, y, split, opts, group.world, dist.get_backend(), time.time() - started, run_id)
    return res


def start_mlflow(opts: DistributedOptions, group: ProcessGroup) -> str | None:
    """Rank 0: a new MLflow run in experiment ``opts.mlflow`` with the options as parameters; other ranks: None."""
    if not group.is_main:
        return None
    from bnpl.tracking import _client, ensure_experiment, log_params

    client = _client()
    run = client.create_run(ensure_experiment(client, cast(str, opts.mlflow)), run_name=f"ddp-{opts.model}")
    log_params({**asdict(opts), "processes": group.world, "backend": dist.get_backend()}, run_id=run.info.run_id)
    return run.info.run_id


def write_results(out: Path, res: GNNResult, y: np.ndarray, split, opts: DistributedOptions, world: int,
                  backend: str, seconds: float, run_id: str | None) -> None:
    """``results.json`` (test metrics at the best epoch, the history, how it ran) and ``model.pt``."""
    from bnpl.fraud.checkpoint import save_checkpoint
    from bnpl.fraud.metrics import fraud_metrics
    from bnpl.io import write_json

    te, va = np.asarray(split.test), np.asarray(split.val)
    metrics = fraud_metrics(y[te], res.scores[te], y[va], res.scores[va])
    sampler = (f"NeighborLoader, fanout {opts.fanout}" if opts.fanout else f"exact {opts.layers}-hop subgraphs")
    write_json(out / "results.json", {
        "options": asdict(opts), "processes": world, "backend": backend, "mini_batches": sampler,
        "best_epoch": res.best_epoch, "val_auprc": res.val_auprc, "test": metrics, "seconds": seconds,
        "history": res.history, "mlflow_run_id": run_id})
    assert res.network is not None
    save_checkpoint(out / "model.pt", res.network.state_dict())
    if run_id:
        from bnpl import tracking

        tracking.log_metrics({f"test_{k}": v for k, v in metrics.items()}, run_id=run_id)
        tracking.log_artifact(out / "results.json", run_id=run_id)
        tracking._client().set_terminated(run_id, "FINISHED")


def parse_args(argv: list[str] | None = None) -> tuple[argparse.Namespace, DistributedOptions]:
    p = argparse.ArgumentParser(prog="python -m bnpl.fraud.ddp", description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--dataset", required=True, choices=FRAUD_DATASET_NAMES)
    p.add_argument("--path", required=True, help="dataset file or folder")
    p.add_argument("--out", required=True, help="run folder: checkpoint.pt, results.json, model.pt")
    d = DistributedOptions()
    p.add_argument("--model", default=d.model, choices=["sage", "gatv2", "rgcn", "ego_neigh", "dir_sage"])
    p.add_argument("--split", default=d.split, choices=["random", "temporal"])
    for name in ("seed", "epochs", "hidden", "layers", "patience", "batch_size", "checkpoint_every"):
        p.add_argument(f"--{name.replace('_', '-')}", type=int, default=getattr(d, name))
    p.add_argument("--lr", type=float, default=d.lr)
    p.add_argument("--fanout", type=int, default=None,
                   help="neighbours sampled per node and hop by PyG's NeighborLoader (needs pyg-lib); "
                        "default: exact k-hop subgraphs" + ("" if neighbor_sampling_available() else
                                                            " (pyg-lib is not installed here)"))
    p.add_argument("--resume", action="store_true", help="continue from OUT/checkpoint.pt when it exists")
    p.add_argument("--mlflow", metavar="EXPERIMENT", default=None, help="log rank 0's metrics to this MLflow experiment")
    args = p.parse_args(argv)
    opts = DistributedOptions(**{k: getattr(args, k) for k in asdict(d)})
    return args, opts


def main(argv: list[str] | None = None) -> int:
    args, opts = parse_args(argv)
    try:
        from bnpl.data.datasets import fraud_dataset
        from bnpl.io import check_output

        opts.check()
        check_output(args.out, folder=True)
        dataset = fraud_dataset(args.dataset)
        data = dataset.load(args.path)
        init_processes()
        try:
            train_distributed(data, opts, args.out, dataset.test_size, dataset.val_size)
        finally:
            dist.destroy_process_group()
    except BnplError as e:
        print(f"bnpl.fraud.ddp: error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
