"""Past-only context of a target's shared entities (merchant, location, type ...) for temporal evaluation.

A fraud campaign shows before any of its labels arrive: a merchant suddenly paid by customers never
seen before. For every entity linked to a target these features describe the entity's recent past,
from unlabelled facts only:

* ``{e}_age``: time since the entity's first target;
* ``{e}_span{k}``: time spanned by its ``k`` previous targets (burst speed over a longer window);
* ``{e}_newcomer_share{k}``: share of its ``k`` previous targets made by a newcomer, i.e. the first
  target of the customer entity (the linked entity type with the most distinct values, the payer);
* ``{e}_customer_history{k}``: mean ``log1p`` of those customers' earlier target counts.

The customer type is a schema fact (the type with the most distinct entities), not a value read from
the rows. Chosen on S-FFSD's temporal validation period by backward elimination of feature groups
(validation AUPRC, seeds 0-2): a mean of the previous targets' amounts was dropped there.

Past-only: a target sees the rows of the same entity ordered before it by ``(time, row order)``,
so a row tied in time with the current one counts only when it comes earlier in the table, as in
:func:`bnpl.fraud.features.sequence_features`. Labels are never read.
"""
from __future__ import annotations

import numpy as np

from bnpl.fraud.features import sequence_features, window_sums


def entity_age(ent: np.ndarray, time: np.ndarray) -> np.ndarray:
    """Time since the entity's first target (0 for its first one)."""
    first = np.full(int(ent.max()) + 1, np.inf)
    np.minimum.at(first, ent, time)
    return time - first[ent]


def past_window_mean(group: np.ndarray, time: np.ndarray, values: np.ndarray, k: int) -> np.ndarray:
    """Mean of ``values`` over the ``k`` rows of the same group before each row (NaN for a group's first row)."""
    total = window_sums(group, time, values, k, causal=True)
    count = window_sums(group, time, np.ones(len(group)), k, causal=True)
    return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def newcomer_flags(ent: np.ndarray, time: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(is the entity's first target, number of the entity's earlier targets) per row."""
    prior = sequence_features("e", ent, time, spans=())["e_prior_count"]
    return (prior == 0).astype(float), prior


def entity_context(links: list[tuple[str, str, np.ndarray]], time: np.ndarray,
                   windows: tuple[int, ...] = (10, 50)) -> dict[str, np.ndarray]:
    """The module's features for every linked entity (``links`` as :func:`bnpl.fraud.features.entity_links`)."""
    if not links:
        return {}
    customer = max(range(len(links)), key=lambda i: len(np.unique(links[i][2])))
    new, prior = newcomer_flags(links[customer][2], time)
    f: dict[str, np.ndarray] = {}
    for i, (name, _, ent) in enumerate(links):
        f[f"{name}_age"] = entity_age(ent, time)
        if i == customer:
            continue
        f[f"{name}_span{max(windows)}"] = sequence_features(name, ent, time, spans=(max(windows),))[
            f"{name}_span{max(windows)}"]
        for k in windows:
            f[f"{name}_newcomer_share{k}"] = past_window_mean(ent, time, new, k)
            f[f"{name}_customer_history{k}"] = past_window_mean(ent, time, np.log1p(prior), k)
    return f
