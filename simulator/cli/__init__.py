"""The `diplosim` command: one subcommand per module in this package.

Each module listed in `COMMANDS` has `register(parser)`, which adds its command's arguments and
sets `handler` to a function taking the parsed arguments and returning an exit code; it is
imported only when its command is run. Every project
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

# name: (module of this package, one line of help). A module is imported only when its command
# runs (or its own --help is asked for), so `diplosim --help` loads none of them.
COMMANDS = {
    "events": ("events", "append, list, follow, verify, checkpoint and export stored events"),
    "run": ("run", "simulate a scenario from its branch point"),
    "replay": ("replay", "replay a scenario's recorded events: the changes, or the state on a day"),
    "import": ("importer", "import real event data (GDELT, ICEWS, ACLED) into a stream"),
    "relations": (
        "relations",
        "the relations index of a pair over time (monthly table, optional plot)",
    ),
    "compare": ("compare", "run ensembles of scenarios, each beside its matched baseline"),
    "validate": ("validate", "check scenario files: ok, or one line per problem"),
    "scenarios": ("scenarios", "list the scenarios of a folder and what they change"),
    "likelihood": ("likelihood", "the log-likelihood of the record under the dynamics, by rule"),
    "fit": ("fit", "fit the dynamics to recorded logs (pooled over the scenarios given)"),
    "sensitivity": (
        "sensitivity",
        "global sensitivity of outcomes to the [uncertainties] factors (Sobol', Morris)",
    ),
    "discover": (
        "discover",
        "scenario discovery: where in the [uncertainties] an outcome happens (PRIM)",
    ),
    "backtest": (
        "backtest",
        "score forecasts at past origins against the record, beside baselines",
    ),
    "watch": ("watch", "re-run a scenario's forecast each time new recorded events arrive"),
}


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The command line's parser; only the command *argv* names (all, when None) is built in
    full, the others are listed with their help."""
    parser = argparse.ArgumentParser(
        prog="diplosim", description="Event-sourced simulator of diplomatic and conflict scenarios."
    )
    parser.add_argument("--version", action="version", version=f"diplosim {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    named = None if argv is None else next((a for a in argv if not a.startswith("-")), "")
    for name, (module, text) in COMMANDS.items():
        command = sub.add_parser(name, help=text)
        if named is None or named == name:
            importlib.import_module(f"simulator.cli.{module}").register(command)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line with *argv* (default: sys.argv[1:]); return the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser(argv).parse_args(argv)
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
