"""GNN models of the zoo (networks in :mod:`bnpl.fraud.nets`, training in :mod:`bnpl.fraud.train`) and the
hybrid: a GNN's embeddings plus the graph features into LightGBM."""
from __future__ import annotations

import numpy as np
import pandas as pd

from bnpl.fraud.boosting import Rounds, lgbm_scores
from bnpl.fraud.models.base import FraudModel, Pass
from bnpl.fraud.train import GNNResult


class Gnn(FraudModel):
    """A GNN of :mod:`bnpl.fraud.nets`, early-stopped on validation AUPRC; the refit trains as many
    epochs as validation chose."""
    needs_graph = True
    reads_graph_features = False
    epoch: int | None = None

    def _trained(self, p: Pass, name: str) -> GNNResult:
        if p.refit:
            assert self.epoch is not None     # set by the first (non-refit) pass
            return p.gnn(name, epochs=self.epoch + 1)
        res = p.gnn(name)
        self.epoch = res.best_epoch
        return res

    def fit(self, p: Pass) -> np.ndarray:
        return self._trained(p, self.name).scores

    refit = fit


class Sage(Gnn):
    name = "sage"


class GATv2(Gnn):
    name = "gatv2"


class RGCN(Gnn):
    name = "rgcn"


class EgoNeigh(Gnn):
    name = "ego_neigh"


class DirSage(Gnn):
    name = "dir_sage"


class Hybrid(Gnn):
    """LightGBM on the graph features plus the embeddings of the GNN ``hybrid_base`` (shared with that
    GNN's own entry when both run)."""
    name = "hybrid"
    reads_graph_features = True

    def fit(self, p: Pass) -> np.ndarray:
        return self._hybrid(p, self.rounds)

    def refit(self, p: Pass) -> np.ndarray:
        return self._hybrid(p, self.rounds.replay())

    def _hybrid(self, p: Pass, rounds: Rounds) -> np.ndarray:
        base = self._trained(p, self.hybrid_base)
        emb = pd.DataFrame(base.embeddings, columns=[f"gnn_{i}" for i in range(base.embeddings.shape[1])])
        return lgbm_scores(pd.concat([p.features, emb], axis=1), p.y, p.train, p.val, p.seed, rounds=rounds)
