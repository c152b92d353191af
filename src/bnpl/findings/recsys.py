"""Findings of the recommendation ablation from its table (:func:`bnpl.recsys.ablation.ablation_table`).

The table has one row per cell (index: cell name, the full model's row named ``full``) with
``{metric}``, ``{metric}_delta`` (cell minus full model, paired over users and seeds) and its
bootstrap 95% interval ``{metric}_ci_low`` / ``{metric}_ci_high``."""
from __future__ import annotations

import pandas as pd

from bnpl.findings import Card, Findings


def alternatives(table: pd.DataFrame, full: str, models: dict[str, str] | None = None) -> list[str]:
    """Cells that are another model altogether (baselines): by ``models`` (cell -> model name) where
    given, else by a name containing "baseline"."""
    if models:
        return [c for c in table.index if c != full and models.get(c) != models.get(full)]
    return [c for c in table.index if "baseline" in c.lower()]


def _ci(row: pd.Series, metric: str, sign: float = 1.0) -> str:
    lo, hi = sorted((sign * row[f"{metric}_ci_low"], sign * row[f"{metric}_ci_high"]))
    return f"{sign * row[f'{metric}_delta']:+.4f} (95% CI {lo:+.4f} to {hi:+.4f})"


def _real(row: pd.Series, metric: str) -> bool:
    return row[f"{metric}_ci_low"] > 0 or row[f"{metric}_ci_high"] < 0


def recsys_findings(table: pd.DataFrame, full: str, metric: str = "ndcg", k: int = 10,
                    models: dict[str, str] | None = None) -> Findings:
    """Best cell and its interval against the full model, the full model against the strongest other
    model (baseline), and which switches of the full model change ``metric`` beyond their interval.
    ``models``: cell -> model name (cells with another model than the full model's are baselines)."""
    name = f"{metric.upper()}@{k}"
    best = table[metric].idxmax()
    f_row, b_row = table.loc[full], table.loc[best]
    others = alternatives(table, full, models)
    bullets, cards = [], [Card(f"full model {name}", f"{f_row[metric]:.4f}", full)]
    numbers = {"full_" + metric: (f"full model {name}", float(f_row[metric])),
               "best_" + metric: (f"best cell {name}", float(b_row[metric]))}
    if best == full:
        headline = f"The full model is the best configuration ({name} {f_row[metric]:.4f})."
    else:
        word = "beats" if _real(b_row, metric) else "is level with (within noise)"
        headline = f"Cell “{best}” {word} the full model: {name} {b_row[metric]:.4f} vs {f_row[metric]:.4f}."
        bullets.append(f"Best cell {best}: {name} {b_row[metric]:.4f}, difference from the full model {_ci(b_row, metric)}.")
    cards.append(Card(f"best {name}", f"{b_row[metric]:.4f}", best))
    switches = table.loc[[c for c in table.index if c != full and c not in others]]
    if others:
        strongest = table.loc[others, metric].idxmax()
        s_row = table.loc[strongest]
        margin = float(f_row[metric] - s_row[metric])
        says = ("beats" if margin > 0 else "loses to") if _real(s_row, metric) else "is level with"
        bullets.insert(0, f"The full graph model {says} the strongest baseline ({strongest}): "
                          f"full minus baseline {_ci(s_row, metric, -1.0)}.")
        cards.append(Card("full vs strongest baseline", f"{margin:+.4f}", strongest))
        numbers["full_minus_baseline"] = (f"full model minus {strongest}", margin)
        if len(switches) and switches[metric].max() <= s_row[metric] and f_row[metric] <= s_row[metric]:
            headline += f" No variant of the graph model beats {strongest}."
    hurt = [c for c, r in switches.iterrows() if _real(r, metric) and r[f"{metric}_delta"] < 0]
    helped = [c for c, r in switches.iterrows() if _real(r, metric) and r[f"{metric}_delta"] > 0]
    noise = [c for c in switches.index if c not in hurt and c not in helped]
    if hurt:
        bullets.append("Changes that hurt, so the full model's setting is worth keeping: "
                       + "; ".join(f"{c} {_ci(switches.loc[c], metric)}" for c in hurt) + ".")
    if helped:
        bullets.append("Changes that help, so the full model would be better without its setting: "
                       + "; ".join(f"{c} {_ci(switches.loc[c], metric)}" for c in helped) + ".")
    if noise:
        bullets.append("Changes within noise at this data size: " + ", ".join(noise) + ".")
    if "cold_ndcg" in table.columns:
        cold = table["cold_ndcg"].idxmax()
        bullets.append(f"For cold-start customers the best cell is {cold} (cold NDCG {table.loc[cold, 'cold_ndcg']:.4f}, "
                       f"full model {f_row['cold_ndcg']:.4f}).")
    return Findings(stage="recsys", headline=headline, bullets=bullets, cards=cards, numbers=numbers)
