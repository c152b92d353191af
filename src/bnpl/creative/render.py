"""Lookbook pages drawn with Pillow: a grid of product thumbnails with name, price and instalment price,
the headline on top and the disclaimer at the foot. ``render_page`` also returns the layout (each text
with its box) so tests can check what was drawn where."""
from __future__ import annotations

import functools
import textwrap

import pandas as pd
from PIL import Image, ImageDraw, ImageFont

from bnpl.creative.catalogue import instalment_text, money, thumbnail

TILE, PAD, COLS = 220, 14, 3
THUMB = 150


@functools.lru_cache(maxsize=16)
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """DejaVu Sans (shipped with matplotlib; it has the × sign), Pillow's default font otherwise."""
    from matplotlib import font_manager

    try:
        return ImageFont.truetype(font_manager.findfont("DejaVu Sans", fallback_to_default=False), size)
    except (OSError, ValueError):
        return ImageFont.load_default(size=size)


def render_page(products: pd.DataFrame, headline: str, captions: list[str], disclaimer: str,
                n_payments: int = 3, currency: str = "EUR") -> tuple[Image.Image, list[dict]]:
    """(page image, layout). ``layout`` lists ``{"role", "text", "box", "tile"}`` for every text drawn."""
    n = len(products)
    cols = min(COLS, max(1, n))
    rows = -(-n // cols)
    head_h, foot_h, tile_h = 70, 40, TILE + 70
    w = cols * TILE + (cols + 1) * PAD
    h = head_h + rows * tile_h + (rows + 1) * PAD + foot_h
    page = Image.new("RGB", (w, h), (250, 248, 244))
    draw = ImageDraw.Draw(page)
    layout: list[dict] = []

    def text(xy, s, size, role, tile=None, fill=(25, 25, 25)):
        f = _font(size)
        draw.text(xy, s, font=f, fill=fill)
        layout.append({"role": role, "text": s, "box": list(draw.textbbox(xy, s, font=f)), "tile": tile})

    for i, line in enumerate(textwrap.wrap(headline, width=int(w / 14))[:2]):
        text((PAD, 12 + 28 * i), line, 24, "headline")
    for i, (_, p) in enumerate(products.iterrows()):
        r, c = divmod(i, cols)
        x0, y0 = PAD + c * (TILE + PAD), head_h + PAD + r * (tile_h + PAD)
        draw.rectangle([x0, y0, x0 + TILE, y0 + tile_h], fill=(255, 255, 255), outline=(220, 215, 205))
        thumb = thumbnail(p["thumbnail_png"]).resize((THUMB, THUMB), Image.Resampling.NEAREST)
        page.paste(thumb, (x0 + (TILE - THUMB) // 2, y0 + 8))
        layout.append({"role": "thumbnail", "text": "", "box": [x0 + (TILE - THUMB) // 2, y0 + 8,
                                                                 x0 + (TILE + THUMB) // 2, y0 + 8 + THUMB], "tile": i})
        ty = y0 + THUMB + 14
        text((x0 + 8, ty), p["name"], 15, "name", i)
        text((x0 + 8, ty + 20), money(p["price"], currency), 15, "price", i)
        text((x0 + 8, ty + 40), "or " + instalment_text(p["price"], n_payments, currency), 15, "instalment", i,
             fill=(150, 40, 90))
        cap = captions[i] if i < len(captions) else ""
        for j, line in enumerate(textwrap.wrap(cap, width=30)[:2]):
            text((x0 + 8, ty + 62 + 15 * j), line, 12, "caption", i, fill=(80, 80, 80))
    text((PAD, h - foot_h + 12), disclaimer, 12, "disclaimer", fill=(90, 90, 90))
    return page, layout


def collage(images: list[Image.Image], size: int = 512) -> Image.Image:
    """Reference images tiled on a square canvas (the offline stand-in for image generation)."""
    page = Image.new("RGB", (size, size), (255, 255, 255))
    if not images:
        return page
    cols = max(1, int(len(images) ** 0.5 + 0.999))
    cell = size // cols
    for i, im in enumerate(images):
        r, c = divmod(i, cols)
        page.paste(im.convert("RGB").resize((cell, cell), Image.Resampling.NEAREST), (c * cell, r * cell))
    return page
