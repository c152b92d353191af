"""The ``bnpl`` command-line tool.

Each area registers its own sub-commands: a module ``bnpl.<area>.cli`` defines
``register(subparsers)``, which adds an argparse sub-parser whose ``func``
default is called with the parsed arguments. User mistakes raise
:class:`bnpl.errors.BnplError`; ``main`` prints them on one line and exits 2.
"""
from __future__ import annotations

import argparse
import contextlib
import importlib
import re
import sys
from typing import Any

from bnpl.errors import BnplError, BnplWarning

AREAS = ("bnpl.runner_cli", "bnpl.data.cli", "bnpl.fraud.cli", "bnpl.recsys.cli", "bnpl.creative.cli", "bnpl.sweep.cli",
         "bnpl.report", "bnpl.retention")


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Shows an option's default where it has a meaningful one (not None, False or an empty list)."""

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        if "%(default)" in text or action.default in (None, False, [], argparse.SUPPRESS):
            return text
        if not action.option_strings and action.nargs not in ("?", "*"):
            return text
        return f"{text} (default: %(default)s)"


class BnplParser(argparse.ArgumentParser):
    """Every ``bnpl`` parser and sub-parser (``add_subparsers`` makes its children of the parent's class):
    defaults in the help, and docstring markup (RST ````literal````) shown as plain quotes."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("formatter_class", HelpFormatter)
        super().__init__(*args, **kwargs)

    def add_argument(self, *args, **kwargs) -> argparse.Action:
        action = super().add_argument(*args, **kwargs)
        if action.help is None and action.option_strings and action.default not in (None, False, [], argparse.SUPPRESS):
            action.help = "default: %(default)s"     # argparse shows nothing for an option without help
        return action

    def format_help(self) -> str:
        return plain_text(super().format_help())

    def format_usage(self) -> str:
        return plain_text(super().format_usage())


def plain_text(text: str) -> str:
    """``rst ``literal`` markup`` -> ``'literal'``; roles such as ``:func:`x``` -> ``x``."""
    text = re.sub(r":[a-z]+:`~?([^`]+)`", r"\1", text)
    return re.sub(r"``([^`]+)``", r"'\1'", text)


def build_parser() -> argparse.ArgumentParser:
    parser = BnplParser(prog="bnpl", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name in AREAS:
        importlib.import_module(name).register(sub)
    return parser


def stacks_on_sigusr1() -> None:
    """``kill -USR1 PID`` prints every thread's stack to stderr: how a hung command shows where it waits."""
    import faulthandler
    import signal

    if not hasattr(signal, "SIGUSR1"):
        return
    streams: tuple[Any, ...] = (sys.stderr, sys.__stderr__)
    for stream in streams:  # under a caller that captured stderr (pytest), the process's own
        try:
            faulthandler.register(signal.SIGUSR1, file=stream, all_threads=True)
            return
        except (AttributeError, ValueError, OSError):  # no file descriptor behind this stream
            continue


def _quiet_libraries() -> None:
    import logging
    import os
    import warnings

    os.environ.setdefault("MLFLOW_LOGGING_LEVEL", "WARNING")

    for name in ("mlflow", "alembic", "papermill", "traitlets"):
        logging.getLogger(name).setLevel(logging.WARNING)
    warnings.filterwarnings("ignore", category=DeprecationWarning)


@contextlib.contextmanager
def _one_line_warnings(command: str):
    """Print every :class:`BnplWarning` (documented repairs of the input) as one line on stderr."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("always", BnplWarning)
        shown = warnings.showwarning

        def show(message, category, filename, lineno, file=None, line=None):
            if issubclass(category, BnplWarning):
                print(f"bnpl {command}: warning: {message}", file=sys.stderr)
            else:
                shown(message, category, filename, lineno, file, line)

        warnings.showwarning = show
        yield


def main(argv: list[str] | None = None) -> int:
    _quiet_libraries()
    stacks_on_sigusr1()
    try:
        parser = build_parser()  # imports every command's module (torch among them): seconds in which Ctrl-C may come
    except KeyboardInterrupt:
        print("bnpl: interrupted", file=sys.stderr)
        return 130
    args = parser.parse_args(argv)
    try:
        with _one_line_warnings(args.command):
            rc = args.func(args)
    except BnplError as e:
        from bnpl.secrets import redact

        print(redact(f"bnpl {args.command}: error: {e}"), file=sys.stderr)
        return 2
    except KeyboardInterrupt as e:  # Ctrl-C, or SIGTERM during a notebook (bnpl.runner.Terminated)
        terminated = str(e) == "SIGTERM"
        print(f"bnpl {args.command}: {'terminated' if terminated else 'interrupted'}", file=sys.stderr)
        return 143 if terminated else 130
    return int(rc or 0)


if __name__ == "__main__":
    sys.exit(main())
