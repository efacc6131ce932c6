"""The `diplosim` command: one subcommand per module in this package.

Each module listed in `COMMANDS` has `register(subparsers)`, which adds its parser and sets
`handler` to a function taking the parsed arguments and returning an exit code. Every project
error (`DiplosimError`) becomes one line on stderr and exit code 2, never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from simulator import __version__
from simulator.errors import DiplosimError
from simulator.redaction import redacting

COMMANDS = (
    "events",
    "run",
    "replay",
    "importer",
    "relations",
    "compare",
    "validate",
    "scenarios",
    "likelihood",
    "fit",
    "sensitivity",
    "discover",
    "backtest",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="diplosim", description="Event-sourced simulator of diplomatic and conflict scenarios."
    )
    parser.add_argument("--version", action="version", version=f"diplosim {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMANDS:
        importlib.import_module(f"simulator.cli.{name}").register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with *argv* (default: sys.argv[1:]); return the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    # Every URL the command may open: what it prints is masked of their credentials.
    urls = [getattr(args, "store", None), os.environ.get("DIPLOSIM_STORE")]
    with redacting(u for u in urls if isinstance(u, str)):
        return _run(args)


def _run(args: argparse.Namespace) -> int:
    try:
        return int(args.handler(args) or 0)
    except DiplosimError as exc:
        print(f"diplosim: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # `diplosim events ls | head`
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        print("diplosim: interrupted", file=sys.stderr)
        return 130
