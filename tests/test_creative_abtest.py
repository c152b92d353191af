"""A/B analysis: agreement with statsmodels on data with a known effect; SRM; power."""
import numpy as np
import pytest

from bnpl.creative.abtest import analyse, cuped, sample_size, simulate, srm_check


def _data(n=20_000, effect=0.2, seed=0):
    rng = np.random.default_rng(seed)
    act = rng.lognormal(0, 0.8, n)
    return simulate(np.full(n, 1.0), np.full(n, np.exp(effect / 0.15)), act, seed=seed, time_elasticity=0.15)


def test_cuped_lift_agrees_with_statsmodels_ancova_and_covers_the_known_effect():
    import statsmodels.api as sm

    df = _data()
    table, srm = analyse(df)
    # known effect: minutes are multiplied by exp(0.2) in the personalised arm
    row = table.loc[("minutes", "CUPED")]
    assert row["lift_low"] < np.exp(0.2) - 1 < row["lift_high"]
    # CUPED with a pooled theta equals the OLS treatment coefficient of y ~ arm + (x - mean x) closely
    x = df["pre_minutes"] - df["pre_minutes"].mean()
    ols = sm.OLS(df["minutes"], sm.add_constant(np.column_stack([df["arm"], x]))).fit(cov_type="HC1")
    assert row["diff"] == pytest.approx(ols.params.iloc[1], rel=0.02)
    lo, hi = ols.conf_int().iloc[1]
    assert row["diff_low"] == pytest.approx(lo, rel=0.05) and row["diff_high"] == pytest.approx(hi, rel=0.05)
    # the raw interval is statsmodels' Welch interval
    from statsmodels.stats.weightstats import ttest_ind

    raw = table.loc[("minutes", "raw")]
    t, c = df.loc[df.arm == 1, "minutes"], df.loc[df.arm == 0, "minutes"]
    assert raw["p_value"] == pytest.approx(ttest_ind(t, c, usevar="unequal")[1])
    assert table.loc[("minutes", "CUPED"), "variance_reduction"] > 0.2
    assert not srm["mismatch"]


def test_cuped_theta_is_the_regression_slope():
    rng = np.random.default_rng(1)
    x = rng.normal(size=500)
    y = 3 * x + rng.normal(size=500)
    adj, theta = cuped(y, x)
    assert theta == pytest.approx(np.polyfit(x, y, 1)[0])
    assert np.var(adj) < np.var(y) / 5


def test_srm_flags_a_broken_split():
    assert srm_check(5000, 5050)["mismatch"] is False
    assert srm_check(5000, 5600)["mismatch"] is True


def test_sample_size_matches_the_normal_approximation():
    # n = 2 (z_{a/2} + z_b)^2 / d^2 with d = 0.1: about 1570 per arm
    n = sample_size(mean=10.0, sd=10.0, relative_lift=0.1)
    assert 1560 <= n <= 1580
    assert sample_size(10.0, 10.0, 0.01) > 90 * n
