"""Findings of the data-preparation stage from the world's card and its two diagnostics."""
from __future__ import annotations

import pandas as pd

from bnpl.findings import Card, Findings
from bnpl.findings.stats import pct

LINK_COLUMNS = {"device_shared_3plus_customers": "device shared by 3+ customers",
                "device_not_registered": "device not registered to the customer",
                "ships_to_address_of_4plus_customers": "ships to an address of 4+ customers",
                "ships_away_from_home": "ships away from home",
                "account_fan_in_5plus": "account paid by 5+ accounts"}


def data_findings(facts: dict, taste: dict, links: pd.DataFrame | None = None) -> Findings:
    """Size and fraud mix of the world, whether taste beats popularity, and which link pattern marks
    each fraud typology (``links``: :func:`~bnpl.data.synthetic.diagnostics.link_signal_table`, rows =
    typologies including ``legit``)."""
    n, fraud, rate = facts.get("labelled", 0), facts.get("fraud", 0), facts.get("fraud_rate", float("nan"))
    span = facts.get("time_span")
    headline = (f"A world of {n:,} labelled transactions" + (f" over {span:.0f} days" if span else "")
                + f", {fraud:,} of them fraud ({pct(rate, 2)}).")
    cards = [Card("transactions", f"{n:,}", f"seed {facts.get('seed', '?')}"),
             Card("fraud rate", pct(rate, 2), f"{fraud:,} frauds")]
    numbers = {"transactions": ("labelled transactions", float(n)), "fraud_rate": ("fraud rate", float(rate))}
    bullets = []
    if "median_label_delay" in facts:
        bullets.append(f"Fraud labels arrive a median {facts['median_label_delay']:.1f} days after the order, "
                       "so the latest orders are unlabelled when a model is trained.")
    if "recsys_users" in facts:
        bullets.append(f"Recommendation data: {facts['recsys_users']:,} customers, {facts.get('recsys_items', 0):,} "
                       f"products, {facts.get('recsys_interactions', 0):,} interactions.")
    hit_t = next((v for k, v in taste.items() if k.startswith("taste_hit")), None)
    hit_p = next((v for k, v in taste.items() if k.startswith("popularity_hit")), None)
    if hit_t is not None and hit_p is not None:
        k = next(k for k in taste if k.startswith("taste_hit")).split("@")[-1]
        ok = hit_t > hit_p
        bullets.append(f"Taste is {'learnable' if ok else 'NOT learnable'}: a per-customer category model finds the "
                       f"next product in its top {k} for {pct(hit_t)} of {taste.get('users', 0):,} customers, "
                       f"popularity for {pct(hit_p)}.")
        cards.append(Card(f"taste vs popularity hit@{k}", f"{pct(hit_t)} vs {pct(hit_p)}", ""))
        numbers["taste_hit"] = (f"taste model hit@{k}", float(hit_t))
        headline += " Taste beats popularity." if ok else " Taste does NOT beat popularity: check the generator."
    if links is not None and "legit" in links.index:
        bullets += _link_lines(links)
    return Findings(stage="data", headline=headline, bullets=bullets, cards=cards, numbers=numbers)


def _link_lines(links: pd.DataFrame) -> list[str]:
    cols = [c for c in LINK_COLUMNS if c in links.columns]
    legit = links.loc["legit", cols]
    parts = []
    for typ, row in links.drop(index="legit").iterrows():
        gap = row[cols] - legit
        top = gap.idxmax()
        if gap[top] > 0.05:
            parts.append(f"{typ.replace('_', ' ')}: {LINK_COLUMNS[top]} ({pct(row[top], 0)} vs {pct(legit[top], 0)} of legit)")
        else:
            parts.append(f"{typ.replace('_', ' ')}: no link pattern stands out")
    return ["Fraud hides in the links; the pattern that marks each typology most: " + "; ".join(parts) + "."] if parts else []
