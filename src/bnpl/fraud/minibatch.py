"""Mini-batches of GNN training for one process of several: a shard of the training nodes, cut into
batches of seed nodes, each batch the subgraph around its seeds.

* Sharding: torch's ``DistributedSampler`` (shuffled per epoch from the seed; every process gets the same
  number of seeds, padded by repeats, so every process makes the same number of optimiser steps, which
  DistributedDataParallel requires).
* Neighbourhood: with ``fanout=None`` the exact k-hop neighbourhood of the seeds over edges in both
  directions (``torch_geometric.utils.k_hop_subgraph``, pure PyTorch): a k-layer network gives the seeds
  the same outputs on it as on the whole graph. With a ``fanout`` the nodes PyG's ``NeighborLoader``
  samples, at most ``fanout`` neighbours per node and hop, which bounds a batch on graphs with hubs (a
  merchant with a million transactions); ``NeighborLoader`` needs ``pyg-lib`` or ``torch-sparse``
  (:func:`neighbor_sampling_available`).
* The batch is the subgraph the chosen nodes induce (original edge directions and relation types, so
  direction- and relation-aware networks see what they see on the whole graph), as a :class:`HomGraph`
  whose ``structure`` the network computes.
* Label trick per batch: the seeds' own labels are hidden and the loss is theirs; the other training
  nodes of the subgraph show their labels (as at evaluation, where every training label is shown).
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
import torch
from torch.utils.data.distributed import DistributedSampler
from torch_geometric.utils import k_hop_subgraph, subgraph

from bnpl.errors import BnplError
from bnpl.fraud.graph import HomGraph
from bnpl.fraud.train import Step, model_inputs


def neighbor_sampling_available() -> bool:
    """Whether PyG's ``NeighborLoader`` can sample here (it needs ``pyg-lib`` or ``torch-sparse``)."""
    from torch_geometric.typing import WITH_PYG_LIB, WITH_TORCH_SPARSE

    return bool(WITH_PYG_LIB or WITH_TORCH_SPARSE)


def induced_subgraph(g: HomGraph, nodes: torch.Tensor) -> HomGraph:
    """The subgraph of ``g`` that ``nodes`` induce, node ``nodes[i]`` renumbered ``i``."""
    ei, et = subgraph(nodes, g.edge_index, edge_attr=g.edge_type, relabel_nodes=True, num_nodes=g.x.shape[0])
    return HomGraph(g.x[nodes], ei, et, g.relations, g.node_type[nodes], int((nodes < g.n_target).sum()))


def to_device(obj, device: torch.device):
    """A tensor, or a list / tuple of tensors (a network's structure), on ``device``."""
    if isinstance(obj, (list, tuple)):
        return type(obj)(to_device(o, device) for o in obj)
    return obj.to(device)


@dataclass
class SubgraphBatches:
    """``batches(epoch, rng)``: this process's :class:`~bnpl.fraud.train.Step` s of one epoch (see the module
    docstring). ``y``: label per target node (-1 unlabelled); ``structure``: the network's
    ``structure(HomGraph)``; ``extra``: extra inputs of every node of ``g`` or None."""
    g: HomGraph
    y: np.ndarray
    train: np.ndarray
    structure: Callable[[HomGraph], object]
    hops: int
    batch_size: int
    seed: int
    rank: int = 0
    world: int = 1
    fanout: int | None = None
    label_trick: bool = True
    extra: torch.Tensor | None = None
    device: torch.device = torch.device("cpu")

    def __post_init__(self):
        if self.batch_size < 1 or self.hops < 1:
            raise BnplError(f"mini-batches: batch size and hops must be >= 1 (got {self.batch_size}, {self.hops})")
        if self.fanout is not None and not neighbor_sampling_available():
            raise BnplError("--fanout: PyG's NeighborLoader needs pyg-lib or torch-sparse, which are not installed "
                            "(leave --fanout out for exact k-hop subgraphs)")
        n = self.g.x.shape[0]
        self.node_y = np.full(n, -1, dtype=np.int64)
        self.node_y[: self.g.n_target] = self.y
        self.is_train = np.zeros(n, dtype=bool)           # rows whose label may be shown
        if self.label_trick:
            self.is_train[self.train] = True
        self.both_ways = torch.cat([self.g.edge_index, self.g.edge_index.flip(0)], 1)

    def shard(self, epoch: int) -> torch.Tensor:
        """This process's training nodes in epoch ``epoch``, shuffled."""
        # a range is a valid map-style dataset (len + getitem); torch's stub asks for Dataset
        sampler: DistributedSampler[int] = DistributedSampler(
            range(len(self.train)), num_replicas=self.world, rank=self.rank,  # type: ignore[arg-type]
            shuffle=True, seed=self.seed)
        sampler.set_epoch(epoch)
        return torch.as_tensor(self.train, dtype=torch.long)[list(sampler)]

    def neighbourhoods(self, shard: torch.Tensor) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        """(nodes of the batch, positions of its seeds among them) per batch of ``shard``."""
        n = self.g.x.shape[0]
        if self.fanout is None:
            for seeds in shard.split(self.batch_size):
                nodes, _, pos, _ = k_hop_subgraph(seeds, self.hops, self.both_ways, num_nodes=n)
                yield nodes, pos
            return
        from torch_geometric.data import Data
        from torch_geometric.loader import NeighborLoader

        loader = NeighborLoader(Data(edge_index=self.both_ways, num_nodes=n), num_neighbors=[self.fanout] * self.hops,
                                input_nodes=shard, batch_size=self.batch_size, shuffle=False)
        for batch in loader:                      # seeds come first in batch.n_id
            yield batch.n_id, torch.arange(batch.batch_size)

    def __call__(self, epoch: int, rng: np.random.Generator) -> Iterator[Step]:
        for nodes, pos in self.neighbourhoods(self.shard(epoch)):
            rows = nodes.numpy()
            shown = self.is_train[rows].copy()
            shown[pos.numpy()] = False                         # a seed never sees its own label
            extra = None if self.extra is None else self.extra[nodes]
            x = model_inputs(self.g.x[nodes], self.node_y[rows], np.flatnonzero(shown), extra)
            structure = self.structure(induced_subgraph(self.g, nodes))
            y = torch.as_tensor(self.node_y[rows[pos.numpy()]], dtype=torch.float32)
            yield Step(x.to(self.device), to_device(structure, self.device), pos.to(self.device), y.to(self.device))
