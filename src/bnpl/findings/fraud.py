"""Findings of the fraud stage from the benchmark summary (:func:`bnpl.fraud.benchmark.run_benchmark`).

The summary holds, per model, ``per_seed`` metric records (``auprc``, ``auroc``, ``auprc_no_refit``,
...), and ``best.model``, the model validation picked; optional ``typology_auprc`` tables
(``{model: {typology: value}}``)."""
from __future__ import annotations

from bnpl.findings import Card, Findings
from bnpl.findings.stats import paired, t_interval, verdict

BASELINE = "lgbm_tabular"   # the transaction's own columns, no graph


def _seeds(summary: dict, model: str, metric: str) -> list[float]:
    return [float(r[metric]) for r in summary["models"][model]["per_seed"] if metric in r]


def fraud_findings(summary: dict, metric: str = "auprc", baseline: str = BASELINE) -> Findings:
    """Best model (chosen on validation) with its test interval, its margin over ``baseline``, and
    which switches matter: graph features, GNN vs booster, the refit on validation labels."""
    models = list(summary["models"])
    best = summary["best"]["model"]
    if baseline not in models:
        baseline = min(models, key=lambda m: t_interval(_seeds(summary, m, metric)).mean)
    best_iv = t_interval(_seeds(summary, best, metric), bounds=(0.0, 1.0))
    n = best_iv.n
    name = metric.upper()
    bullets, cards = [], [Card("best model (validation)", best, f"test {name} {best_iv.text()}")]
    numbers = {"best_" + metric: (f"best model's test {name}", best_iv.mean)}
    if best != baseline:
        diff, wins = paired(_seeds(summary, best, metric), _seeds(summary, baseline, metric))
        headline = (f"{best} reaches test {name} {best_iv.mean:.3f} and beats the {baseline} baseline by "
                    f"{diff.mean:+.3f} ({verdict(diff)}, ahead on {wins} of {diff.n} seeds).")
        bullets.append(f"Difference from {baseline}: {diff.text(signed=True)}.")
        cards.append(Card(f"vs {baseline}", f"{diff.mean:+.3f}", f"{name}, ahead on {wins}/{diff.n} seeds"))
        numbers["margin_over_baseline"] = (f"margin over {baseline}", diff.mean)
    else:
        others = [m for m in models if m != best]
        headline = f"The {baseline} baseline is the best model: test {name} {best_iv.mean:.3f}."
        if others:
            runner = max(others, key=lambda m: t_interval(_seeds(summary, m, metric)).mean)
            diff, _ = paired(_seeds(summary, best, metric), _seeds(summary, runner, metric))
            bullets.append(f"It is ahead of the runner-up {runner} by {diff.text(signed=True)}.")
    bullets.append(f"{best}'s test {name}: {best_iv.text()}; model chosen by {summary['best'].get('selected_by', 'validation')}"
                   f", tested as {summary['best'].get('test_from', 'fitted')}.")
    auroc = t_interval(_seeds(summary, best, "auroc"))
    if auroc.n:
        cards.append(Card("test AUROC", f"{auroc.mean:.3f}", best))
        numbers["best_auroc"] = ("best model's test AUROC", auroc.mean)
    bullets += _switches(summary, metric, n)
    bullets += _typologies(summary, best, baseline)
    return Findings(stage="fraud", headline=headline, bullets=bullets, cards=cards, numbers=numbers)


def _switches(summary: dict, metric: str, n: int) -> list[str]:
    models, out = summary["models"], []
    pairs = [("lgbm_graph", "lgbm_tabular", "Graph-aggregate features (lgbm_graph vs lgbm_tabular)")]
    gnns = [m for m in models if not m.startswith("lgbm") and m != "hybrid"]
    pairs += [(g, "lgbm_graph", f"A GNN ({g}) instead of the graph booster") for g in gnns]
    for a, b, what in pairs:
        if a in models and b in models and (a, b) != (summary["best"]["model"], BASELINE):  # said in the headline
            d, wins = paired(_seeds(summary, a, metric), _seeds(summary, b, metric))
            out.append(f"{what}: {metric.upper()} {d.text(signed=True)}, {verdict(d)}.")
    refit = [(r[metric], r[f"{metric}_no_refit"]) for m in models for r in models[m]["per_seed"]
             if f"{metric}_no_refit" in r]
    if refit:
        d, wins = paired([a for a, _ in refit], [b for _, b in refit])
        out.append(f"Refitting on training + validation labels: {metric.upper()} {d.mean:+.3f} on average over "
                   f"{len(refit)} model-seed fits (better on {wins}), {verdict(d)}.")
    if n < 3:
        out.append(f"Only {n} seed(s): intervals are wide or missing; use 3 or more seeds before concluding.")
    return out


def _typologies(summary: dict, best: str, baseline: str) -> list[str]:
    table = summary.get("typology_auprc") or {}
    if best not in table:
        return []
    mine = table[best]
    hardest = min(mine, key=mine.get)
    out = [f"Hardest fraud typology for {best}: {hardest} (AUPRC {mine[hardest]:.3f} against legit transactions)."]
    if baseline in table and best != baseline:
        gain = {t: mine[t] - table[baseline].get(t, float('nan')) for t in mine}
        top = max(gain, key=lambda t: gain[t] if gain[t] == gain[t] else -1)
        out.append(f"The graph helps most on {top}: AUPRC {table[baseline][top]:.3f} ({baseline}) → {mine[top]:.3f}.")
    return out
