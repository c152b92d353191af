"""Findings of the creative stage: personalised against best-seller pages, guardrail pass rates,
generation time, the simulated A/B test and its sample sizes, and the image enrichment."""
from __future__ import annotations

import pandas as pd

from bnpl.findings import Card, Findings


def creative_findings(comparison: pd.DataFrame, rates: dict, ab_table: pd.DataFrame, srm: dict,
                      sizes: pd.DataFrame, enrichment: dict, enrich_seconds: float, *, n_customers: int, n_ab: int,
                      backend: str, elasticities: tuple[float, float]) -> Findings:
    """``comparison``: row ``personalised`` and the baseline's row after it (second column: relevance to the latent
    taste as a multiple of chance; ``coherence``; ``seconds_per_text``; ``seconds_per_lookbook``);
    ``ab_table``: index ``(metric, method)`` with ``lift``, ``lift_low``, ``lift_high``,
    ``variance_reduction``; ``sizes``: ``metric``, ``relative_lift``, ``n_per_arm_raw``, ``n_per_arm_cuped``."""
    pers, base = comparison.loc["personalised"], comparison.drop(index="personalised").iloc[0]
    rel_p, rel_b = float(pers.iloc[1]), float(base.iloc[1])
    cm, co = ab_table.loc[("minutes", "CUPED")], ab_table.loc[("orders", "CUPED")]
    s = sizes.set_index(["metric", "relative_lift"])
    better = "beat" if rel_p > rel_b else "do not beat"
    headline = (f"Personalised lookbooks {better} the best-seller page on taste match "
                f"({rel_p:.2f}x chance against {rel_b:.2f}x, {n_customers} customers); "
                f"{rates['pass_rate_first']:.0%} of generated texts passed every guardrail at the first attempt.")
    bullets = [
        f"Coherence within a page: {pers['coherence']:.2f} personalised vs {base['coherence']:.2f} best-sellers.",
        f"Guardrails: {rates['pass_rate_first']:.0%} of {rates['texts']} texts passed at the first attempt, "
        f"{rates['pass_rate_after_regeneration']:.0%} after one regeneration, {rates['pass_rate_after_fallback']:.0%} "
        "after the template fallback; only passing texts were shipped.",
        f"Generation ({backend} backend): {pers['seconds_per_text']:.2f} s per text, "
        f"{pers['seconds_per_lookbook']:.1f} s per lookbook.",
        f"Simulated A/B ({n_ab:,} customers; sample-ratio check p = {srm['p_value']:.2f}): time in app "
        f"{cm['lift']:+.1%} [{cm['lift_low']:+.1%}, {cm['lift_high']:+.1%}], orders {co['lift']:+.1%} "
        f"[{co['lift_low']:+.1%}, {co['lift_high']:+.1%}] (CUPED cut the variance by {cm['variance_reduction']:.0%} "
        f"and {co['variance_reduction']:.0%}). These lifts follow from the assumed elasticities "
        f"{elasticities[0]} (time) and {elasticities[1]} (orders): the simulation checks the analysis, not the business claim.",
        f"Customers per arm for 80% power (CUPED): +15% time {int(s.loc[('minutes', 0.15), 'n_per_arm_cuped']):,}, "
        f"+1.5% time {int(s.loc[('minutes', 0.015), 'n_per_arm_cuped']):,}, +50% orders "
        f"{int(s.loc[('orders', 0.5), 'n_per_arm_cuped']):,}, +5% orders {int(s.loc[('orders', 0.05), 'n_per_arm_cuped']):,}.",
        f"Enrichment: {int(enrichment['images'])} images in {enrich_seconds:.1f} s, "
        f"{int(enrichment['exact_duplicates'])} exact and {int(enrichment['near_duplicates'])} near duplicates, "
        f"mean quality {enrichment['mean_quality_before']:.2f} -> {enrichment['mean_quality_after']:.2f}.",
    ]
    cards = [Card("taste match", f"{rel_p:.2f}x", f"vs {rel_b:.2f}x best-sellers"),
             Card("guardrails, first attempt", f"{rates['pass_rate_first']:.0%}", f"{rates['texts']} texts"),
             Card("per lookbook", f"{pers['seconds_per_lookbook']:.1f} s", f"{backend} backend")]
    numbers = {"relevance_personalised": ("taste match, personalised (x chance)", rel_p),
               "relevance_baseline": ("taste match, best-sellers (x chance)", rel_b),
               "pass_rate_first": ("guardrail pass rate, first attempt", float(rates["pass_rate_first"])),
               "seconds_per_lookbook": ("seconds per lookbook", float(pers["seconds_per_lookbook"]))}
    return Findings(stage="creative", headline=headline, bullets=bullets, cards=cards, numbers=numbers)
