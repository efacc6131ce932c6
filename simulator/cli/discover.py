"""`diplosim discover SCENARIO --outcome NAME`: the box of parameter values in which an outcome
mostly happens, by PRIM over an ensemble of parameter draws (docs/sensitivity.md)."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from simulator.cli.compare import seed_argument, whole_number
from simulator.cli.options import add_scenario_options, scenario_from
from simulator.errors import DiplosimError

WEAK = 0.05  # a restriction whose quasi-p-values are all above this is called weak


def register(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Run one run of each of N parameter sets drawn from the scenario's [uncertainties] "
        "and find with PRIM the box of parameter values (on their own scales) in which the "
        "outcome mostly happens. --out DIR writes trajectory.csv, box.csv and discovery.png."
    )
    parser.add_argument("scenario", metavar="SCENARIO", help="scenario file (TOML)")
    add_scenario_options(parser)
    parser.add_argument(
        "--outcome", required=True, metavar="NAME", help="a yes/no or date metric, or a number"
    )
    parser.add_argument("--above", type=_number, metavar="V", help="for a number: runs above V")
    parser.add_argument(
        "--runs", type=whole_number(2), metavar="N", help="parameter sets (default: [ensemble])"
    )
    parser.add_argument(
        "--threshold",
        type=_number,
        default=0.8,
        metavar="T",
        help="the density the box must reach, in (0, 1] (default 0.8)",
    )
    parser.add_argument(
        "--seed", type=seed_argument, metavar="S", help="seed (default: [ensemble] seed)"
    )
    parser.add_argument(
        "--workers",
        type=whole_number(1),
        metavar="N",
        help="processes (default: all cores; 1: in-process)",
    )
    parser.add_argument("--out", type=Path, metavar="DIR", help="write the CSVs and the plot")
    parser.set_defaults(handler=handle)


def _number(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number (got {text!r})") from None


def handle(args: argparse.Namespace) -> int:
    from simulator.calibration import discovery

    scenario = scenario_from(args, args.scenario)
    if not 0.0 < args.threshold <= 1.0:
        raise DiplosimError(f"--threshold: expected a density in (0, 1] (got {args.threshold:g})")
    discovery.check(scenario, args.outcome, args.above, args.threshold)
    runs = args.runs or scenario.ensemble.runs
    seed = scenario.ensemble.seed if args.seed is None else args.seed
    workers = args.workers or os.cpu_count() or 1
    print(
        f"{scenario.name}: {runs:,} runs on {workers} worker{'s' * (workers > 1)} ...", flush=True
    )
    found = discovery.discover(
        scenario,
        args.outcome,
        runs=runs,
        above=args.above,
        threshold=args.threshold,
        seed=seed,
        workers=args.workers,
    )
    print(describe(found))
    if args.out is not None:
        written = discovery.write(found, args.out)
        print(f"\nwrote {', '.join(p.name for p in written)} to {args.out}")
    return 0


def describe(found) -> str:
    """The box as text: the outcome's share, the box's coverage, density and mass, and the
    restricted parameters with their limits beside the range drawn."""
    lines = [
        f"{found.outcome}: in {found.share:.1%} of {found.runs:,} runs (one run per parameter set)"
    ]
    if found.chosen is None:
        lines.append(
            f"PRIM found no box of 5% of the runs or more with density >= {found.threshold:g}: "
            "try a lower --threshold or more --runs"
        )
        return "\n".join(lines)
    box = found.box
    lines.append(
        f"box {found.chosen} of {len(found.trajectory)} on the peeling trajectory: "
        f"coverage {box['coverage']:.2f} (share of the runs with the outcome inside), "
        f"density {box['density']:.2f} (share inside with it), mass {box['mass']:.2f} "
        "(share of all runs inside)"
    )
    if found.limits.empty:
        lines.append("no parameter restricted: the whole space reaches the threshold")
        return "\n".join(lines)
    lines += [
        "",
        f"{'parameter':<32}{'box low':>11}{'box high':>11}{'drawn low':>11}{'drawn high':>11}"
        f"{'qp low':>9}{'qp high':>9}",
    ]
    for row in found.limits.itertuples():
        numbers = "".join(f"{v:>11.4g}" for v in (row.low, row.high, row.drawn_low, row.drawn_high))
        lines.append(f"{row.parameter:<32}{numbers}{_qp(row.qp_low)}{_qp(row.qp_high)}")
    weak = int((found.limits[["qp_low", "qp_high"]].min(axis=1) >= WEAK).sum())
    lines += [
        "",
        "qp: PRIM's quasi-p-value of a side's restriction (small: the side matters; -: open).",
        f"{weak} of the {len(found.limits)} restrictions have qp >= {WEAK:g}: "
        "weak, perhaps chance (more --runs firm them up or drop them).",
        "The limits are the parameters' own values. A fitted rule's parameters are drawn",
        "together (correlated); a box's sides are each one parameter's.",
    ]
    return "\n".join(lines)


def _qp(value: float) -> str:
    return f"{'-':>9}" if value != value else f"{value:>9.2g}"  # NaN: a side left open
