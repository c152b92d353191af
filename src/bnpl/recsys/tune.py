"""Choose hyperparameters on a validation carve of the TRAINING data, never on test.

Every model searches its own small grid (``Recommender.grid``, the same number of
configurations for baselines and graph models: the tuning budget), is scored by
NDCG@k on the validation carve, and the best configuration is refitted on the
full training data by the caller.
"""
from __future__ import annotations

from typing import Any

import pandas as pd

from bnpl.data.splits import carve_validation
from bnpl.recsys.evaluate import evaluate_per_user
from bnpl.recsys.models.base import Recommender

#: which validation carve mirrors which test protocol
CARVE_FOR_PROTOCOL = {"random-75-25": "per_user", "temporal": "temporal", "leave-last-out": "leave_last_out"}


def tune(model_cls: type[Recommender], train_df: pd.DataFrame, n_users: int, n_items: int, *, side=None,
         protocol: str = "random-75-25", k: int = 10, seed: int = 0, fixed: dict[str, Any] | None = None,
         grid: list[dict[str, Any]] | None = None) -> tuple[dict[str, Any], pd.DataFrame]:
    """Return (best params, table of every configuration's validation NDCG@k).

    ``fixed`` parameters are added to every grid point (e.g. an ablation switch).
    """
    fit_df, val_df = carve_validation(train_df, CARVE_FOR_PROTOCOL[protocol], frac=0.25 if protocol == "random-75-25" else 0.2,
                                      seed=seed)
    rows = []
    for params in grid if grid is not None else model_cls.grid:
        params = dict(params) | (fixed or {})
        model = model_cls(seed=seed, **params).fit(fit_df, n_users, n_items, side=side)
        ndcg = evaluate_per_user(model, val_df, k)["ndcg"].mean()
        rows.append({"params": params, "val_ndcg": float(ndcg)})
    table = pd.DataFrame(rows)
    best = table.loc[table["val_ndcg"].idxmax()]
    return dict(best["params"]), table
