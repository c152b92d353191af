"""Image-library enrichment: a resumable batch pipeline over a folder of product images.

Per image: normalise size and aspect (pad to a square with the border colour, never crop; resize to
``size``), auto-contrast, grey-world white balance, background clean-up (pixels close to the border colour
become white), a quality score before and after, and perceptual hashes (``imagehash``) for exact and near
duplicates. With the cloud backend an ``editor`` (Gemini image editing) replaces the Pillow clean-up.

Resumable: ``<out>/manifest.json`` (written atomically every ``checkpoint_every`` images and when the run
stops, even by an interruption) records each finished input with its content hash; a second run skips
inputs whose hash is recorded and whose output exists. The input folder is never written.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from PIL import Image, ImageFilter, ImageOps
from tqdm import tqdm

from bnpl.creative.config import EnrichConfig
from bnpl.creative.outputs import check_out_dir
from bnpl.errors import BnplError
from bnpl.io import atomic_path, write_json

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp", ".bmp", ".gif", ".tif", ".tiff"}
OUT_FILES = r"manifest\.json|summary\.csv|images/.+\.png"


def border_colour(arr: np.ndarray) -> np.ndarray:
    """Median RGB of the outermost pixel ring (the background of a product photo)."""
    ring = np.concatenate([arr[0], arr[-1], arr[:, 0], arr[:, -1]])
    return np.median(ring, axis=0)


def quality(image: Image.Image) -> dict[str, float]:
    """Sharpness (mean edge strength), contrast (luminance spread), exposure (share not clipped), all measured
    at 128 x 128 so they do not depend on the file's size, resolution (short side / 512, capped at 1) and
    their mean as ``score`` in [0, 1]."""
    g = image.convert("L").resize((128, 128), Image.Resampling.BILINEAR)
    lum = np.asarray(g, dtype=np.float32) / 255
    edges = np.asarray(g.filter(ImageFilter.FIND_EDGES), dtype=np.float32)[1:-1, 1:-1] / 255
    parts = {"sharpness": float(min(1.0, edges.mean() * 10)), "contrast": float(min(1.0, lum.std() * 4)),
             "exposure": float(1 - ((lum < 0.02) | (lum > 0.98)).mean() * 0.5),
             "resolution": float(min(1.0, min(image.size) / 512))}
    parts["score"] = float(np.mean(list(parts.values())))
    return parts


def clean_image(image: Image.Image, size: int = 256, tolerance: int = 18) -> tuple[Image.Image, dict]:
    """(cleaned ``size`` x ``size`` image, what changed)."""
    im = image.convert("RGB")
    arr = np.asarray(im)
    bg = border_colour(arr)
    w, h = im.size
    side = max(w, h)
    padded = Image.new("RGB", (side, side), tuple(int(v) for v in bg))
    padded.paste(im, ((side - w) // 2, (side - h) // 2))
    resample = Image.Resampling.LANCZOS if side > size else Image.Resampling.NEAREST  # upscaling small art keeps hard edges
    out = padded.resize((size, size), resample)
    contrast = ImageOps.autocontrast(out, cutoff=1)
    a = np.asarray(contrast, dtype=np.float32)
    means = a.reshape(-1, 3).mean(axis=0)
    gain = means.mean() / np.maximum(means, 1e-3)
    balanced = np.clip(a * gain, 0, 255)
    bg2 = border_colour(balanced)
    near = np.linalg.norm(balanced - bg2, axis=2) <= tolerance
    balanced[near] = 255
    result = Image.fromarray(balanced.astype(np.uint8))
    changes = {"width": w, "height": h, "padded": w != h, "resized": side != size,
               "contrast_stretched": bool(np.abs(np.asarray(contrast, np.int16) - np.asarray(out, np.int16)).max() > 0),
               "white_balance_gain_max": float(np.abs(gain - 1).max()),
               "background_cleaned_share": float(near.mean())}
    return result, changes


def list_images(folder: str | Path) -> list[Path]:
    folder = Path(folder)
    if not folder.is_dir():
        raise BnplError(f"--images {folder}: not a folder")
    files = sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
    if not files:
        raise BnplError(f"--images {folder}: no image files ({', '.join(sorted(IMAGE_SUFFIXES))})")
    return files


def _load_manifest(path: Path) -> dict:
    if not path.exists():
        return {}
    try:
        return json.loads(path.read_text())["images"]
    except (json.JSONDecodeError, KeyError, TypeError) as e:
        raise BnplError(f"{path}: not a manifest bnpl wrote ({e.__class__.__name__}); choose a new --out") from None


def enrich_folder(images: str | Path, out: str | Path, cfg: EnrichConfig,
                  editor: Callable[[Image.Image], Image.Image] | None = None, limit: int | None = None,
                  progress: bool = True, on_image: Callable[[str], None] | None = None) -> pd.DataFrame:
    """Enrich every image under ``images`` into ``out/images/``; returns the summary table (also written as
    ``out/summary.csv``) once every image is done. ``on_image(name)`` is called after each image."""
    images = Path(images)
    files = list_images(images)
    out = check_out_dir(out, OUT_FILES, [images])
    (out / "images").mkdir(parents=True, exist_ok=True)
    manifest_path = out / "manifest.json"
    done = _load_manifest(manifest_path)
    todo = files[:limit] if limit else files
    skipped = 0

    def save() -> None:
        write_json(manifest_path, {"source": str(images.resolve()), "images": done})

    try:
        since = 0
        for f in tqdm(todo, desc="enrich", disable=not progress):
            rel = str(f.relative_to(images))
            data = f.read_bytes()
            sha = hashlib.sha256(data).hexdigest()
            prev = done.get(rel)
            if prev and prev["sha256"] == sha and (out / prev["output"]).exists():
                skipped += 1
                continue
            done[rel] = _process(f, rel, sha, out, cfg, editor)
            since += 1
            if since >= cfg.checkpoint_every:
                save()
                since = 0
            if on_image:
                on_image(rel)
    finally:
        save()
    table = summary_table(done, cfg.near_duplicate_distance)
    table.attrs["skipped"] = skipped
    with atomic_path(out / "summary.csv", suffix=".csv") as tmp:
        table.to_csv(tmp)
    return table


def _process(f: Path, rel: str, sha: str, out: Path, cfg: EnrichConfig, editor) -> dict:
    import imagehash

    try:
        with Image.open(f) as im:
            im.load()
            src = im.convert("RGB")
    except OSError as e:
        return {"sha256": sha, "output": None, "error": f"unreadable image ({e.__class__.__name__})"}
    if editor is None:
        cleaned, changes = clean_image(src, cfg.size, cfg.background_tolerance)
    else:
        cleaned = editor(src).convert("RGB").resize((cfg.size, cfg.size))
        changes = {"width": src.width, "height": src.height, "edited_by": "cloud"}
    name = "images/" + hashlib.sha1(rel.encode()).hexdigest()[:16] + ".png"
    with atomic_path(out / name, suffix=".png") as tmp:
        cleaned.save(tmp, format="PNG")
    return {"sha256": sha, "output": name, "pixels_sha256": hashlib.sha256(src.tobytes()).hexdigest(),
            "phash": str(imagehash.phash(src)), "tiny_rgb": src.resize((8, 8), Image.Resampling.BILINEAR).tobytes().hex(),
            "quality_before": quality(src)["score"],
            "quality_after": quality(cleaned)["score"], **changes}


def summary_table(done: dict, near_distance: int) -> pd.DataFrame:
    """One row per input: what changed, quality before/after, and the first earlier image it duplicates
    exactly (same pixels) or nearly (perceptual-hash distance <= ``near_distance`` and 8 x 8 RGB
    thumbnails within 12 grey levels on average: the same picture re-encoded, resized or lightly edited, not merely the same shape in another colour)."""
    import imagehash

    rows = pd.DataFrame.from_dict(done, orient="index").sort_index()
    rows.index.name = "image"
    if "pixels_sha256" not in rows:
        return rows
    exact: list[str | None] = []
    near: list[str | None] = []
    first_by_pixels: dict[str, str] = {}
    hashes: list[tuple[str, Any, np.ndarray]] = []
    for name, r in rows.iterrows():
        if not isinstance(r.get("phash"), str):
            exact.append(None)
            near.append(None)
            continue
        e = first_by_pixels.setdefault(r["pixels_sha256"], name)
        exact.append(e if e != name else None)
        h = imagehash.hex_to_hash(r["phash"])
        ch = np.frombuffer(bytes.fromhex(r["tiny_rgb"]), dtype=np.uint8).astype(np.int16)
        n = None
        if e == name:
            n = next((other for other, oh, och in hashes
                      if h - oh <= near_distance and np.abs(ch - och).mean() <= 12), None)
            hashes.append((name, h, ch))
        near.append(n)
    rows["exact_duplicate_of"] = exact
    rows["near_duplicate_of"] = near
    return rows


def overview(table: pd.DataFrame) -> pd.Series:
    """The pipeline in a few numbers."""
    ok = table[table["output"].notna()]
    return pd.Series({
        "images": len(table), "unreadable": int(table["output"].isna().sum()),
        "padded_to_square": int(ok.get("padded", pd.Series(dtype=bool)).fillna(False).astype(bool).sum()),
        "resized": int(ok.get("resized", pd.Series(dtype=bool)).fillna(False).astype(bool).sum()),
        "exact_duplicates": int(ok["exact_duplicate_of"].notna().sum()),
        "near_duplicates": int(ok["near_duplicate_of"].notna().sum()),
        "mean_quality_before": float(ok["quality_before"].mean()), "mean_quality_after": float(ok["quality_after"].mean()),
        "mean_background_cleaned_share": float(ok.get("background_cleaned_share", pd.Series([np.nan])).mean()),
    })


def export_product_images(world, folder: str | Path) -> Path:
    """Write the world's product thumbnails as ``product_<id>.png`` (the default image library); a folder
    already holding exactly these files is reused."""
    folder = Path(folder)
    pr = world.tables["products"]
    check_out_dir(folder, r"product_\d+\.png")
    folder.mkdir(parents=True, exist_ok=True)
    for pid, png in zip(pr["product_id"].to_numpy(), pr["thumbnail_png"].to_numpy(), strict=True):
        path = folder / f"product_{pid}.png"
        if not path.exists() or path.read_bytes() != png:
            with atomic_path(path, suffix=".png") as tmp:
                tmp.write_bytes(png)
    return folder


def before_after_figure(images: str | Path, out: str | Path, table: pd.DataFrame, n: int = 6):
    """Originals above their enriched versions, for the ``n`` images whose quality rose most."""
    import matplotlib.pyplot as plt

    ok = table[table["output"].notna()].copy()
    ok["gain"] = ok["quality_after"] - ok["quality_before"]
    pick = ok.sort_values("gain", ascending=False).head(n)
    fig, axes = plt.subplots(2, max(1, len(pick)), figsize=(2 * max(1, len(pick)), 4.4), squeeze=False)
    for j, (name, r) in enumerate(pick.iterrows()):
        axes[0, j].imshow(Image.open(Path(images) / name).convert("RGB"))
        axes[0, j].set_title(f"{Path(name).stem}\nq={r['quality_before']:.2f}", fontsize=7)
        axes[1, j].imshow(Image.open(Path(out) / r["output"]))
        axes[1, j].set_title(f"enriched q={r['quality_after']:.2f}", fontsize=7)
    for ax in axes.ravel():
        ax.axis("off")
    fig.tight_layout()
    return fig
