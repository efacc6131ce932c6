"""`diplosim sensitivity SCENARIO`: which uncertain parameters (by rule block) drive which
outcomes, by Sobol' indices or Morris screening (docs/sensitivity.md)."""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from pathlib import Path

from simulator.cli.compare import seed_argument, whole_number
from simulator.cli.options import add_scenario_options, scenario_from
from simulator.errors import DiplosimError

DEFAULT_SAMPLES = {"sobol": 128, "morris": 20}


def register(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Sample the factors of the scenario's [uncertainties] (a fit's parameters grouped "
        "by rule block) with SALib, run each point once with its own seed and print the "
        "indices of each outcome, largest effect first. --out DIR writes sensitivity.csv "
        "and sensitivity.png."
    )
    parser.add_argument("scenario", metavar="SCENARIO", help="scenario file (TOML)")
    add_scenario_options(parser)
    parser.add_argument("--method", default="sobol", help="sobol (default) or morris")
    parser.add_argument(
        "--samples",
        type=whole_number(2),
        metavar="N",
        help=(
            "Sobol': base points, a power of 2 (default 128; N x (groups + 2) runs); "
            "Morris: trajectories (default 20; N x (groups + 1) runs)"
        ),
    )
    parser.add_argument(
        "--outcomes",
        metavar="A,B,...",
        help="metrics to analyse (default: [outputs] metrics, else a headline set)",
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
    parser.add_argument("--out", type=Path, metavar="DIR", help="write the CSV and the plot")
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    from simulator.calibration import sensitivity

    scenario = scenario_from(args, args.scenario)
    spec = sensitivity.problem(scenario)  # refuses a scenario with nothing to vary
    method = args.method
    samples = args.samples or DEFAULT_SAMPLES.get(method, 2)
    listed = [n.strip() for n in args.outcomes.split(",") if n.strip()] if args.outcomes else None
    names = option("--outcomes", sensitivity.outcomes, scenario, listed)
    if method not in sensitivity.METHODS:
        choices = ", ".join(sensitivity.METHODS)
        raise DiplosimError(f"--method: expected one of {choices} (got {method!r})")
    option("--samples", sensitivity.check, method, samples)
    seed = scenario.ensemble.seed if args.seed is None else args.seed
    runs = sensitivity.run_count(spec, method, samples)
    workers = args.workers or os.cpu_count() or 1
    print(
        f"{scenario.name}: {runs:,} runs on {workers} worker{'s' * (workers > 1)} ...", flush=True
    )
    frame = sensitivity.indices(scenario, method, samples, names, seed, workers=args.workers)
    print(describe(frame))
    if args.out is not None:
        written = sensitivity.write(frame, args.out)
        print(f"\nwrote {', '.join(p.name for p in written)} to {args.out}")
    return 0


def option(flag: str, check: Callable, *given):
    """`check(*given)`, its refusal as a one-line error naming *flag*."""
    from simulator.calibration.sensitivity import SensitivityError

    try:
        return check(*given)
    except SensitivityError as exc:
        raise DiplosimError(f"{flag}: {exc}") from None


def describe(frame) -> str:
    """The indices as text: a table per outcome, largest effect first, and what they cover."""
    from simulator.calibration.sensitivity import CHANCE, LEVEL

    meta = frame.attrs
    sobol = meta["method"] == "sobol"
    title = (
        f"Sobol' indices, {meta['samples']} base samples"
        if sobol
        else f"Morris elementary effects, {meta['samples']} trajectories"
    )
    lines = [f"{title}: {meta['runs']:,} runs, seed {meta['seed']}"]
    if sobol:
        header = f"{'group':<28}{'factors':>8}{'S1':>9}{'±':>9}{'ST':>9}{'±':>9}"
    else:
        header = f"{'group':<28}{'factors':>8}{'mu*':>12}{'±':>11}{'sigma':>12}"
    for name, part in frame.groupby("outcome", sort=False):
        lines += ["", f"{name} ({meta['units'][name]})", header]
        for row in part.itertuples():
            if sobol:
                numbers = f"{row.S1:>9.3f}{row.S1_conf:>9.3f}{row.ST:>9.3f}{row.ST_conf:>9.3f}"
            else:
                sigma = "-" if row.sigma != row.sigma else f"{row.sigma:.4g}"  # NaN: a group
                numbers = f"{row.mu_star:>12.4g}{row.mu_star_conf:>11.3g}{sigma:>12}"
            mark = "   <- chance alone" if row.group == CHANCE else ""
            lines.append(f"{row.group:<28}{row.factors:>8}{numbers}{mark}")
        if name in meta["notes"]:
            lines.append(f"note: {meta['notes'][name]}")
    lines.append("")
    for name, why in meta["skipped"].items():
        lines.append(f"skipped {name}: {why}")
    effect = "total effect ST" if sobol else "mu*"
    lines += [
        f"± are SALib's {LEVEL:.0%} bootstrap half-widths. Each point ran once with its own seed,",
        f"so chance is part of every outcome: the {CHANCE} row, a factor that moves no parameter,",
        f"is the {effect} chance alone gives; a group near it is not told apart from chance.",
    ]
    if not sobol:
        lines += [
            "mu* is the mean absolute change of the outcome when a group steps by half its",
            "probability range; sigma (single factors only) is the spread of those changes.",
        ]
    return "\n".join(lines)
