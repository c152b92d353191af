"""Merchants and the product catalogue (category, brand, price, colour, style, thumbnail)."""
from __future__ import annotations

import io

import numpy as np
import pandas as pd
from PIL import Image

from bnpl.data.synthetic.config import (
    BAND_PRICES,
    CATEGORIES,
    COLOURS,
    STYLES,
    WorldConfig,
)

_RGB = {"black": (20, 20, 20), "white": (245, 245, 245), "grey": (128, 128, 128), "red": (200, 30, 40),
        "blue": (30, 70, 200), "green": (40, 150, 60), "yellow": (235, 200, 30), "pink": (240, 130, 180),
        "brown": (120, 70, 30), "beige": (220, 200, 160)}


def make_merchants(cfg: WorldConfig, rng: np.random.Generator) -> pd.DataFrame:
    """Merchants, each selling one category; ``size`` drives how often customers land there."""
    n, k = cfg.n_merchants, len(CATEGORIES)
    category = np.concatenate([np.arange(k), rng.integers(0, k, size=n - k)])
    return pd.DataFrame({
        "merchant_id": np.arange(n),
        "category": pd.Categorical.from_codes(category, CATEGORIES),
        "size": rng.lognormal(0.0, 1.0, size=n),
        "region": rng.integers(0, 20, size=n).astype(np.int16),
        "onboarded_time": -rng.uniform(30, 1500, size=n),
    })


def make_products(cfg: WorldConfig, merchants: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """The catalogue. Every (category, style) pair has at least one product."""
    n, k, s = cfg.n_products, len(CATEGORIES), len(STYLES)
    cells = np.arange(k * s)
    cell = np.concatenate([cells, rng.integers(0, k * s, size=n - k * s)])
    category, style = cell // s, cell % s
    brands_per_cat = max(2, n // (20 * k))
    brand = category * brands_per_cat + rng.integers(0, brands_per_cat, size=n)
    brand_band = rng.integers(0, len(BAND_PRICES), size=k * brands_per_cat)
    band = np.clip(brand_band[brand] + rng.integers(-1, 2, size=n), 0, len(BAND_PRICES) - 1)
    price = np.round(np.asarray(BAND_PRICES)[band] * rng.lognormal(0.0, 0.25, size=n), 2)
    merchant_cat = merchants["category"].cat.codes.to_numpy()
    from bnpl.data.synthetic.sampling import weighted_in_groups

    merchant = weighted_in_groups(merchant_cat, merchants["size"].to_numpy(), k, category, rng)
    colour = rng.integers(0, len(COLOURS), size=n)
    popularity = rng.lognormal(0.0, 1.0, size=n)
    df = pd.DataFrame({
        "product_id": np.arange(n),
        "merchant_id": merchant,
        "category": pd.Categorical.from_codes(category, CATEGORIES),
        "brand_id": brand.astype(np.int32),
        "price_band": band.astype(np.int8),
        "price": price,
        "colour": pd.Categorical.from_codes(colour, COLOURS),
        "style": pd.Categorical.from_codes(style, STYLES),
        "popularity": popularity,
    })
    df["thumbnail_png"] = thumbnails(category, style, colour)
    return df


def complements(products: pd.DataFrame, rng: np.random.Generator, per_product: int = 2) -> np.ndarray:
    """(n_products, per_product) array of complementary products sold by the same merchant."""
    from bnpl.data.synthetic.sampling import weighted_in_groups

    merchant = products["merchant_id"].to_numpy()
    n_m = int(merchant.max()) + 1
    uniform = np.ones(len(products))
    cols = [weighted_in_groups(merchant, uniform, n_m, merchant, rng) for _ in range(per_product)]
    return np.stack(cols, axis=1)


def thumbnails(category: np.ndarray, style: np.ndarray, colour: np.ndarray) -> list[bytes]:
    """A 32x32 PNG per product: a category shape in the product colour, a style pattern.

    Products sharing (category, style, colour) share the same picture, so encoding cost is
    bounded by the number of such combinations, not the catalogue size.
    """
    cache: dict[tuple[int, int, int], bytes] = {}
    out = []
    for key in zip(category.tolist(), style.tolist(), colour.tolist(), strict=True):
        if key not in cache:
            cache[key] = _thumbnail(*key)
        out.append(cache[key])
    return out


def _thumbnail(category: int, style: int, colour: int) -> bytes:
    yy, xx = np.mgrid[0:32, 0:32]
    img = np.full((32, 32, 3), 235, dtype=np.uint8)
    shape = category % 4
    if shape == 0:
        mask = (xx - 16) ** 2 + (yy - 16) ** 2 < 11 ** 2
    elif shape == 1:
        mask = (abs(xx - 16) < 10) & (abs(yy - 16) < 10)
    elif shape == 2:
        mask = (yy > 6) & (yy < 27) & (abs(xx - 16) < (yy - 6) / 2 + 1)
    else:
        mask = abs(xx - 16) + abs(yy - 16) < 12
    img[mask] = _RGB[COLOURS[colour]]
    stripes = ((xx + yy * (style % 3)) // (2 + style // 3)) % 2 == 0
    img[mask & stripes] = (img[mask & stripes] * 0.7).astype(np.uint8)
    img[: 2 + category // 4, :] = (60, 60, 60)  # category-row marker at the top
    buf = io.BytesIO()
    Image.fromarray(img).save(buf, format="PNG")
    return buf.getvalue()
