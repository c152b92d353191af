"""``bnpl data``: generate the synthetic world, print a data card."""
from __future__ import annotations

import argparse
import time

from bnpl.data.card import data_card, load_for_card
from bnpl.data.datasets import CARD_DATASETS
from bnpl.data.synthetic.config import WorldConfig
from bnpl.errors import BnplError


def register(subparsers) -> None:
    p = subparsers.add_parser("data", help="generate the synthetic world; data cards",
                              description="Generate the synthetic BNPL world; print data cards.")
    sub = p.add_subparsers(dest="data_command", metavar="SUBCOMMAND")
    sub.required = True

    g = sub.add_parser("generate", help="generate a synthetic world and save it as Parquet")
    for name, f in WorldConfig.model_fields.items():   # every world field, default and meaning from WorldConfig
        g.add_argument(f"--{name.replace('_', '-')}", type=f.annotation, default=None, dest=name,
                       help=f"{f.description} (default {f.default})")
    g.add_argument("--out", required=True,
                   help="output folder: new, empty, or a world bnpl wrote (replaced atomically); "
                        "anything else is refused")
    g.add_argument("--force", action="store_true",
                   help="allow replacing a world folder outside the project's data/ folder")
    g.add_argument("--no-progress", action="store_true")
    g.set_defaults(func=generate)

    c = sub.add_parser("card", help="print a data card and write its tables and plots")
    c.add_argument("--dataset", required=True, choices=CARD_DATASETS)
    c.add_argument("--path", required=True, help="dataset file or folder")
    c.add_argument("--out", default=None, help="folder for card.json, CSV tables and PNG plots")
    c.set_defaults(func=card)


def generate(args: argparse.Namespace) -> int:
    from pydantic import ValidationError

    from bnpl.data.synthetic import generate_world, save_world
    from bnpl.data.synthetic.world import check_world_target
    from bnpl.params import validation_message

    values = {k: v for k, v in vars(args).items()
              if k in WorldConfig.model_fields and v is not None}
    try:
        cfg = WorldConfig(**values)
    except ValidationError as e:
        whole = [x["msg"].removeprefix("Value error, ") for x in e.errors() if not x["loc"]]
        raise BnplError("; ".join(whole) if whole else
                        validation_message(e).replace("parameter '", "option '--").replace("_", "-")) from None
    check_world_target(args.out, force=args.force)  # refuse a bad --out before generating
    t0 = time.perf_counter()
    world = generate_world(cfg, progress=not args.no_progress)
    t1 = time.perf_counter()
    save_world(world, args.out, force=args.force)
    t2 = time.perf_counter()
    n_fraud = int(world.tables["transaction_labels"]["label"].sum())
    print(f"generated {cfg.n_transactions:,} transactions ({n_fraud:,} fraud), "
          f"{len(world.tables['customers']):,} customers, {len(world.tables['events']):,} events "
          f"in {t1 - t0:.1f} s; saved to {args.out} in {t2 - t1:.1f} s")
    return 0


def card(args: argparse.Namespace) -> int:
    from bnpl.io import check_output

    if args.out:
        check_output(args.out, folder=True)  # before loading, not after
    obj = load_for_card(args.dataset, args.path)
    c = data_card(obj, name=f"{args.dataset}: {args.path}")
    print(c.text())
    if args.out:
        paths = c.save(args.out)
        print(f"\nwrote {len(paths)} files to {args.out}")
    return 0
