"""What the creative stage reads from the synthetic world: a named product catalogue with prices and
instalments, customers' observed tastes (from their history) and their latent tastes (ground truth)."""
from __future__ import annotations

import io

import numpy as np
import pandas as pd
from PIL import Image

from bnpl.data.synthetic import World, world_to_interactions
from bnpl.data.synthetic.config import CATEGORIES, STYLES
from bnpl.errors import DataError

NOUNS = {"fashion": "jacket", "shoes": "sneakers", "beauty": "serum", "electronics": "headphones", "home": "lamp",
         "sports": "yoga mat", "toys": "puzzle", "jewellery": "necklace", "books": "novel", "garden": "planter",
         "gift_cards": "gift card", "travel": "weekender bag"}


def money(x: float, currency: str = "EUR") -> str:
    return f"{x:.2f} {currency}"


def instalment_text(total: float, n_payments: int, currency: str = "EUR") -> str:
    """``"3 × 33.00 EUR"``: the per-payment amount (rounded up to the cent so n payments cover the total)."""
    return f"{n_payments} × {money(instalment_amount(total, n_payments), currency)}"


def instalment_amount(total: float, n_payments: int) -> float:
    return float(np.ceil(round(total * 100) / n_payments) / 100)


def product_catalogue(world: World) -> pd.DataFrame:
    """One row per product: id, display ``name`` ("Red bold sneakers"), ``description`` (for embeddings),
    category, style, colour, price and the PNG thumbnail."""
    pr = world.tables["products"]
    cat, style, colour = (pr[c].astype(str).to_numpy() for c in ("category", "style", "colour"))
    names = [f"{c.capitalize()} {s} {NOUNS.get(k, k)}" for k, s, c in zip(cat, style, colour, strict=True)]
    return pd.DataFrame({
        "product_id": pr["product_id"].to_numpy(), "name": names,
        "description": [f"{s} style {c} {NOUNS.get(k, k)} ({k.replace('_', ' ')})"
                        for k, s, c in zip(cat, style, colour, strict=True)],
        "category": cat, "style": style, "colour": colour, "price": pr["price"].to_numpy().astype(float),
        "popularity": pr["popularity"].to_numpy(), "thumbnail_png": pr["thumbnail_png"].to_numpy(),
    })


def thumbnail(png: bytes) -> Image.Image:
    return Image.open(io.BytesIO(png)).convert("RGB")


def observed_taste(world: World, customer_ids, interactions: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per customer: favourite categories and styles from their history (views, carts, orders; weighted),
    as the personalisation the app could really use; plus a one-line ``summary`` for prompts.
    ``interactions``: ``world_to_interactions(world).interactions`` when the caller already has it."""
    inter = world_to_interactions(world).interactions if interactions is None else interactions
    pr = world.tables["products"]
    ids = np.asarray(customer_ids, dtype=np.int64)
    mine = inter[inter["user_id"].isin(ids)]
    groups = {int(k): g for k, g in mine.groupby("user_id", sort=False)}
    empty = mine.iloc[:0]
    rows = []
    for cid in ids:
        h = groups.get(int(cid), empty)
        items, w = h["item_id"].to_numpy(), h["weight"].to_numpy()
        cats = pd.Series(w, index=pr["category"].astype(str).to_numpy()[items]).groupby(level=0).sum()
        styles = pd.Series(w, index=pr["style"].astype(str).to_numpy()[items]).groupby(level=0).sum()
        top_c = cats.sort_values(ascending=False).index[:2].tolist()
        top_s = styles.sort_values(ascending=False).index[:2].tolist()
        rows.append({"customer_id": int(cid), "top_categories": top_c, "top_styles": top_s,
                     "history_items": items.tolist(),
                     "summary": (f"likes {' and '.join(top_s)} styles; shops {' and '.join(c.replace('_', ' ') for c in top_c)}"
                                 if top_c else "new customer, no history yet")})
    return pd.DataFrame(rows)


def latent_taste(world: World) -> dict[str, np.ndarray]:
    """The customers' latent category and style preferences and shopping activity, rebuilt from the world's
    config (the generator draws them from a seeded stream and shuffles customer ids with another).

    Checked against the saved customer table (age and credit score must match); raises DataError when the
    world was made by a generator whose draws differ.
    """
    from bnpl.data.synthetic.fraud import extra_customers
    from bnpl.data.synthetic.population import make_population

    cfg = world.config
    pop = make_population(cfg, sum(extra_customers(cfg).values()), np.random.default_rng([cfg.seed, 4]))
    perm = np.random.default_rng([cfg.seed, 12]).permutation(pop.n)
    cu = world.tables["customers"]
    if len(cu) != pop.n:
        raise DataError(f"world {cfg.seed=}: {len(cu)} customers, the generator gives {pop.n}: latent taste unavailable")
    order = np.empty(pop.n, dtype=np.int64)
    order[perm] = np.arange(pop.n)  # order[new id] = raw id
    if not (np.array_equal(cu["age"].to_numpy(), pop.age[order])
            and np.array_equal(cu["credit_score"].to_numpy(), pop.credit_score[order])):
        raise DataError("customers table does not match the generator's population: latent taste unavailable")
    return {"category": pop.cat_pref[order], "style": pop.style_pref[order], "activity": pop.activity[order]}


def taste_affinity(taste: dict[str, np.ndarray], customer_ids, product_ids, catalogue: pd.DataFrame) -> np.ndarray:
    """Ground-truth relevance: ``K * S * p(category) * p(style)`` per (customer, product), i.e. how many times
    more likely the customer's latent taste picks that (category, style) than a uniform draw (1 = chance).
    ``product_ids`` is a ``(len(customer_ids), n)`` array; ``-1`` entries give NaN."""
    ids = np.asarray(product_ids, dtype=np.int64)
    cust = np.asarray(customer_ids, dtype=np.int64)[:, None]
    cat = pd.Categorical(catalogue["category"], categories=CATEGORIES).codes[np.maximum(ids, 0)]
    sty = pd.Categorical(catalogue["style"], categories=STYLES).codes[np.maximum(ids, 0)]
    aff = len(CATEGORIES) * len(STYLES) * taste["category"][cust, cat] * taste["style"][cust, sty]
    return np.where(ids >= 0, aff, np.nan)
