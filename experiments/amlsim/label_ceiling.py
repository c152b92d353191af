"""How far `lgbm_collective` is from the ceiling of its own feature family on AMLSim (a diagnostic).

`lgbm_collective` recomputes neighbour-label features on *soft labels*: the known label of a training
account, a model score for every other account. This script asks what the same second stage would reach
if those soft labels were the *true* labels, test accounts included, so it reads the test labels on
purpose and is never used to choose anything. Per seed, on the benchmark's random split (no refit,
early-stopped on validation like the benchmark's first fit), it reports test AUPRC of:

- ``stage1``: `lgbm_graph` (label features from the training labels only);
- ``stage2``: the benchmark's `lgbm_collective` second stage (soft labels from stage-1 scores);
- ``oracle_labelled``: the stage-1 features plus soft-label features from the true labels of the training
  and validation accounts only, every other account at the base rate (what the labelled accounts alone
  carry);
- ``oracle_all``: the same with the true labels of *all* accounts, test accounts included.

In both oracles the accounts are split into ``--folds`` random folds and an account's own fold is hidden
(set to the base rate), so no account sees its own label; with 20 folds each account sees 95 % of the
others. ``gap_closed`` is (stage2 - stage1) / (oracle_all - stage1): the share of what perfect neighbour
labels would add that the soft labels already recover.

    .venv/bin/python -m experiments.amlsim.label_ceiling ../shared/data/fraud/amlsim-20k-cycle200 --seeds 0 1 2


About a minute on 2 cores for three seeds (measured times: docs/benchmarks.md).
"""
from __future__ import annotations

import argparse

import numpy as np
import pandas as pd
from sklearn.metrics import average_precision_score
from tqdm import tqdm

from bnpl.fraud.boosting import lgbm_scores
from bnpl.fraud.collective import soft_label_features
from bnpl.fraud.features import label_free_features
from bnpl.io import write_json
from experiments.amlsim.common import load_amlsim_or_exit, stages

ORACLE_STREAM = 303     # RNG stream of the oracle folds: default_rng([seed, ORACLE_STREAM])


def oracle_soft_features(data, y: np.ndarray, known: np.ndarray, folds: int, seed: int,
                         relations: tuple) -> pd.DataFrame:
    """:func:`~bnpl.fraud.collective.soft_label_features` from true labels where ``known`` (a boolean mask),
    their base rate elsewhere; each account's row is computed with its own random fold hidden as well (the
    base rate too comes from the other folds only)."""
    fold = np.random.default_rng([seed, ORACLE_STREAM]).integers(0, folds, len(y))
    out = None
    for k in range(folds):
        rows = np.flatnonzero(fold == k)
        if len(rows) == 0:
            continue
        seen = known & (fold != k)
        soft = np.where(seen, y, y[seen].mean()).astype(np.float64)
        fk = soft_label_features(data, soft, relations=relations)
        if out is None:
            out = fk.copy()
        out.iloc[rows] = fk.iloc[rows].to_numpy()
    return out


def ceiling_seed(data, y: np.ndarray, seed: int, folds: int, label_free=None) -> dict[str, float]:
    """Test AUPRC of stage 1, stage 2 and the two oracles for one seed (see the module docstring)."""
    st = stages(data, y, seed, label_free)
    relations = st.relations
    tr, va, te = (np.asarray(i) for i in (st.split.train, st.split.val, st.split.test))
    feats = st.feats
    scores = {"stage1": st.first, "stage2": lgbm_scores(st.stage2_features(seed), y, tr, va, seed)}
    labelled = np.zeros(len(y), dtype=bool)
    labelled[np.r_[tr, va]] = True
    for name, known in (("oracle_labelled", labelled), ("oracle_all", np.ones(len(y), dtype=bool))):
        x = pd.concat([feats, oracle_soft_features(data, y, known, folds, seed, relations)], axis=1)
        scores[name] = lgbm_scores(x, y, tr, va, seed)
    out = {k: float(average_precision_score(y[te], s[te])) for k, s in scores.items()}
    span = out["oracle_all"] - out["stage1"]
    out["gap_closed"] = (out["stage2"] - out["stage1"]) / span if span > 0 else float("nan")
    return out


def main(argv=None) -> pd.DataFrame:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("path", help="AMLSim folder (nodes.csv / accounts.csv + transactions)")
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--folds", type=int, default=20, help="oracle folds; an account's own fold is hidden")
    ap.add_argument("--out", help="write the table as JSON here")
    args = ap.parse_args(argv)
    if args.folds < 2:
        raise SystemExit(f"error: --folds must be at least 2 (got {args.folds})")
    data, y = load_amlsim_or_exit(args.path)
    label_free = label_free_features(data)
    rows = {s: ceiling_seed(data, y, s, args.folds, label_free) for s in tqdm(args.seeds, desc="seeds")}
    table = pd.DataFrame(rows).T
    table.index.name = "seed"
    table.loc["mean"] = table.mean()
    print(table.round(4).to_string())
    if args.out:
        write_json(args.out, {str(k): v for k, v in table.to_dict(orient="index").items()})
    return table


if __name__ == "__main__":
    main()
