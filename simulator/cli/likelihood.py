"""`diplosim likelihood`: the log-likelihood of a scenario's record under its dynamics, by rule."""

from __future__ import annotations

import argparse
import math

from simulator.cli.options import add_scenario_options, scenario_from
from simulator.cli.relations import day_argument
from simulator.errors import ScenarioError


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("scenario", metavar="SCENARIO", help="scenario file (TOML)")
    add_scenario_options(parser)
    parser.add_argument(
        "--since",
        type=day_argument,
        help="score the record from this day (default: the scenario's start: all of it)",
    )
    parser.set_defaults(handler=likelihood)


def likelihood(args: argparse.Namespace) -> int:
    """Print the table of rules; exit 1 when the record is impossible under the model."""
    from simulator.likelihood import log_likelihood

    scenario = scenario_from(args, args.scenario)
    since = args.since or scenario.start
    if not scenario.start <= since <= scenario.horizon:
        raise ScenarioError(
            f"--since {since} is outside the scenario ({scenario.start} to {scenario.horizon})"
        )
    found = log_likelihood(scenario, since=since)
    print(f"{scenario.name}: record from {since} to {scenario.horizon}")
    print(f"{'rule':<14}{'events':>7}{'expected':>10}{'log-lik':>11}{'of which marks':>16}")
    for name, score in found.by_rule.items():
        print(
            f"{name:<14}{score.events:>7}{score.expected:>10.2f}{score.total:>11.2f}"
            f"{score.marks:>16.2f}"
        )
    total = found.total
    shown = f"{total:.2f}" if math.isfinite(total) else "-inf"
    print(f"total {shown} over {found.scored} scored events; {found.exogenous} conditioned on")
    for index, why in found.impossible:
        print(f"impossible: event {index}: {why}")
    return 1 if found.impossible else 0
