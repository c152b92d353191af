"""Validation-AUPRC probe of `lgbm_collective`'s second stage on AMLSim (the README's "tried and not adopted").

For each seed it builds the benchmark's random split, the stage-1 features and the stage-2 soft-label
features once, then scores variants of the second stage on the validation nodes (no refit; the test
nodes are read only with ``--report-test``, for ``base`` and its reseeded copies):

- ``base``: the benchmark's stage 2 (`bnpl.fraud.boosting.fit_lgbm`);
- ``fold_seed+1000`` / ``+2000``: the same stage 2 with another random seed for its folds and boosters,
  i.e. the pipeline's own noise;
- ``spw3``, ``patience100``, ``l2_5``: LightGBM with positive weight 3, early-stopping patience 100,
  L2 penalty 5;
- ``rf``, ``et``, ``lgbm+et``: random forest / extra trees on the same features, and the mean with LightGBM;
- ``cs_correct``, ``cs_smooth``: PyG's Correct & Smooth on the stage-2 probabilities over the undirected
  transfer graph (correction alone, alpha 0.9; correction + smoothing, alpha 0.8).

    .venv/bin/python -m experiments.amlsim.stage2_probe ../shared/data/fraud/amlsim-20k-cycle200 --seeds 0 1 2 3 4 5

About 9 minutes on 2 cores for six seeds (measured times: docs/benchmarks.md). Prints one row per
variant: validation AUPRC per seed, its mean and the difference to ``base``.
"""
from __future__ import annotations

import argparse

import numpy as np
import pandas as pd
import torch
from sklearn.ensemble import ExtraTreesClassifier, RandomForestClassifier
from sklearn.metrics import average_precision_score
from torch_geometric.nn.models import CorrectAndSmooth
from torch_geometric.utils import to_undirected
from tqdm import tqdm

from bnpl.fraud.boosting import fit_lgbm
from bnpl.fraud.features import label_free_features, target_relations
from experiments.amlsim.common import load_amlsim_or_exit, stages


def lgbm_variant(x, y, tr, va, seed, **kw):
    """The benchmark's LightGBM (:func:`~bnpl.fraud.boosting.fit_lgbm`) with ``kw`` changed, up to 2000 rounds."""
    return fit_lgbm(x, y, tr, va, seed, n_estimators=2000, **kw).predict_proba(x)[:, 1]


def correct_and_smooth(score, y, tr, edge_index, smooth: bool):
    cs = CorrectAndSmooth(50, 0.9, 50, 0.8, autoscale=True)
    p = torch.tensor(score, dtype=torch.float)
    soft = torch.stack([1 - p, p], 1)
    mask = torch.zeros(len(y), dtype=torch.bool)
    mask[torch.as_tensor(tr)] = True
    y_tr = torch.as_tensor(y[tr], dtype=torch.long)
    out = cs.correct(soft, y_tr, mask, edge_index)
    if smooth:
        out = cs.smooth(out, y_tr, mask, edge_index)
    return out[:, 1].numpy()


def transfer_edge_index(data) -> torch.Tensor:
    """Undirected, self-loop-free edge index of the target-to-target relations (accounts paying accounts)."""
    rel = pd.concat([df for _, df in target_relations(data)])
    ei = to_undirected(torch.as_tensor(np.vstack([rel["src"].to_numpy(), rel["dst"].to_numpy()]), dtype=torch.long))
    return ei[:, ei[0] != ei[1]]


def probe_seed(data, y, seed, label_free, edge_index, report_test: bool = False) -> dict[str, float]:
    """Validation AUPRC of every variant for one seed (see the module docstring)."""
    st = stages(data, y, seed, label_free)
    split, stage2_features = st.split, st.stage2_features
    tr, va = split.train, split.val
    x = stage2_features(seed)
    base = fit_lgbm(x, y, tr, va, seed).predict_proba(x)[:, 1]
    xf = x.fillna(-1).to_numpy(np.float32)
    trees = {name: cls(300, min_samples_leaf=2, max_features=0.3, n_jobs=2, random_state=seed)
             .fit(xf[tr], y[tr]).predict_proba(xf)[:, 1]
             for name, cls in (("rf", RandomForestClassifier), ("et", ExtraTreesClassifier))}
    scores = {"base": base}
    for off in (1000, 2000):
        xo = stage2_features(seed + off)
        scores[f"fold_seed+{off}"] = fit_lgbm(xo, y, tr, va, seed + off).predict_proba(xo)[:, 1]
    scores |= {"spw3": lgbm_variant(x, y, tr, va, seed, scale_pos_weight=3.0),
               "patience100": lgbm_variant(x, y, tr, va, seed, early_stopping=100),
               "l2_5": lgbm_variant(x, y, tr, va, seed, reg_lambda=5.0),
               **trees, "lgbm+et": (base + trees["et"]) / 2,
               "cs_correct": correct_and_smooth(base, y, tr, edge_index, smooth=False),
               "cs_smooth": correct_and_smooth(base, y, tr, edge_index, smooth=True)}
    out = {k: float(average_precision_score(y[va], s[va])) for k, s in scores.items()}
    if report_test:     # the pipeline's own noise on the test nodes; never used to choose anything
        out |= {f"TEST {k}": float(average_precision_score(y[split.test], scores[k][split.test]))
                for k in ("base", "fold_seed+1000", "fold_seed+2000")}
    return out


def main(argv=None) -> pd.DataFrame:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("path", help="AMLSim folder (nodes.csv / accounts.csv + transactions)")
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4, 5])
    ap.add_argument("--report-test", action="store_true",
                    help="also print the test AUPRC of base and its reseeded copies (how much the pipeline's "
                         "own randomness moves the reported number)")
    args = ap.parse_args(argv)
    data, y = load_amlsim_or_exit(args.path)
    edge_index = transfer_edge_index(data)
    label_free = label_free_features(data)
    rows = {s: probe_seed(data, y, s, label_free, edge_index, args.report_test) for s in tqdm(args.seeds, desc="seeds")}
    table = pd.DataFrame(rows)
    table["mean"] = table.mean(axis=1)
    test_rows = table.index.str.startswith("TEST ")     # compared with the test AUPRC of base
    table["vs_base"] = table["mean"] - np.where(test_rows, table["mean"].get("TEST base", np.nan),
                                                table.loc["base", "mean"])
    print(table.round(4).to_string())
    return table


if __name__ == "__main__":
    main()
