"""Campaign-level pieces: segment messages, the personalised-vs-baseline comparison table, and the
per-customer page affinities that drive the simulated A/B test."""
from __future__ import annotations

import numpy as np
import pandas as pd

from bnpl.creative.catalogue import observed_taste, taste_affinity
from bnpl.creative.copywriter import Copy, message_request, pass_rates, write
from bnpl.creative.lookbook import Lookbook, LookbookStudio
from bnpl.errors import BnplError


def segments(studio: LookbookStudio, customer_ids, n_segments: int) -> pd.DataFrame:
    """Customers grouped by their favourite (observed) category; the ``n_segments`` largest groups."""
    t = observed_taste(studio.world, customer_ids, studio.interactions)
    t["segment"] = [c[0] if c else "new" for c in t["top_categories"]]
    t["top_style"] = [s[0] if s else "classic" for s in t["top_styles"]]
    return t[t["segment"].isin(t["segment"].value_counts().index[:n_segments])]


def segment_messages(studio: LookbookStudio, seg: pd.DataFrame, seed: int = 0) -> tuple[pd.DataFrame, list[Copy]]:
    """One campaign message per segment: the segment's best-sellers in its favourite style, model-written
    hook + offer line (instalments and total) + disclaimer, checked, regenerated, templated."""
    g, cat = studio.cfg.guardrails, studio.catalogue
    reqs, rows = [], []
    counts = np.asarray(studio.best_sellers.score(np.array([0]))[0])  # popularity: same scores for everyone
    for name, grp in seg.groupby("segment", sort=True):
        style = grp["top_style"].mode().iloc[0]
        pool = cat[(cat["category"] == name) & (cat["style"] == style)]
        pool = pool if len(pool) >= 2 else cat[cat["category"] == name]
        if len(pool) < 2:
            raise BnplError(f"segment {name!r}: fewer than two products in the catalogue")
        top = pool.iloc[np.argsort(-counts[pool["product_id"].to_numpy()], kind="stable")[:2]]
        reqs.append(message_request(f"love {name.replace('_', ' ')}", top, g.n_payments, g.currency, g.disclaimer))
        rows.append({"segment": name, "customers": len(grp), "style": style, "products": top["name"].tolist()})
    copies = write(reqs, studio.backend, studio.guardrails, studio.cfg.lookbook.max_attempts, seed=seed)
    table = pd.DataFrame(rows)
    table["message"] = [c.text for c in copies]
    table["source"] = [c.source for c in copies]
    table["failed_first"] = [", ".join(sorted({k for r in c.rejected for k, v in
                                               _checks(studio, r, c.kind, q.product_ids).items() if not v}))
                             for c, q in zip(copies, reqs, strict=True)]
    return table, copies


def _checks(studio, text, kind, ids):
    from bnpl.creative.guardrails import checks_dict

    return checks_dict(studio.guardrails.check(text, kind, ids))


def comparison_table(personal: list[Lookbook], baseline: list[Lookbook]) -> pd.DataFrame:
    """Personalised vs baseline lookbooks in one table: relevance (ground truth, embeddings), coherence,
    diversity, guardrail pass rates and generation latency."""
    rows = {}
    for name, books in (("personalised", personal), ("baseline (best-sellers, generic copy)", baseline)):
        s = pd.DataFrame([b.scores for b in books])
        texts = [t for b in books for t in [b.headline, *b.captions]]
        rates = pass_rates(texts)
        rows[name] = {"lookbooks": len(books), "relevance_truth (1 = chance)": s["relevance_truth"].mean(),
                      "relevance_embedding": s["relevance_embedding"].mean(), "coherence": s["coherence"].mean(),
                      "diversity_categories": s["diversity_categories"].mean(),
                      "pass_rate_first": rates["pass_rate_first"],
                      "pass_rate_after_fallback": rates["pass_rate_after_fallback"],
                      "seconds_per_lookbook": s["seconds"].mean(), "seconds_per_text": s["seconds_per_text"].mean()}
    return pd.DataFrame(rows).T


def page_affinities(studio: LookbookStudio, customer_ids, tiles: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Mean ground-truth affinity of each customer's personalised page (the recommender's top ``tiles``) and
    of the best-seller page, for the A/B simulation. Vectorised: the greedy arrangement is skipped."""
    if studio.taste is None:
        raise BnplError("this world's latent tastes cannot be rebuilt: the A/B simulation needs them")
    tiles = tiles or studio.cfg.lookbook.tiles
    ids = np.asarray(customer_ids, dtype=np.int64)
    personal = studio.model.recommend(ids, k=tiles)
    generic = studio.best_sellers.recommend(ids, k=tiles)
    return (np.nanmean(taste_affinity(studio.taste, ids, generic, studio.catalogue), axis=1),
            np.nanmean(taste_affinity(studio.taste, ids, personal, studio.catalogue), axis=1))
