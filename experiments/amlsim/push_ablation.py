"""Validation ablation of the pushed fraud mass features on AMLSim (how they were adopted).

The pushed-mass features (`<relation>_in_push`, `_out_push`, `_und_push` in
`bnpl.fraud.features.labels.flow_label_block`) let each known fraud neighbour, or each soft-labelled one in
stage 2, spread one unit over its edges, so a low-degree ring partner counts more than a busy fraud
hub. This script builds `lgbm_collective` without a refit twice per seed, with and without those
features (stage 1 and stage 2 both rebuilt), and prints validation AUPRC only: the test nodes are never
read.

    .venv/bin/python -m experiments.amlsim.push_ablation ../shared/data/fraud/amlsim-20k-cycle200 --seeds 0 1 2 3 4 5

About 3 minutes on 2 cores for six seeds (measured times: docs/benchmarks.md).
"""
from __future__ import annotations

import argparse

import pandas as pd
from sklearn.metrics import average_precision_score
from tqdm import tqdm

from bnpl.fraud.boosting import lgbm_scores
from bnpl.fraud.features import label_free_features
from experiments.amlsim.common import load_amlsim_or_exit, stages

PUSH_SUFFIX = "_push"


def validation_auprc(data, y, seed: int, label_free=None, push: bool = True) -> dict[str, float]:
    """Validation AUPRC of stage 1 and stage 2 (no refit) for one seed, with or without the pushed-mass
    features (the benchmark's ``push`` switch, stage 1 and stage 2), and their feature counts."""
    st = stages(data, y, seed, label_free, push=push)
    va = st.split.val
    x2 = st.stage2_features(seed)
    second = lgbm_scores(x2, y, st.split.train, va, seed)
    return {"stage1": float(average_precision_score(y[va], st.first[va])),
            "stage2": float(average_precision_score(y[va], second[va])),
            "push_columns": float(sum(c.endswith(PUSH_SUFFIX) for c in x2.columns))}


def main(argv=None) -> pd.DataFrame:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("path", help="AMLSim folder (nodes.csv / accounts.csv + transactions)")
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4, 5])
    args = ap.parse_args(argv)
    data, y = load_amlsim_or_exit(args.path)
    label_free = label_free_features(data)
    rows = {}
    for seed in tqdm(args.seeds, desc="seeds"):
        with_push = validation_auprc(data, y, seed, label_free)
        no_push = validation_auprc(data, y, seed, label_free, push=False)
        rows[seed] = {f"{k}_with": v for k, v in with_push.items()} | {f"{k}_without": v for k, v in no_push.items()}
    table = pd.DataFrame(rows).T
    table.index.name = "seed"
    for stage in ("stage1", "stage2"):
        table[f"{stage}_gain"] = table[f"{stage}_with"] - table[f"{stage}_without"]
    table.loc["mean"] = table.mean()
    print(table.drop(columns=["push_columns_with", "push_columns_without"]).round(4).to_string())
    return table


if __name__ == "__main__":
    main()
