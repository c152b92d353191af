"""Two-stage recommender: EASE proposes candidates, a LightGBM LambdaRank model re-ranks them.

Stage 1: EASE (its configuration chosen among ``EASE.grid`` on the ranker's own validation carve) gives
each user's top ``candidates`` unseen items. Stage 2: a ``lightgbm.LGBMRanker`` (lambdarank)
orders them using the EASE, RP3beta and ItemKNN scores and ranks, item popularity, user
activity and time-aware features (:mod:`bnpl.recsys.rerank_features`).

No held-out fact is used for training: ``fit(train)`` carves ``train`` into (fit, validation)
with the same protocol as the benchmark (``carve``), builds features from the fit part only
and labels candidates by the validation part; the ranker is then applied to candidates and
features recomputed from the whole of ``train``. Items are never re-ranked outside the
candidate list: other items keep EASE's order below every candidate.
"""
from __future__ import annotations

from typing import Any, cast

import numpy as np
import pandas as pd
import scipy.sparse as sp

from bnpl.data.splits import carve_validation
from bnpl.recsys.matrix import interaction_matrix
from bnpl.recsys.metrics import per_user_metrics
from bnpl.recsys.models.base import Recommender
from bnpl.recsys.models.ease import EASE
from bnpl.recsys.models.itemknn import cosine_item_similarity
from bnpl.recsys.models.rp3beta import rp3beta_similarity
from bnpl.recsys.rerank_features import score_features, time_features, time_profiles

DEFAULTS: dict[str, Any] = {"candidates": 100, "carve": "per_user", "carve_frac": 0.25,
            "n_estimators": 100, "learning_rate": 0.05, "num_leaves": 7, "min_child_samples": 200, "time_features": True,
            "ease_neighbours": 0}


def dense(m) -> np.ndarray:
    """A float32 ndarray of a dense or sparse product (EASE weights are sparse on large catalogues)."""
    return m.toarray().astype(np.float32) if sp.issparse(m) else np.asarray(m, dtype=np.float32)


class TwoStage(Recommender):
    inputs = "ids + time"
    name = "rerank"
    cost = 5
    uses_carve = True
    grid = [{}]
    cheaper = {"ease_neighbours": 100}  # its first stage as the sparse EASE approximation
    scales_with = "items_cubed"

    def _fit(self, train_df, side) -> None:
        import lightgbm as lgb

        p = self.p = DEFAULTS | self.params
        fit_df, val_df = carve_validation(train_df, p["carve"], frac=p["carve_frac"], seed=self.seed)
        self.ease_params, ease_on_fit = self._choose_ease(fit_df, val_df)
        stage = self._stage(fit_df, ease_on_fit)
        val = interaction_matrix(val_df, self.n_users, self.n_items)
        users = np.flatnonzero((np.diff(val.indptr) > 0) & (np.diff(stage["x"].indptr) > 0))
        feats, rows, items = self._pairs(stage, users)
        label = np.asarray(val[users[rows], items]).ravel() > 0
        keep = np.isin(rows, np.unique(rows[label]))  # lists without a positive carry no lambdarank gradient
        groups = np.bincount(rows[keep], minlength=len(users))
        self.ranker = lgb.LGBMRanker(objective="lambdarank", n_estimators=p["n_estimators"], learning_rate=p["learning_rate"],
                                     num_leaves=p["num_leaves"], min_child_samples=p["min_child_samples"],
                                     subsample=0.8, subsample_freq=1, colsample_bytree=0.8, random_state=self.seed,
                                     n_jobs=1, verbose=-1)
        self.ranker.fit(feats[keep], label[keep].astype(int), group=groups[groups > 0])
        self.stage = self._stage(train_df)

    def _choose_ease(self, fit_df, val_df) -> tuple[dict, EASE]:
        """The EASE configuration (of ``EASE.grid``) with the best NDCG@10 on the carve, and that fitted model."""
        val = interaction_matrix(val_df, self.n_users, self.n_items)
        users = np.flatnonzero(np.diff(val.indptr) > 0)
        scored = []
        for params in EASE.grid:
            ease = cast(EASE, EASE(**params, **self._ease_extra()).fit(fit_df, self.n_users, self.n_items))
            scored.append((per_user_metrics(ease.recommend(users, 10), val[users], 10)["ndcg"].mean(), params, ease))
        best = max(scored, key=lambda t: t[0])
        return best[1], best[2]

    def _ease_extra(self) -> dict:
        return {"neighbours": int(self.p["ease_neighbours"])} if self.p["ease_neighbours"] else {}

    def _stage(self, df: pd.DataFrame, ease: EASE | None = None) -> dict:
        """First-stage models and summaries fitted on ``df`` (``ease``: already fitted on ``df``)."""
        x = interaction_matrix(df, self.n_users, self.n_items)
        ease = ease if ease is not None else cast(EASE, EASE(**self.ease_params, **self._ease_extra()).fit(df, self.n_users, self.n_items))
        count = np.asarray(x.sum(0)).ravel().astype(np.float32)
        activity = np.diff(x.indptr).astype(np.float32)
        prof = time_profiles(df, self.n_users, self.n_items) if self.p["time_features"] else None
        return {"x": x, "ease": ease.b, "rp3": sp.csr_matrix(rp3beta_similarity(x)),
                "knn": cosine_item_similarity(x, shrink=10.0, neighbours=200), "count": count,
                "pop_pct": pd.Series(count).rank(pct=True).to_numpy(np.float32),
                "activity": activity / max(activity[activity > 0].mean() if (activity > 0).any() else 1.0, 1e-9),
                "prof": prof}

    def _pairs(self, stage: dict, users: np.ndarray, chunk: int = 1024) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
        """Candidate (row, item) pairs of ``users`` (row = position in ``users``) and their features,
        computed ``chunk`` users at a time (dense score rows stay small on large catalogues)."""
        parts = [self._pairs_chunk(stage, users[s:s + chunk]) for s in range(0, len(users), chunk)]
        feats = pd.concat([p[0] for p in parts], ignore_index=True) if parts else pd.DataFrame()
        rows = np.concatenate([p[1] + s for p, s in zip(parts, range(0, len(users), chunk), strict=True)]) if parts else np.zeros(0, np.int64)
        items = np.concatenate([p[2] for p in parts]) if parts else np.zeros(0, np.int64)
        return feats, rows, items

    def _pairs_chunk(self, stage: dict, users: np.ndarray) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
        x = stage["x"][users]
        ease = dense(x @ stage["ease"])
        masked = ease.copy()
        masked[np.repeat(np.arange(len(users)), np.diff(x.indptr)), x.indices] = -np.inf
        n = min(self.p["candidates"], self.n_items - 1)
        cand = np.argpartition(-masked, n - 1, axis=1)[:, :n] if n < self.n_items else np.tile(np.arange(self.n_items), (len(users), 1))
        rows = np.repeat(np.arange(len(users)), cand.shape[1])
        items = cand.ravel()
        ok = np.isfinite(masked[rows, items])
        rows, items = rows[ok], items[ok]
        f = score_features("ease", ease, x, rows, items)
        f |= score_features("rp3", (x @ stage["rp3"]).toarray(), x, rows, items)
        f |= score_features("knn", (x @ stage["knn"]).toarray(), x, rows, items)
        f |= {"pop_pct": stage["pop_pct"][items], "activity": stage["activity"][users[rows]]}
        f |= time_features(stage["prof"], users[rows], items, stage["count"])
        return pd.DataFrame(f), rows, items

    def score(self, user_ids):
        user_ids = np.asarray(user_ids, dtype=np.int64)
        x = self.stage["x"][user_ids]
        base = dense(x @ self.stage["ease"])
        # non-candidates: EASE order, below every candidate
        out = base - (np.abs(base).max() + 1.0) * 2 - 1e3
        feats, rows, items = self._pairs(self.stage, user_ids)
        if len(rows):
            pred = self.ranker.predict(feats)
            out[rows, items] = pred
        return out
