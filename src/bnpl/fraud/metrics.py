"""Evaluation metrics for fraud scores: ranking, thresholded, review-budget and calibration.

Thresholds are always chosen on validation scores and then applied to test scores.
"""
from __future__ import annotations

import numpy as np
from sklearn.metrics import (
    average_precision_score,
    brier_score_loss,
    f1_score,
    precision_recall_curve,
    roc_auc_score,
)


def best_f1_threshold(y_val: np.ndarray, s_val: np.ndarray) -> float:
    """Score threshold that maximises fraud-class F1 on validation data."""
    prec, rec, thr = precision_recall_curve(y_val, s_val)
    f1 = 2 * prec[:-1] * rec[:-1] / np.clip(prec[:-1] + rec[:-1], 1e-12, None)
    return float(thr[int(np.argmax(f1))]) if len(thr) else 0.5


def top_k_mask(scores: np.ndarray, budget: float) -> np.ndarray:
    """Boolean mask of the ``ceil(budget * n)`` highest scores (ties broken by position)."""
    k = max(1, int(np.ceil(budget * len(scores))))
    order = np.argsort(-scores, kind="stable")
    mask = np.zeros(len(scores), dtype=bool)
    mask[order[:k]] = True
    return mask


def recall_at_budget(y: np.ndarray, scores: np.ndarray, budget: float) -> float:
    """Share of all frauds that fall in the top ``budget`` fraction of scores."""
    return float(y[top_k_mask(scores, budget)].sum() / max(1, y.sum()))


def precision_at_budget(y: np.ndarray, scores: np.ndarray, budget: float) -> float:
    """Share of frauds among the top ``budget`` fraction of scores (what investigators see)."""
    return float(y[top_k_mask(scores, budget)].mean())


def expected_calibration_error(y: np.ndarray, prob: np.ndarray, n_bins: int = 10) -> float:
    """ECE with equal-width bins: sum over bins of |mean prob - fraud rate| weighted by bin size."""
    bins = np.clip((prob * n_bins).astype(int), 0, n_bins - 1)
    ece = 0.0
    for b in range(n_bins):
        m = bins == b
        if m.any():
            ece += m.mean() * abs(prob[m].mean() - y[m].mean())
    return float(ece)


def fraud_metrics(y_test: np.ndarray, s_test: np.ndarray, y_val: np.ndarray, s_val: np.ndarray,
                  budget: float = 0.005) -> dict[str, float]:
    """All metrics for one model: test metrics, threshold from validation. Scores must be probabilities."""
    y_test, y_val = np.asarray(y_test).astype(int), np.asarray(y_val).astype(int)
    thr = best_f1_threshold(y_val, s_val)
    pred = (s_test >= thr).astype(int)
    return {
        "auroc": float(roc_auc_score(y_test, s_test)),
        "auprc": float(average_precision_score(y_test, s_test)),
        "f1_fraud": float(f1_score(y_test, pred, pos_label=1, zero_division=0)),
        "f1_macro": float(f1_score(y_test, pred, average="macro", zero_division=0)),
        "threshold": thr,
        f"recall@{budget:g}": recall_at_budget(y_test, s_test, budget),
        f"precision@{budget:g}": precision_at_budget(y_test, s_test, budget),
        "brier": float(brier_score_loss(y_test, np.clip(s_test, 0, 1))),
        "ece": expected_calibration_error(y_test, np.clip(s_test, 0, 1)),
        "val_auprc": float(average_precision_score(y_val, s_val)),
    }


def reliability_plot(y: np.ndarray, prob: np.ndarray, ax=None, n_bins: int = 10, label: str | None = None):
    """Reliability diagram (sklearn's calibration_curve) on a matplotlib axis."""
    import matplotlib.pyplot as plt
    from sklearn.calibration import calibration_curve

    if ax is None:
        _, ax = plt.subplots(figsize=(4, 4))
    frac, mean = calibration_curve(y, prob, n_bins=n_bins, strategy="quantile")
    ax.plot([0, 1], [0, 1], "k:", lw=1)
    ax.plot(mean, frac, "o-", label=label)
    ax.set_xlabel("mean predicted probability")
    ax.set_ylabel("observed fraud rate")
    return ax
