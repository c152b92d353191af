"""Collective classification: stage 2 reads neighbours' stage-1 scores.

:func:`score_aggregates` (``lgbm_stacked``) aggregates neighbours' out-of-fold scores over the graph.
The rest of this module is ``lgbm_collective``, collective classification without self-label leakage.

Stage 1 (``lgbm_graph``) finds the targets whose own transfers look like fraud. Their neighbours are
found through them: stage 2 recomputes the label features (known-fraud neighbours at 1 and 2 hops in
and out, reciprocal partners, triangles, label propagation, the maximum and the number of likely-fraud
neighbours; per shared entity, its fraud rate) on *soft labels*: the training label where it is known,
the stage-1 score elsewhere. So an unlabelled neighbour that stage 1 is sure of counts like a known one.

Leakage: a neighbour's stage-1 score depends on the labels that entered that neighbour's features,
which include the node's own label. So the training nodes are split into ``folds``; for fold ``k``
stage 1 is rebuilt from scratch without fold ``k``'s labels (features and model), and fold ``k``'s
soft-label features come from that rebuild only. Validation and test nodes use the stage 1 fitted on
all training labels. No node's own label reaches its stage-2 features, directly or through a neighbour.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from bnpl.data.normalised import FraudData
from bnpl.data.subset import target_time
from bnpl.fraud.boosting import Rounds, lgbm_scores
from bnpl.fraud.features import (
    Relation,
    adjacency,
    entity_label_block,
    entity_links,
    flow_label_block,
    relation_structures,
    target_relations,
    window_sums,
)

FOLD_STREAM = 202     # RNG stream of the stage-1 rebuild folds: default_rng([seed, FOLD_STREAM])


def score_aggregates(data: FraudData, score: np.ndarray, windows: tuple[int, ...] = (3, 10)) -> pd.DataFrame:
    """Neighbours' model scores (collective classification, stage 2 of stacking): for each shared entity the
    mean score of its other targets and of its nearest targets in time; for target-to-target relations
    max / mean / sum of in- and out-neighbours' scores at 1 and 2 hops."""
    n = data.num_nodes(data.target)
    time = target_time(data)
    ones = np.ones(n)
    f: dict[str, np.ndarray] = {}
    for name, _, ent in entity_links(data):
        tot = np.bincount(ent, weights=score)[ent] - score
        cnt = np.bincount(ent)[ent] - 1.0
        f[f"{name}_nb_score_mean"] = tot / np.maximum(cnt, 1)
        if time is not None:
            for k in windows:
                f[f"{name}_win{k}_score"] = window_sums(ent, time, score, k, False) / np.maximum(
                    window_sums(ent, time, ones, k, False), 1)
    for (_, r, _), df in target_relations(data):
        a = adjacency(df, n)
        for d, m in (("out", a), ("in", a.T.tocsr())):
            deg = np.maximum(np.asarray(m.sum(1)).ravel(), 1)
            s1 = m @ score
            f[f"{r}_{d}nb_score_sum"] = s1
            f[f"{r}_{d}nb_score_mean"] = s1 / deg
            f[f"{r}_{d}nb_score_max"] = np.asarray(m.multiply(score[None, :]).max(1).todense()).ravel()
            f[f"{r}_{d}2nb_score_mean"] = (m @ (s1 / deg)) / deg
    return pd.DataFrame(f)


def soft_label_features(data: FraudData, soft: np.ndarray, thresholds: tuple[float, ...] = (0.5, 0.9),
                        relations: tuple[Relation, ...] | None = None, push: bool = True) -> pd.DataFrame:
    """Label features of every target node computed from ``soft`` (a fraud probability per target node:
    1/0 for known labels, a model score elsewhere). Per shared entity: its other targets' summed and mean
    soft label; per target-to-target relation: the :func:`~bnpl.fraud.features.flow_label_block` family
    plus, in and out separately, the highest neighbour's soft label and the number of neighbours above
    each of ``thresholds``. ``relations``: :func:`relation_structures` (computed here when not given);
    ``push``: include the pushed soft-label mass."""
    n = data.num_nodes(data.target)
    soft = np.asarray(soft, dtype=np.float64)
    ones = np.ones(n)
    f: dict[str, np.ndarray] = {}
    prior = float(soft.mean()) if n else 0.0
    for name, _, ent in entity_links(data):
        f.update({k: v for k, v in entity_label_block(f"{name}_soft", ent, soft, ones, prior).items()
                  if not k.endswith("_known")})
    for rel in relation_structures(data) if relations is None else relations:
        r, a = rel.name, rel.adjacency
        block = flow_label_block(f"{r}_soft", a, soft, ones, rel.structure, push=push)
        f.update({k: v for k, v in block.items() if "known" not in k})
        for d, m in (("out", a), ("in", rel.structure["in"])):
            f[f"{r}_soft_{d}_max"] = np.asarray(m.multiply(soft[None, :]).max(1).todense()).ravel()
            for th in thresholds:
                f[f"{r}_soft_{d}_n{int(th * 100)}"] = m @ (soft > th).astype(np.float64)
    return pd.DataFrame(f, index=range(n))


def _soft_labels(score: np.ndarray, y: np.ndarray, known: np.ndarray) -> np.ndarray:
    p = np.asarray(score, dtype=np.float64).copy()
    p[known] = y[known]
    return p


def collective_features(data: FraudData, y: np.ndarray, train: np.ndarray, val: np.ndarray, seed: int,
                        features_for: Callable[[np.ndarray], pd.DataFrame], first_stage: np.ndarray,
                        folds: int = 3, rounds: Rounds | None = None, relations: tuple[Relation, ...] | None = None,
                        push: bool = True) -> pd.DataFrame:
    """Soft-label features of every target node (see the module docstring): from ``first_stage`` (stage-1
    scores fitted on all training labels) for validation / test nodes; for training fold ``k`` from a
    stage 1 rebuilt on the other folds' labels (``features_for(ids)``: stage-1 features from the labels
    of ``ids`` only). ``rounds``: see :func:`~bnpl.fraud.boosting.fit_lgbm`. ``relations``:
    :func:`~bnpl.fraud.features.relation_structures` of ``data`` (computed here when not given); ``push``: see
    :func:`soft_label_features`."""
    train = np.asarray(train)
    rels = relation_structures(data) if relations is None else relations
    soft = soft_label_features(data, _soft_labels(first_stage, y, train), relations=rels, push=push)
    fold = np.random.default_rng([seed, FOLD_STREAM]).integers(0, folds, len(train))
    for k in range(folds):
        rows, seen = train[fold == k], train[fold != k]
        if len(rows) == 0:
            continue
        fk = features_for(seen)
        sk = lgbm_scores(fk, y, seen, val, seed, rounds=rounds)
        soft.iloc[rows] = soft_label_features(data, _soft_labels(sk, y, seen), relations=rels,
                                              push=push).iloc[rows].to_numpy()
    return soft


def collective_scores(data: FraudData, feats: pd.DataFrame, y: np.ndarray, train: np.ndarray, val: np.ndarray,
                      seed: int, features_for: Callable[[np.ndarray], pd.DataFrame],
                      first_stage: np.ndarray | None = None, folds: int = 3,
                      rounds: Rounds | None = None, relations: tuple[Relation, ...] | None = None,
                      push: bool = True) -> np.ndarray:
    """Stage-2 fraud scores: LightGBM on ``feats`` (stage-1 features from all training labels) plus
    :func:`collective_features`; ``first_stage`` are the scores of the stage-1 model on ``feats``
    (fitted here when not given). ``rounds``, ``relations``, ``push``: see :func:`collective_features`."""
    if first_stage is None:
        first_stage = lgbm_scores(feats, y, train, val, seed, rounds=rounds)
    soft = collective_features(data, y, train, val, seed, features_for, first_stage, folds, rounds, relations, push)
    return lgbm_scores(pd.concat([feats.reset_index(drop=True), soft], axis=1), y, train, val, seed, rounds=rounds)
