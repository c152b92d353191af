"""Metrics agree with scikit-learn and with hand-computed examples."""
import numpy as np
import pytest
from sklearn.metrics import average_precision_score, f1_score, roc_auc_score

from bnpl.fraud.metrics import (
    best_f1_threshold,
    expected_calibration_error,
    fraud_metrics,
    precision_at_budget,
    recall_at_budget,
)


def test_ranking_and_f1_agree_with_sklearn():
    rng = np.random.default_rng(0)
    y = (rng.random(500) < 0.1).astype(int)
    s = np.clip(0.3 * y + rng.random(500) * 0.7, 0, 1)
    yv = (rng.random(300) < 0.1).astype(int)
    sv = np.clip(0.3 * yv + rng.random(300) * 0.7, 0, 1)
    m = fraud_metrics(y, s, yv, sv)
    assert np.isclose(m["auroc"], roc_auc_score(y, s))
    assert np.isclose(m["auprc"], average_precision_score(y, s))
    thr = best_f1_threshold(yv, sv)
    assert m["threshold"] == thr                                   # threshold comes from validation
    assert np.isclose(m["f1_fraud"], f1_score(y, (s >= thr).astype(int)))
    assert np.isclose(m["f1_macro"], f1_score(y, (s >= thr).astype(int), average="macro"))
    grid = np.unique(sv)
    best = max(f1_score(yv, (sv >= t).astype(int)) for t in grid)
    assert np.isclose(f1_score(yv, (sv >= thr).astype(int)), best)


def test_budget_metrics_hand_computed():
    y = np.array([1, 0, 1, 0, 0, 0, 0, 0, 1, 0])
    s = np.array([0.9, 0.8, 0.7, 0.1, 0.2, 0.3, 0.05, 0.0, 0.01, 0.4])
    # top 20% = 2 rows (0.9 fraud, 0.8 legit)
    assert precision_at_budget(y, s, 0.2) == 0.5
    assert np.isclose(recall_at_budget(y, s, 0.2), 1 / 3)
    assert precision_at_budget(y, s, 0.001) == 1.0                 # at least one row is reviewed


def test_ece_hand_computed():
    y = np.array([0, 0, 1, 1])
    p = np.array([0.05, 0.05, 0.95, 0.55])
    # bins: [0,0.1): mean p 0.05, rate 0 -> 0.05*0.5; [0.5,0.6): 0.55 vs 1 -> 0.45*0.25; [0.9,1): 0.95 vs 1 -> 0.05*0.25
    assert np.isclose(expected_calibration_error(y, p), 0.025 + 0.1125 + 0.0125)


def test_typology_metrics_by_hand():
    from types import SimpleNamespace

    import pandas as pd

    from bnpl.fraud.benchmark import typology_metrics

    # test nodes 0..5: legit 0, 1, 2; ring 3, 4; mule 5 (node 6 is not in the test set)
    labels = pd.DataFrame({"node_id": np.arange(7),
                           "typology": ["legit", "legit", "legit", "ring", "ring", "mule", "mule"]})
    scores = np.array([0.1, 0.6, 0.3, 0.9, 0.2, 0.5, 0.99])
    run = SimpleNamespace(split=SimpleNamespace(test=np.arange(6)),
                          models={"m": SimpleNamespace(scores=scores, metrics={"threshold": 0.5})})
    out = typology_metrics(SimpleNamespace(labels=labels), [run], ["m"])
    # ring: flagged 3 (0.9 >= 0.5), missed 4 -> recall 1/2; ranked among legit 0.1 0.6 0.3:
    # 0.9 first (precision 1), then 0.6 legit, 0.3 legit, 0.2 ring (precision 2/4) -> AP (1 + 1/2) / 2
    assert out["recall"].loc["ring", "m"] == 0.5
    assert out["auprc"].loc["ring", "m"] == pytest.approx(0.75)
    # mule: 0.5 ranks second after legit 0.6 -> AP 1/2; node 6 is outside the test set
    assert out["recall"].loc["mule", "m"] == 1.0
    assert out["auprc"].loc["mule", "m"] == pytest.approx(0.5)
    keep = np.array([1, 1, 1, 1, 1, 0], bool)
    assert out["auprc"].loc["ring", "m"] == pytest.approx(
        average_precision_score((np.arange(6) >= 3)[keep], scores[:6][keep]))
    assert typology_metrics(SimpleNamespace(labels=labels.drop(columns="typology")), [run], ["m"]) == {}
