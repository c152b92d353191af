"""Features of the target nodes for gradient boosting (GADBench's RF/XGB-Graph idea), built in the order
the package's modules read:

1. :mod:`~bnpl.fraud.features.structure` (label-free): own columns; for every entity the target shares
   (payer, merchant, device ...) that entity's statistics over its other targets; for target-to-target
   relations (transfers between accounts) in/out flow statistics, closed-walk counts and pass-through
   signals, neighbours' aggregates; mean 1/2-hop aggregates over the homogeneous projection.
2. :mod:`~bnpl.fraud.features.sequence` (label-free, past-only): velocity of every entity and entity
   pair and, in causal mode, the past-only context of every shared entity (age, burst speed, share of
   newcomer customers: the early sign of a fraud campaign).
3. :mod:`~bnpl.fraud.features.edge_scores` and :mod:`~bnpl.fraud.features.labels` (training labels
   only): out-of-fold edge-model scores per account; per-entity label rates, 1/2-hop known-fraud
   neighbours, pushed fraud mass and community labels, out of fold.

:func:`label_free_features` computes steps 1-2 once into a frozen :class:`LabelFreeFeatures`, which
:func:`graph_features` reuses for every set of training labels (per-fold rebuilds, refits, seeds).
Only training labels enter features, and a node never sees its own label. With ``causal=True``
per-entity statistics use only earlier targets (for temporal evaluation), raw time is left out, and
per-entity label features use only labels at least ``label_delay`` old (:func:`default_label_delay`).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from bnpl.data.normalised import FraudData
from bnpl.data.subset import label_vector, target_time
from bnpl.errors import BnplError
from bnpl.fraud.features.blocks import column_frame, merged_frames
from bnpl.fraud.features.edge_scores import edge_score_features
from bnpl.fraud.features.labels import (
    default_label_delay,
    entity_label_block,
    flow_label_block,
    out_of_fold_label_features,
    train_label_channels,
)
from bnpl.fraud.features.sequence import (
    entity_context,
    pair_sequences,
    sequence_features,
    window_sums,
)
from bnpl.fraud.features.structure import (
    Relation,
    adjacency,
    cross_counts,
    entity_block,
    entity_links,
    flow_block,
    homogeneous_aggregates,
    neighbour_aggregates,
    pass_through_block,
    relation_structures,
    tabular_features,
    target_relations,
)

__all__ = ["LabelFreeFeatures", "Relation", "adjacency", "default_label_delay", "entity_label_block",
           "entity_links", "flow_label_block", "graph_features", "label_free_features", "relation_structures",
           "sequence_features", "tabular_features", "target_relations", "train_label_channels", "window_sums"]


@dataclass(frozen=True)
class LabelFreeFeatures:
    """Everything :func:`graph_features` computes without reading a label, for one dataset and options.
    ``nodes``: entity / sequence / context columns in column order; ``relation_blocks``: per
    target-to-target relation its flow, pass-through and neighbour-aggregate columns; ``homogeneous``:
    the homogeneous-projection aggregates. Each is a float64 frame of a few column blocks held once
    (:mod:`~bnpl.fraud.features.blocks`): :func:`graph_features` concatenates them with the label columns
    without copying them (pandas copy-on-write)."""
    options: tuple                       # (causal, max_cycle, homogeneous_hops, use_time)
    own: pd.DataFrame
    nodes: pd.DataFrame
    relations: tuple[Relation, ...]
    relation_blocks: dict[str, pd.DataFrame]
    homogeneous: pd.DataFrame

    @property
    def causal(self) -> bool:
        return self.options[0]


def label_free_features(data: FraudData, causal: bool = False, max_cycle: int = 6, homogeneous_hops: int = 2,
                        use_time: bool | None = None) -> LabelFreeFeatures:
    """The label-free part of :func:`graph_features` (see the module docstring), computed once."""
    own = tabular_features(data)
    time = target_time(data)
    n = data.num_nodes(data.target)
    links = entity_links(data)
    value = np.log1p(np.abs(own["amount"].to_numpy(float))) if "amount" in own.columns else None
    # every group of columns becomes a block as soon as it is computed (bnpl.fraud.features.blocks); the
    # column order is the entity blocks, cross counts, sequences, pair sequences, context, time
    entities, sequences, prior = [], [], {}
    for name, _, ent in links:
        seq = sequence_features(name, ent, time, value) if time is not None else None
        entities.append(column_frame(entity_block(name, ent, own, time, seq, causal), n))
        if seq is not None:
            if causal:
                prior[name] = seq[f"{name}_prior_count"]
            sequences.append(column_frame({c: v for c, v in seq.items()
                                           if not c.endswith(("_prior_count", "_gap_prev"))}, n))
    parts = entities + ([column_frame(cross_counts(links), n)] if not causal else [])
    if time is not None:
        parts += sequences + [column_frame(pair_sequences(links, time), n)]
        if causal:
            parts.append(column_frame(entity_context(links, time, prior_counts=prior), n))
    if (not causal if use_time is None else use_time) and time is not None:
        parts.append(column_frame({"time": time}, n))   # by default not in causal mode: out of range after a cutoff, drift
    nodes = merged_frames(parts, n)
    del parts, entities, sequences
    relations = relation_structures(data)
    blocks = {}
    for rel in relations:
        df = rel.edges
        amt = adjacency(df, n, df["amount"].to_numpy(float) if "amount" in df.columns else None)
        structure = {**flow_block(rel.name, rel.adjacency, amt, max_cycle), **pass_through_block(rel.name, df, n)}
        blocks[rel.name] = column_frame({**structure, **neighbour_aggregates(rel.name, df, pd.DataFrame(structure), n)},
                                        n)
    hom = homogeneous_aggregates(data, homogeneous_hops) if homogeneous_hops and not causal else column_frame({}, n)
    return LabelFreeFeatures((causal, max_cycle, homogeneous_hops, use_time), own, nodes, relations, blocks, hom)


def graph_features(data: FraudData, train_ids: np.ndarray, causal: bool = False, max_cycle: int = 6,
                   homogeneous_hops: int = 2, windows: tuple[int, ...] = (1, 3, 10, 30),
                   use_time: bool | None = None, seed: int = 0, edge_model: bool = True,
                   label_delay: float | None = None, label_free: LabelFreeFeatures | None = None,
                   label_folds: int = 5, push: bool = True) -> pd.DataFrame:
    """Own columns plus entity, flow, label-rate and neighbourhood aggregates for every target node;
    with ``edge_model``, out-of-fold transfer-level laundering scores aggregated per node.
    ``label_free``: :func:`label_free_features` of ``data`` with the same options, reused (computed here
    when not given). ``label_folds``: folds of the out-of-fold label features; 0 when only nodes outside
    ``train_ids`` are scored (inductive scoring), which gives them the same values without the per-fold
    passes. ``push``: include the pushed fraud mass columns (an ablation switch)."""
    options = (causal, max_cycle, homogeneous_hops, use_time)
    lf = label_free if label_free is not None else label_free_features(data, *options)
    if lf.options != options:
        raise BnplError(f"graph_features: label_free was computed with options {lf.options}, not {options} "
                        "(causal, max_cycle, homogeneous_hops, use_time)")
    train_ids = np.asarray(train_ids)
    n = data.num_nodes(data.target)
    parts = [lf.nodes]
    for rel in lf.relations:
        parts.append(lf.relation_blocks[rel.name])
        if edge_model:
            parts.append(edge_score_features(rel.edges, n, label_vector(data), train_ids, seed=seed, causal=causal,
                                             tag=f"{rel.name}_edge").reset_index(drop=True))
    parts.append(lf.homogeneous)
    if label_delay is None:
        label_delay = default_label_delay(target_time(data), train_ids) if causal else 0.0
    labels = out_of_fold_label_features(data, train_ids, seed=seed, folds=label_folds, windows=windows,
                                        causal=causal, relations=lf.relations, delay=label_delay, push=push)
    return pd.concat([lf.own, merged_frames(parts, n), labels], axis=1)

