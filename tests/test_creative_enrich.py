"""Enrichment: planted exact and near duplicates are found, an interrupted run resumes, folders are safe."""
import hashlib

import numpy as np
import pytest
from PIL import Image, ImageEnhance

from bnpl.creative.config import load_config
from bnpl.creative.enrich import clean_image, enrich_folder, overview, quality
from bnpl.errors import BnplError


def _library(folder):
    """Eight distinct random-blob photos, one exact copy, one near copy (named to sort after their originals) (resized + JPEG + brighter), one
    wide image."""
    folder.mkdir()
    rng = np.random.default_rng(0)
    for i in range(8):
        a = np.full((96, 96, 3), 230, np.uint8)
        for _ in range(6):
            x, y, r = rng.integers(10, 86, 2).tolist() + [int(rng.integers(5, 20))]
            yy, xx = np.mgrid[0:96, 0:96]
            a[(xx - x) ** 2 + (yy - y) ** 2 < r * r] = rng.integers(0, 255, 3)
        Image.fromarray(a).save(folder / f"p{i}.png")
    (folder / "z_copy_of_p1.png").write_bytes((folder / "p1.png").read_bytes())
    near = ImageEnhance.Brightness(Image.open(folder / "p2.png").resize((80, 80))).enhance(1.05)
    near.convert("RGB").save(folder / "z_near_p2.jpg", quality=85)
    Image.new("RGB", (120, 40), (200, 190, 180)).save(folder / "wide.png")
    return folder


def _digest(folder):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def test_duplicates_are_found_and_the_input_is_untouched(tmp_path):
    src = _library(tmp_path / "src")
    before = _digest(src)
    table = enrich_folder(src, tmp_path / "out", load_config().enrich, progress=False)
    assert _digest(src) == before
    assert table.loc["z_copy_of_p1.png", "exact_duplicate_of"] == "p1.png"
    assert table.loc["z_near_p2.jpg", "near_duplicate_of"] == "p2.png"
    others = table.drop(index=["z_copy_of_p1.png", "z_near_p2.jpg"])
    assert others["exact_duplicate_of"].isna().all() and others["near_duplicate_of"].isna().all()
    assert bool(table.loc["wide.png", "padded"]) and not bool(table.loc["p0.png", "padded"])
    size = load_config().enrich.size
    assert all(Image.open(tmp_path / "out" / o).size == (size, size) for o in table["output"])
    ov = overview(table)
    assert ov["images"] == 11 and ov["exact_duplicates"] == 1 and ov["near_duplicates"] == 1
    assert (tmp_path / "out" / "summary.csv").exists()


def test_an_interrupted_run_resumes_and_skips_what_is_done(tmp_path):
    src = _library(tmp_path / "src")
    cfg = load_config().enrich
    seen = []

    def crash_after_four(name):
        seen.append(name)
        if len(seen) == 4:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        enrich_folder(src, tmp_path / "out", cfg, progress=False, on_image=crash_after_four)
    processed = []
    table = enrich_folder(src, tmp_path / "out", cfg, progress=False, on_image=processed.append)
    assert table.attrs["skipped"] == 4 and len(processed) == 7 and not set(processed) & set(seen)
    again = []
    enrich_folder(src, tmp_path / "out", cfg, progress=False, on_image=again.append)
    assert again == []


def test_output_folder_rules(tmp_path):
    src = _library(tmp_path / "src")
    cfg = load_config().enrich
    with pytest.raises(BnplError, match="overlaps the input"):
        enrich_folder(src, src, cfg, progress=False)
    with pytest.raises(BnplError, match="overlaps the input"):
        enrich_folder(src, src / "enriched", cfg, progress=False)
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "thesis.docx").write_text("x")
    with pytest.raises(BnplError, match="did not write"):
        enrich_folder(src, foreign, cfg, progress=False)
    with pytest.raises(BnplError, match="no image files"):
        enrich_folder(foreign, tmp_path / "o2", cfg, progress=False)


def test_clean_image_balances_and_whitens_the_background():
    a = np.full((40, 40, 3), (200, 180, 160), np.uint8)   # warm grey background
    a[10:30, 10:30] = (40, 60, 160)
    out, ch = clean_image(Image.fromarray(a), size=64)
    arr = np.asarray(out)
    assert out.size == (64, 64) and (arr[0, 0] == 255).all() and ch["background_cleaned_share"] > 0.5
    assert quality(out)["score"] > quality(Image.fromarray(a))["score"]
