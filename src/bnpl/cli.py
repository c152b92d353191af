"""The ``bnpl`` command-line tool.

Each area registers its own sub-commands: a module ``bnpl.<area>.cli`` defines
``register(subparsers)``, which adds an argparse sub-parser whose ``func``
default is called with the parsed arguments. User mistakes raise
:class:`bnpl.errors.BnplError`; ``main`` prints them on one line and exits 2.
"""
from __future__ import annotations

import argparse
import importlib
import sys

from bnpl.errors import BnplError

AREAS = ("bnpl.runner_cli", "bnpl.data.cli", "bnpl.fraud.cli", "bnpl.recsys.cli", "bnpl.report", "bnpl.sweep.cli")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="bnpl", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name in AREAS:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as e:
            if e.name == name:  # area not written yet
                continue
            raise
        module.register(sub)
    return parser


def _quiet_libraries() -> None:
    import logging
    import os
    import warnings

    os.environ.setdefault("MLFLOW_LOGGING_LEVEL", "WARNING")

    for name in ("mlflow", "alembic", "papermill", "traitlets"):
        logging.getLogger(name).setLevel(logging.WARNING)
    warnings.filterwarnings("ignore", category=DeprecationWarning)


def main(argv: list[str] | None = None) -> int:
    _quiet_libraries()
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        rc = args.func(args)
    except BnplError as e:
        print(f"bnpl {args.command}: error: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    return int(rc or 0)


if __name__ == "__main__":
    sys.exit(main())
