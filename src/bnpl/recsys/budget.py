"""Time budget per model: estimate each model's cost on a dataset before running it, and when the
estimate exceeds the budget run its cheaper variant, or one configuration instead of its grid, or
skip it; every decision is one printed line and one record in the benchmark JSON.

The estimate is declarative: each model class states ``cost`` (a relative constant) and
``scales_with`` (how its work grows with the data); :data:`UNIT_SECONDS` turns that into seconds
for one fit plus one evaluation on one core of a 2-core machine, and the tuning multiplies it by the
number of grid points plus the refit. Estimates are rough (within a factor of about two); they decide
what runs, they never stand in for measured times.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from bnpl.recsys.models.base import Recommender

#: seconds for one fit + evaluation per unit of work, by ``scales_with``; calibrated from measured benchmark
#: runs as described in docs/recsys-benchmarks.md ("Calibrating the cost constants")
UNIT_SECONDS = {
    "items_cubed": 0.04,  # per (1,000 items)^3: a dense inverse of the item Gram
    "item_neighbourhoods": 2.0,  # per 1,000 items with 100 neighbours each: batched 100 x 100 solves
    "interactions": 1.0,  # per 100,000 interactions: sparse co-occurrence products
    "epochs": 2.3,  # per 100,000 interactions x epoch: mini-batch training
}
#: every fit is also scored on validation / test: seconds per (1,000 users x 1,000 items) ranked
RANKING_SECONDS = 0.004


@dataclass
class Plan:
    """What the benchmark does with one model under the budget."""

    model: str
    action: str  # "full", "cheaper", "one-config" or "skipped"
    estimate_s: float
    budget_s: float
    fixed: dict[str, Any] = field(default_factory=dict)
    grid: list[dict[str, Any]] | None = None  # None: the model's own grid

    def line(self) -> str:
        if self.action == "full":
            return ""
        what = {"cheaper": f"runs its cheaper variant {self.fixed}", "one-config": "runs one configuration instead of its grid",
                "skipped": "is skipped"}[self.action]
        return f"time budget: {self.model} estimated {self.estimate_s:.0f}s > budget {self.budget_s:.0f}s; it {what}"

    def record(self) -> dict:
        return asdict(self)


def estimate_seconds(cls: type[Recommender], n_users: int, n_items: int, n_interactions: int,
                     params: dict[str, Any] | None = None, configs: int | None = None) -> float:
    """Rough seconds to tune ``cls`` (``configs`` grid points, default its grid) and refit it once."""
    p = (getattr(cls, "defaults", {}) or {}) | (params or {})
    scales = getattr(cls, "scales_with", "interactions")
    if p.get("neighbours") or p.get("ease_neighbours"):
        scales = "item_neighbourhoods"
    work = {"items_cubed": (n_items / 1000) ** 3, "item_neighbourhoods": n_items / 1000,
            "interactions": n_interactions / 1e5,
            "epochs": n_interactions / 1e5 * float(p.get("epochs", getattr(cls, "typical_epochs", 30)))}[scales]
    work *= float(getattr(cls, "work_factor", lambda _: 1.0)(p))  # e.g. a sequential model's history length
    ranking = RANKING_SECONDS * (n_users / 1000) * (n_items / 1000)
    per_fit = float(cls.cost) * UNIT_SECONDS[scales] * work + ranking * float(getattr(cls, "rankings_per_fit", 1))
    return per_fit * ((configs if configs is not None else len(cls.grid)) + 1)


def plan_model(name: str, cls: type[Recommender], n_users: int, n_items: int, n_interactions: int,
               budget_s: float) -> Plan:
    """The cheapest change that brings ``cls`` within ``budget_s``: none, its ``cheaper`` parameters,
    a single configuration, or skipping it."""
    sizes = (n_users, n_items, n_interactions)
    full = estimate_seconds(cls, *sizes)
    if full <= budget_s:
        return Plan(name, "full", full, budget_s)
    cheaper = dict(getattr(cls, "cheaper", {}) or {})
    if cheaper:
        est = estimate_seconds(cls, *sizes, params=cheaper)
        if est <= budget_s:
            return Plan(name, "cheaper", full, budget_s, fixed=cheaper)
    one = estimate_seconds(cls, *sizes, params=cheaper, configs=1)
    if one <= budget_s:
        return Plan(name, "one-config", full, budget_s, fixed=cheaper, grid=[dict(cls.grid[0])])
    return Plan(name, "skipped", full, budget_s, fixed=cheaper)
