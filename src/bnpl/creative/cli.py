"""``bnpl creative lookbook`` and ``bnpl creative enrich``."""
from __future__ import annotations

import argparse
from pathlib import Path

from bnpl.creative.backends import BACKENDS

LOOKBOOK_FILES = r"(lookbook|baseline)_\d+\.(png|json)|summary\.json"


def register(subparsers) -> None:
    p = subparsers.add_parser("creative", help="lookbooks, campaign copy and image enrichment")
    sub = p.add_subparsers(dest="creative_command", metavar="SUBCOMMAND")
    sub.required = True
    lb = sub.add_parser("lookbook", help="one personalised lookbook (PNG + JSON) per customer")
    lb.add_argument("--customers", type=int, default=3, help="number of customers (sampled with --seed)")
    lb.add_argument("--out", type=Path, required=True, help="new or empty folder (or one this command wrote)")
    lb.add_argument("--backend", choices=BACKENDS, help="default: the config's backend (offline)")
    lb.add_argument("--data", type=Path, default=Path("data/synthetic/default"), help="a saved synthetic world")
    lb.add_argument("--config", type=Path, help="creative config (default experiments/creative.yaml)")
    lb.add_argument("--baseline", action="store_true", help="also write the best-seller baseline lookbooks")
    lb.add_argument("--seed", type=int, default=0)
    lb.set_defaults(func=lookbook_command)
    en = sub.add_parser("enrich", help="clean, de-duplicate and score a folder of product images (resumable)")
    en.add_argument("--images", type=Path, help="folder of images (default: the synthetic world's product images, "
                    "written to data/creative/product_images/<world>)")
    en.add_argument("--out", type=Path, required=True, help="output folder; a second run resumes")
    en.add_argument("--data", type=Path, default=Path("data/synthetic/default"),
                    help="world whose product images are used when --images is not given")
    en.add_argument("--backend", choices=BACKENDS, help="gemini: the cloud model edits images instead")
    en.add_argument("--config", type=Path)
    en.add_argument("--limit", type=int, help="process at most this many images")
    en.set_defaults(func=enrich_command)


def _world(path: Path):
    from bnpl.config import repo_path
    from bnpl.data.synthetic import load_world

    return load_world(repo_path(path) if not path.exists() else path)


def lookbook_command(args: argparse.Namespace) -> int:
    import numpy as np

    from bnpl.creative.backends import make_backend
    from bnpl.creative.config import load_config
    from bnpl.creative.copywriter import pass_rates
    from bnpl.creative.lookbook import LookbookStudio, save_lookbook
    from bnpl.creative.outputs import check_out_dir
    from bnpl.errors import BnplError
    from bnpl.io import write_json

    if args.customers < 1:
        raise BnplError(f"--customers must be at least 1 (got {args.customers})")
    out = check_out_dir(args.out, LOOKBOOK_FILES, [args.data])
    cfg = load_config(args.config, backend=args.backend)
    backend = make_backend(cfg)  # before the world loads: a missing credential fails at once
    world = _world(args.data)
    n = len(world.tables["customers"])
    ids = np.sort(np.random.default_rng(args.seed).choice(n, size=min(args.customers, n), replace=False))
    studio = LookbookStudio(world, cfg, backend)
    books = studio.build(ids, seed=args.seed)
    if args.baseline:
        books += studio.build(ids, kind="baseline")
    g = cfg.guardrails
    for lb in books:
        png, _ = save_lookbook(lb, out, g.n_payments, g.currency)
        print(f"{png}  {lb.headline.text!r}  (headline: {lb.headline.source})")
    rates = pass_rates([t for lb in books if lb.kind == "personalised" for t in [lb.headline, *lb.captions]])
    write_json(out / "summary.json", {"customers": ids.tolist(), "backend": backend.name, **rates})
    print(f"guardrail pass rate: first attempt {rates['pass_rate_first']:.0%}, after regeneration "
          f"{rates['pass_rate_after_regeneration']:.0%}, after template fallback {rates['pass_rate_after_fallback']:.0%}")
    return 0


def enrich_command(args: argparse.Namespace) -> int:
    from bnpl.creative.backends import make_backend
    from bnpl.creative.config import load_config
    from bnpl.creative.enrich import enrich_folder, export_product_images

    cfg = load_config(args.config, backend=args.backend)
    editor = None
    if (args.backend or cfg.backend) == "gemini":
        backend = make_backend(cfg, "gemini")
        editor = lambda im: backend.edit_image(im, cfg.enrich.edit_instruction)  # noqa: E731
    images = args.images
    if images is None:
        from bnpl.config import DATA_DIR

        images = export_product_images(_world(args.data), DATA_DIR / "creative" / "product_images" / args.data.name)
        print(f"product images of {args.data} written to {images}")
    summary = enrich_folder(images, args.out, cfg.enrich, editor=editor, limit=args.limit)
    from bnpl.creative.enrich import overview

    print(overview(summary).to_string())
    print(f"skipped (done in an earlier run): {summary.attrs['skipped']}; per-image table: {args.out / 'summary.csv'}")
    return 0
