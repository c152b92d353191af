"""Findings sentences from small hand-made results: the numbers in the text are the inputs' numbers."""
from __future__ import annotations

import json
import math

import pandas as pd
import pytest
from scipy import stats

from bnpl.findings import Card, Findings, publish
from bnpl.findings.data import data_findings
from bnpl.findings.fraud import fraud_findings
from bnpl.findings.previous import RunSnapshot, changes_since
from bnpl.findings.recsys import recsys_findings
from bnpl.findings.stats import paired, t_interval, verdict


def test_t_interval_matches_scipy():
    v = [0.80, 0.82, 0.84]
    iv = t_interval(v)
    lo, hi = stats.t.interval(0.95, 2, loc=0.82, scale=stats.sem(v))
    assert iv.mean == pytest.approx(0.82) and iv.low == pytest.approx(lo) and iv.high == pytest.approx(hi)
    assert iv.excludes_zero and "3 seeds" in iv.text()
    wide = t_interval([0.2, 0.99], bounds=(0.0, 1.0))      # a score's interval stays inside [0, 1]
    assert wide.low == 0.0 and wide.high == 1.0 and wide.mean == pytest.approx(0.595)
    one = t_interval([0.5])
    assert one.n == 1 and not one.excludes_zero and "one seed" in one.text()


def test_paired_difference_and_verdict():
    d, wins = paired([0.9, 0.91, 0.92], [0.5, 0.52, 0.49])
    assert wins == 3 and d.mean == pytest.approx((0.4 + 0.39 + 0.43) / 3) and verdict(d) == "a real gain"
    d, wins = paired([0.5, 0.6, 0.4], [0.5, 0.5, 0.5])
    assert verdict(d) == "within noise" and wins == 1


def _fraud_summary():
    def seeds(vals, no_refit):
        return [{"auprc": a, "auroc": 0.9, "auprc_no_refit": b} for a, b in zip(vals, no_refit, strict=True)]
    return {"models": {"lgbm_tabular": {"per_seed": seeds([0.30, 0.32, 0.31], [0.29, 0.31, 0.30])},
                       "lgbm_graph": {"per_seed": seeds([0.80, 0.82, 0.81], [0.79, 0.80, 0.80])},
                       "sage": {"per_seed": seeds([0.70, 0.85, 0.60], [0.70, 0.84, 0.61])}},
            "best": {"model": "lgbm_graph", "selected_by": "mean validation AUPRC", "test_from": "refit"},
            "typology_auprc": {"lgbm_tabular": {"mule": 0.2, "scam": 0.6}, "lgbm_graph": {"mule": 0.9, "scam": 0.65}}}


def test_fraud_findings_best_margin_and_switches():
    f = fraud_findings(_fraud_summary())
    assert f.headline.startswith("lgbm_graph reaches test AUPRC 0.810 and beats the lgbm_tabular baseline by +0.500")
    assert "ahead on 3 of 3 seeds" in f.headline and "a real gain" in f.headline
    text = f.to_markdown()
    assert "Difference from lgbm_tabular: +0.500" in text and "Graph-aggregate features" not in text  # said once
    assert "A GNN (sage) instead of the graph booster" in text and "within noise" in text
    assert "Refitting on training + validation labels: AUPRC +0.008" in text   # 0.07 / 9 paired gaps
    assert "Hardest fraud typology for lgbm_graph: scam" in text and "helps most on mule" in text
    assert f.numbers["best_auprc"][1] == pytest.approx(0.81)
    assert f.numbers["margin_over_baseline"][1] == pytest.approx(0.50)


def test_fraud_findings_when_the_baseline_wins():
    s = _fraud_summary()
    s["best"]["model"] = "lgbm_tabular"
    assert fraud_findings(s).headline.startswith("The lgbm_tabular baseline is the best model")


def _ablation_table():
    rows = {"full model": (0.100, 0.0, 0.0, 0.0), "no item-item edges": (0.120, 0.020, 0.010, 0.030),
            "layers=0": (0.080, -0.020, -0.030, -0.010), "dim=32": (0.101, 0.001, -0.004, 0.006),
            "ItemKNN baseline": (0.130, 0.030, 0.020, 0.040), "popularity baseline": (0.050, -0.05, -0.06, -0.04)}
    t = pd.DataFrame(rows, index=["ndcg", "ndcg_delta", "ndcg_ci_low", "ndcg_ci_high"]).T
    t["cold_ndcg"] = [0.05, 0.06, 0.04, 0.05, 0.07, 0.03]
    return t


def test_recsys_findings_say_which_switches_matter():
    f = recsys_findings(_ablation_table(), full="full model")
    assert f.headline == ("Cell “ItemKNN baseline” beats the full model: NDCG@10 0.1300 vs 0.1000. "
                          "No variant of the graph model beats ItemKNN baseline.")
    text = f.to_markdown()
    assert "The full graph model loses to the strongest baseline (ItemKNN baseline): full minus baseline -0.0300 " \
           "(95% CI -0.0400 to -0.0200)" in text
    assert "Changes that hurt, so the full model's setting is worth keeping: layers=0 -0.0200" in text
    assert "Changes that help, so the full model would be better without its setting: no item-item edges +0.0200" in text
    assert "Changes within noise at this data size: dim=32." in text
    assert f.numbers["full_minus_baseline"][1] == pytest.approx(-0.03)
    # cells of another model are baselines whatever their name
    models = {c: "sidegnn" for c in _ablation_table().index} | {"ItemKNN baseline": "itemknn", "dim=32": "ease"}
    g = recsys_findings(_ablation_table(), full="full model", models=models).to_markdown()
    assert "popularity baseline" in g and "Changes within noise" not in g


def test_data_findings():
    facts = {"seed": 3, "labelled": 20000, "fraud": 300, "fraud_rate": 0.015, "time_span": 179.6,
             "median_label_delay": 12.5}
    links = pd.DataFrame({"device_shared_3plus_customers": [0.02, 0.70, 0.03],
                          "account_fan_in_5plus": [0.01, 0.02, 0.04]}, index=["legit", "mule", "scam"])
    f = data_findings(facts, {"users": 500, "popularity_hit@10": 0.05, "taste_hit@10": 0.20}, links)
    assert f.headline == "A world of 20,000 labelled transactions over 180 days, 300 of them fraud (1.50%). " \
                         "Taste beats popularity."
    text = f.to_markdown()
    assert "top 10 for 20.0% of 500 customers, popularity for 5.0%" in text
    assert "mule: device shared by 3+ customers (70% vs 2% of legit)" in text
    assert "scam: no link pattern stands out" in text


def test_changes_since_previous_run():
    prev = RunSnapshot("r0", {"seed": "0", "n": "10", "run_dir": "a"}, {"findings.best_auprc": 0.80}, "2026-01-01 10:00 UTC")
    out = changes_since(prev, {"seed": "1", "n": "10", "run_dir": "b"}, {"best_auprc": ("best AUPRC", 0.85)})
    assert out[0] == "Changed settings: `seed` `0` → `1`."
    assert out[1] == "Compared with the run of 2026-01-01 10:00 UTC: best AUPRC 0.800 → 0.850 (+0.050)."
    assert changes_since(None, {}, {}) == ["No earlier finished run of this stage to compare with."]
    prev.metrics["findings.rows"] = 200000.0
    out = changes_since(prev, {"seed": "0", "n": "10", "data.input.hash": "b"}, {"rows": ("rows", 20000.0)})
    assert out == ["Changed settings: `data.input.hash` (unset) → `b`.",
                   "Compared with the run of 2026-01-01 10:00 UTC: rows 200,000 → 20,000 (-180,000)."]
    same = changes_since(prev, {"seed": "0", "n": "10"}, {"best_auprc": ("best AUPRC", 0.80)})
    assert same == ["Same settings and data as the previous run.",
                    "Compared with the run of 2026-01-01 10:00 UTC: best AUPRC unchanged (0.800)."]


def test_publish_writes_json_and_round_trips(tmp_path, monkeypatch):
    monkeypatch.setenv("BNPL_RUN_DIR", str(tmp_path))
    f = Findings("fraud", "It works.", ["a"], [Card("x", "1")], {"k": ("label", 0.5), "bad": ("nan", math.nan)})
    md = publish(f)
    assert md.data.startswith("**It works.**\n\n- a")
    back = Findings.from_dict(json.loads((tmp_path / "findings.json").read_text()))
    assert back.headline == "It works." and back.cards == [Card("x", "1")] and back.numbers["k"] == ("label", 0.5)


def test_previous_run_is_the_last_finished_run_of_the_notebook_not_a_child():
    import time

    from mlflow.tracking import MlflowClient

    from bnpl.config import tracking_uri
    from bnpl.findings.previous import previous_run

    c = MlflowClient(tracking_uri())
    exp = c.create_experiment("nb")
    tags = {"notebook": "nb.ipynb"}
    first = c.create_run(exp, tags=tags).info.run_id
    c.log_metric(first, "findings.best_auprc", 0.8)
    c.set_terminated(first, "FINISHED")
    time.sleep(0.01)
    failed = c.create_run(exp, tags=tags).info.run_id
    c.set_terminated(failed, "FAILED")
    child = c.create_run(exp, tags={"mlflow.parentRunId": first}).info.run_id
    c.set_terminated(child, "FINISHED")
    time.sleep(0.01)
    now = c.create_run(exp, tags=tags).info.run_id
    prev = previous_run(now)
    assert prev.run_id == first and prev.metrics["findings.best_auprc"] == 0.8
    assert previous_run(first) is None


def test_creative_findings_on_hand_made_tables():
    import pandas as pd

    from bnpl.findings.creative import creative_findings

    comparison = pd.DataFrame({"relevance_embedding": [0.8, 0.5], "relevance_truth": [6.0, 0.7],
                               "coherence": [0.4, 0.3], "seconds_per_text": [2.0, 0.0],
                               "seconds_per_lookbook": [20.0, 0.1]}, index=["personalised", "baseline (best-sellers, generic copy)"])
    rates = {"texts": 10, "pass_rate_first": 0.7, "pass_rate_after_regeneration": 0.9, "pass_rate_after_fallback": 1.0}
    idx = pd.MultiIndex.from_tuples([("minutes", "raw"), ("minutes", "CUPED"), ("orders", "raw"), ("orders", "CUPED")],
                                    names=["metric", "method"])
    ab = pd.DataFrame({"lift": [0.1, 0.12, 0.3, 0.31], "lift_low": [0.05, 0.08, 0.2, 0.22],
                       "lift_high": [0.15, 0.16, 0.4, 0.4], "variance_reduction": [0.0, 0.36, 0.0, 0.13]}, index=idx)
    sizes = pd.DataFrame({"metric": ["minutes", "minutes", "orders", "orders"], "relative_lift": [0.15, 0.015, 0.5, 0.05],
                          "n_per_arm_raw": [900, 90000, 170, 17000], "n_per_arm_cuped": [580, 58000, 150, 15000]})
    enrich = {"images": 30, "exact_duplicates": 2, "near_duplicates": 5, "mean_quality_before": 0.5,
              "mean_quality_after": 0.6}
    f = creative_findings(comparison, rates, ab, {"p_value": 0.5}, sizes, enrich, 1.5, n_customers=4, n_ab=2000,
                          backend="offline", elasticities=(0.15, 0.35))
    assert f.headline.startswith("Personalised lookbooks beat the best-seller page on taste match (6.00x chance "
                                 "against 0.70x, 4 customers); 70% of generated texts")
    assert "time in app +12.0% [+8.0%, +16.0%]" in f.bullets[3] and "2,000 customers" in f.bullets[3]
    assert "+15% time 580" in f.bullets[4] and "+5% orders 15,000" in f.bullets[4]
    assert f.numbers["relevance_baseline"] == ("taste match, best-sellers (x chance)", 0.7)
    worse = comparison.assign(relevance_truth=[0.5, 0.7])
    assert "do not beat" in creative_findings(worse, rates, ab, {"p_value": 0.5}, sizes, enrich, 1.5, n_customers=4,
                                              n_ab=2000, backend="offline", elasticities=(0.15, 0.35)).headline
