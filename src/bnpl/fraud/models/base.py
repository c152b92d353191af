"""The interface every fraud model of the benchmark implements, and what one pass gives it.

A seed of the benchmark makes one or two *passes*: the first fit on the training labels (early-stopped
on validation) and, with a refit, a second on training + validation labels. A :class:`Pass` holds what
every model of that pass reads (labels, ids, graph features, the homogeneous graph) and what models of
the same pass share (the GNNs trained so far, the scores of earlier models).

A :class:`FraudModel` is made once per seed. ``fit(first_pass)`` returns a score per target node and
records what validation chose (boosting rounds in :attr:`FraudModel.rounds`, a GNN's best epoch);
``refit(refit_pass)`` makes the same fits on the refit's labels with those choices, validation unread.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import ClassVar

import numpy as np
import pandas as pd

from bnpl.data.normalised import FraudData
from bnpl.fraud.boosting import Rounds
from bnpl.fraud.features import LabelFreeFeatures
from bnpl.fraud.graph import HomGraph
from bnpl.fraud.train import GNNResult, TrainConfig, train_gnn


@dataclass
class Pass:
    """Inputs of one pass over the zoo (first fit or refit)."""
    data: FraudData
    y: np.ndarray                       # 1/0 per target node, -1 unlabelled
    train: np.ndarray                   # labelled ids the models fit on
    val: np.ndarray                     # validation ids (early stopping; unread by a refit)
    seed: int
    features: pd.DataFrame              # graph_features from the labels of ``train``
    label_free: LabelFreeFeatures
    train_config: TrainConfig
    graph: HomGraph | None = None       # homogeneous graph, for GNNs
    extra: np.ndarray | None = None     # scaled graph features as extra GNN inputs
    refit: bool = False
    progress: bool = False
    scores: dict[str, np.ndarray] = field(default_factory=dict)      # earlier models' scores in this pass
    gnns: dict[str, GNNResult] = field(default_factory=dict)         # GNNs trained in this pass

    @property
    def causal(self) -> bool:
        return self.label_free.causal

    def gnn(self, name: str, epochs: int | None = None) -> GNNResult:
        """GNN ``name`` trained on this pass's labels (once per pass, shared by the GNN and the hybrid):
        early-stopped on validation, or with ``epochs`` epochs and no validation (the refit)."""
        if name not in self.gnns:
            assert self.graph is not None     # GNN passes carry the graph
            if epochs is None:
                res = train_gnn(name, self.graph, self.y, self.train, self.val, self.seed, self.train_config,
                                extra=self.extra, progress=self.progress)
            else:
                res = train_gnn(name, self.graph, self.y, self.train, self.val[:0], self.seed,
                                replace(self.train_config, epochs=epochs), extra=self.extra, progress=self.progress)
            self.gnns[name] = res
        return self.gnns[name]


class FraudModel:
    """Base class: subclasses set ``name`` and implement ``scores(p, rounds)``; GNN-based ones override
    ``fit`` / ``refit``."""

    name: ClassVar[str] = "base"
    #: needs the homogeneous graph (GNNs)
    needs_graph: ClassVar[bool] = False
    #: reads the graph features (their build time counts towards its seconds)
    reads_graph_features: ClassVar[bool] = True

    def __init__(self, hybrid_base: str = "dir_sage", push: bool = True):
        self.rounds = Rounds()
        self.hybrid_base = hybrid_base      # the GNN whose embeddings the hybrid reads
        self.push = push                    # the pushed fraud mass in features this model builds itself

    def fit(self, p: Pass) -> np.ndarray:
        """Scores of every target node, fitted on ``p.train`` and early-stopped on ``p.val``."""
        return self.scores(p, self.rounds)

    def refit(self, p: Pass) -> np.ndarray:
        """The fits of :meth:`fit` on ``p.train`` with the rounds / epochs validation chose."""
        return self.scores(p, self.rounds.replay())

    def scores(self, p: Pass, rounds: Rounds) -> np.ndarray:
        raise NotImplementedError
