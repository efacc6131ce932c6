"""`diplosim backtest`: the model's forecasts at past origins of a recorded case, fitted on the
record before each origin, scored against what happened beside baselines (docs/backtests.md)."""

from __future__ import annotations

import argparse
import re
from datetime import date
from pathlib import Path

from simulator.cli.compare import seed_argument, whole_number
from simulator.cli.options import add_scenario_options, scenario_from
from simulator.errors import DiplosimError


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("scenario", metavar="SCENARIO", help="a recorded case with [[questions]]")
    add_scenario_options(parser)
    when = parser.add_mutually_exclusive_group(required=True)
    when.add_argument("--origins", type=_dates, help="origins, e.g. 2021-06-01,2022-06-01")
    when.add_argument("--every", type=_months, help="an origin every N months, e.g. 6M")
    parser.add_argument("--runs", type=whole_number(1), default=300, help="paths per origin")
    parser.add_argument("--seed", type=seed_argument, default=0, help="ensemble seed (default 0)")
    parser.add_argument(
        "--with",
        dest="pool",
        type=_paths,
        default=[],
        metavar="A.toml,B.toml",
        help="other recorded cases to pool the fits with (each cut at the origin too)",
    )
    parser.add_argument("--workers", type=whole_number(1), help="processes (default: all cores)")
    parser.add_argument("--out", type=Path, metavar="DIR", help="write the tables and a plot")
    parser.set_defaults(handler=handle)


def _dates(text: str) -> list[date]:
    try:
        return [date.fromisoformat(part.strip()) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected dates YYYY-MM-DD separated by commas (got {text!r})"
        ) from None


def _months(text: str) -> int:
    found = re.fullmatch(r"\s*(\d+)\s*[Mm]?\s*", text)
    if not found or not 1 <= int(found.group(1)) <= 120:
        raise argparse.ArgumentTypeError(f"expected a number of months, e.g. 6M (got {text!r})")
    return int(found.group(1))


def _paths(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def handle(args: argparse.Namespace) -> int:
    from simulator.backtest import backtest, every, write

    scenario = scenario_from(args, args.scenario)
    pool = [scenario_from(args, path) for path in args.pool]
    origins = args.origins if args.origins is not None else every(scenario, args.every)
    if not origins:
        raise DiplosimError(f"{args.scenario}: no origin inside the record")
    found = backtest(scenario, origins, args.runs, args.seed, pool, args.workers)
    print(describe(found))
    if args.out is not None:
        written = write(found, args.out)
        print(f"\nwrote {', '.join(p.name for p in written)} to {args.out}")
    return 0


def describe(found) -> str:
    """The scores per origin and overall, and the questions given less than 1% on what
    happened."""
    table = found.by_origin()
    lines = [
        f"{found.scenario}: {len(found.origins)} origins, {found.runs} paths each, parameters "
        "fitted on the record before each origin",
        "",
        f"{'origin':<12}{'yes/no':>7}{'counts':>7}   "
        f"{'Brier: model':>13}{'base rate':>10}{'persist':>9}{'coin':>7}{'skill':>8}   "
        f"{'log: model':>11}{'base rate':>10}   {'CRPS: model':>12}{'base rate':>11}",
    ]
    for origin, row in table.iterrows():
        lines.append(
            f"{origin:<12}{int(row['yes/no']):>7}{int(row['counts']):>7}   "
            f"{_f(row.get('brier')):>13}{_f(row.get('brier_base_rate')):>10}"
            f"{_f(row.get('brier_persistence')):>9}{_f(row.get('brier_coin')):>7}"
            f"{_f(row.get('brier_skill'), '+.3f'):>8}   "
            f"{_f(row.get('log')):>11}{_f(row.get('log_base_rate')):>10}   "
            f"{_f(row.get('crps'), ',.0f'):>12}{_f(row.get('crps_base_rate'), ',.0f'):>11}"
        )
    lines.append(
        "Brier and log scores: lower is better; skill = 1 - Brier / Brier of the base rate "
        "(above 0: better than the base rate); CRPS in the question's unit (people)"
    )
    forecasts = found.forecasts
    if "p_outcome" in forecasts:
        low = forecasts[forecasts["p_outcome"] < 0.01]
        if len(low):
            lines.append(f"{len(low)} forecasts gave less than 1% to what happened:")
            for _, row in low.iterrows():
                lines.append(
                    f"  {row['origin']} {row['question']}: p(outcome) {row['p_outcome']:.3f}"
                )
        else:
            lines.append("no forecast gave less than 1% to what happened")
    return "\n".join(lines)


def _f(value, spec: str = ".3f") -> str:
    if value is None or value != value:
        return "-"
    return format(value, spec)
