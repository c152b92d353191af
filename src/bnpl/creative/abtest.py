"""A simulated A/B test of lookbook campaigns and its analysis.

Simulation: customers are randomised to the generic (best-seller) or the personalised lookbook campaign.
Their response follows their latent taste: with ``a`` the ground-truth affinity of the lookbook they were
shown (1 = a random page), time in the app is ``pre-period engagement x a^time_elasticity x noise`` and
orders are Poisson with mean ``order_rate x activity x a^order_elasticity``. The elasticities are assumptions
of the simulation, not measurements: the lift it produces comes from how much better the personalised
pages match tastes, scaled by them.

Analysis (:func:`analyse`): sample-ratio-mismatch chi-square test, difference in means with Welch intervals
(``statsmodels``), CUPED with the pre-period metric as covariate, relative lift with a delta-method interval,
and the sample size per arm to detect a given relative lift (``statsmodels`` power analysis).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from bnpl.errors import BnplError


def simulate(affinity_generic: np.ndarray, affinity_personal: np.ndarray, activity: np.ndarray, seed: int = 0,
             treat_share: float = 0.5, time_elasticity: float = 0.15, order_elasticity: float = 0.35,
             minutes_per_activity: float = 30.0, order_rate: float = 0.4, noise: float = 0.5) -> pd.DataFrame:
    """One row per customer: ``arm`` (0 generic, 1 personalised), ``pre_minutes`` and ``pre_orders`` (the
    pre-period, untouched by the campaign), ``minutes`` and ``orders`` during the campaign. Affinities are per customer (mean over the page)."""
    n = len(activity)
    if not (len(affinity_generic) == len(affinity_personal) == n):
        raise BnplError("affinity and activity arrays must have one entry per customer")
    rng = np.random.default_rng(seed)
    arm = (rng.random(n) < treat_share).astype(int)
    a = np.where(arm == 1, affinity_personal, affinity_generic).clip(min=1e-3)
    engagement = minutes_per_activity * np.asarray(activity)
    pre = engagement * rng.lognormal(-noise ** 2 / 2, noise, size=n)
    minutes = engagement * a ** time_elasticity * rng.lognormal(-noise ** 2 / 2, noise, size=n)
    pre_orders = rng.poisson(order_rate * np.asarray(activity), size=n)
    orders = rng.poisson(order_rate * np.asarray(activity) * a ** order_elasticity)
    return pd.DataFrame({"arm": arm, "pre_minutes": pre, "minutes": minutes, "pre_orders": pre_orders, "orders": orders,
                         "affinity": a})


def srm_check(n_control: int, n_treatment: int, expected_share: float = 0.5) -> dict:
    """Chi-square goodness of fit of the arm sizes to the planned split (p < 0.001 flags a mismatch)."""
    n = n_control + n_treatment
    chi2, p = stats.chisquare([n_control, n_treatment], [n * (1 - expected_share), n * expected_share])
    return {"n_control": n_control, "n_treatment": n_treatment, "chi2": float(chi2), "p_value": float(p),
            "mismatch": bool(p < 0.001)}


def cuped(y: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, float]:
    """CUPED (Deng et al. 2013): ``y - theta (x - mean x)``, ``theta = cov(x, y) / var(x)`` pooled over arms."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    theta = float(np.cov(x, y, ddof=1)[0, 1] / np.var(x, ddof=1))
    return y - theta * (x - x.mean()), theta


def mean_difference(y: np.ndarray, arm: np.ndarray, alpha: float = 0.05) -> dict:
    """Treatment minus control mean with a Welch interval (statsmodels), and the relative lift with a
    delta-method interval (``var(t/c - 1) ~ var_t/c^2 + t^2 var_c/c^4``)."""
    from statsmodels.stats.weightstats import CompareMeans, DescrStatsW

    y, arm = np.asarray(y, float), np.asarray(arm)
    t, c = y[arm == 1], y[arm == 0]
    cm = CompareMeans(DescrStatsW(t), DescrStatsW(c))
    lo, hi = cm.tconfint_diff(alpha=alpha, usevar="unequal")
    _, p, _ = cm.ttest_ind(usevar="unequal")
    mt, mc = t.mean(), c.mean()
    vt, vc = t.var(ddof=1) / len(t), c.var(ddof=1) / len(c)
    se_rel = np.sqrt(vt / mc ** 2 + mt ** 2 * vc / mc ** 4)
    z = stats.norm.ppf(1 - alpha / 2)
    rel = mt / mc - 1
    return {"control_mean": float(mc), "treatment_mean": float(mt), "diff": float(mt - mc), "diff_low": float(lo),
            "diff_high": float(hi), "p_value": float(p), "lift": float(rel), "lift_low": float(rel - z * se_rel),
            "lift_high": float(rel + z * se_rel)}


COVARIATES = {"minutes": "pre_minutes", "orders": "pre_orders"}


def analyse(df: pd.DataFrame, covariates: dict[str, str] | None = None, alpha: float = 0.05, expected_share: float = 0.5) -> tuple[pd.DataFrame, dict]:
    """(table with one row per metric and method — raw and CUPED with the metric's pre-period covariate —,
    SRM check). ``covariates`` maps metric -> covariate column (default :data:`COVARIATES`)."""
    arm = df["arm"].to_numpy()
    srm = srm_check(int((arm == 0).sum()), int((arm == 1).sum()), expected_share)
    rows = []
    for m, cov in (covariates or COVARIATES).items():
        y = df[m].to_numpy(float)
        raw = mean_difference(y, arm, alpha)
        adj, theta = cuped(y, df[cov].to_numpy(float))
        cup = mean_difference(adj, arm, alpha)
        var_red = 1 - np.var(adj, ddof=1) / np.var(y, ddof=1)
        rows.append({"metric": m, "method": "raw", **raw, "variance_reduction": 0.0})
        rows.append({"metric": m, "method": "CUPED", **cup, "variance_reduction": float(var_red), "theta": theta})
    return pd.DataFrame(rows).set_index(["metric", "method"]), srm


def sample_size(mean: float, sd: float, relative_lift: float, alpha: float = 0.05, power: float = 0.8) -> int:
    """Customers per arm for a two-sided Welch/t test to detect ``relative_lift`` of ``mean`` (statsmodels)."""
    from statsmodels.stats.power import TTestIndPower

    if relative_lift == 0 or sd <= 0:
        raise BnplError("sample_size needs a non-zero lift and a positive standard deviation")
    d = abs(relative_lift) * mean / sd
    return int(np.ceil(TTestIndPower().solve_power(effect_size=d, alpha=alpha, power=power, ratio=1.0)))


def sample_size_table(df: pd.DataFrame, lifts: dict[str, list[float]], covariates: dict[str, str] | None = None,
                      alpha: float = 0.05, power: float = 0.8) -> pd.DataFrame:
    """Customers per arm to detect each relative lift, with the control arm's mean and spread, raw and CUPED."""
    control = df[df["arm"] == 0]
    rows = []
    for metric, rel in lifts.items():
        y = control[metric].to_numpy(float)
        adj, _ = cuped(df[metric].to_numpy(float), df[(covariates or COVARIATES)[metric]].to_numpy(float))
        sd_cuped = float(np.std(adj[df["arm"].to_numpy() == 0], ddof=1))
        for lift in rel:
            rows.append({"metric": metric, "relative_lift": lift,
                         "n_per_arm_raw": sample_size(y.mean(), y.std(ddof=1), lift, alpha, power),
                         "n_per_arm_cuped": sample_size(y.mean(), sd_cuped, lift, alpha, power)})
    return pd.DataFrame(rows)
