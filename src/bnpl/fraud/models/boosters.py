"""LightGBM models of the zoo: on own columns, on graph features, stacked and collective."""
from __future__ import annotations

import numpy as np

from bnpl.fraud.boosting import Rounds, fit_lgbm, lgbm_scores, stacked_lgbm_scores
from bnpl.fraud.collective import collective_scores, score_aggregates
from bnpl.fraud.features import graph_features, tabular_features
from bnpl.fraud.models.base import FraudModel, Pass


class TabularBooster(FraudModel):
    """LightGBM on the target node's own columns only."""
    name = "lgbm_tabular"
    reads_graph_features = False

    def scores(self, p: Pass, rounds: Rounds) -> np.ndarray:
        return lgbm_scores(tabular_features(p.data), p.y, p.train, p.val, p.seed, rounds=rounds)


class GraphBooster(FraudModel):
    """LightGBM on the graph features (GADBench's XGB-Graph idea). ``booster``: the first fit's model
    (notebook 02 explains it)."""
    name = "lgbm_graph"
    booster = None

    def scores(self, p: Pass, rounds: Rounds) -> np.ndarray:
        model = fit_lgbm(p.features, p.y, p.train, p.val, p.seed, rounds=rounds)
        if not p.refit:
            self.booster = model
        return model.predict_proba(p.features)[:, 1]  # type: ignore[call-overload]  # lightgbm stub: predict_proba's return Union includes list


class StackedBooster(FraudModel):
    """``lgbm_graph`` plus neighbours' out-of-fold scores (collective classification by stacking)."""
    name = "lgbm_stacked"

    def scores(self, p: Pass, rounds: Rounds) -> np.ndarray:
        return stacked_lgbm_scores(p.features, p.y, p.train, p.val, p.seed,
                                   lambda sc: score_aggregates(p.data, sc), rounds=rounds)


class CollectiveBooster(FraudModel):
    """``lgbm_graph`` plus label features recomputed on soft labels, leakage-free
    (:mod:`bnpl.fraud.collective`); stage 1 is ``lgbm_graph``'s scores of the pass when it ran before."""
    name = "lgbm_collective"

    def scores(self, p: Pass, rounds: Rounds) -> np.ndarray:
        def features_for(ids):
            return graph_features(p.data, ids, causal=p.causal, seed=p.seed, label_free=p.label_free, push=self.push)

        return collective_scores(p.data, p.features, p.y, p.train, p.val, p.seed, features_for,
                                 first_stage=p.scores.get(GraphBooster.name), rounds=rounds,
                                 relations=p.label_free.relations, push=self.push)
