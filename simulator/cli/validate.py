"""`diplosim validate`: check scenario files, one `ok` line or one line per problem each."""

from __future__ import annotations

import argparse
import sys

from simulator.cli.options import add_scenario_options, scenario_from
from simulator.errors import ScenarioError


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs="+", metavar="FILE", help="scenario files (TOML)")
    add_scenario_options(parser)
    parser.set_defaults(handler=validate)


def validate(args: argparse.Namespace) -> int:
    """One `ok` line per valid file, every problem of the others; exit 2 if any failed."""
    failed = False
    for name in args.files:
        try:
            scenario = scenario_from(args, name)
        except ScenarioError as exc:
            failed = True
            for line in getattr(exc, "problems", None) or str(exc).splitlines():
                print(line, file=sys.stderr)
            continue
        print(
            f"ok {name} ({scenario.name}, {len(scenario.events)} events, "
            f"branch {scenario.branch_date})"
        )
    return 2 if failed else 0
