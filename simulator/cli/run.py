"""`diplosim run`: simulate one path of a scenario (its summary, its events, into a store), or
with `--runs N` an ensemble of paths summarised with intervals (see `cli/compare.py`)."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from typing import TextIO

from simulator import codec
from simulator.cli.compare import add_ensemble_arguments, run_ensemble_command, seed_argument
from simulator.cli.options import add_scenario_options, scenario_from
from simulator.engine import Run, simulate
from simulator.errors import DiplosimError
from simulator.recording import store_run
from simulator.store import open_store


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("scenario", help="scenario file (TOML)")
    add_scenario_options(parser)
    parser.add_argument(
        "--seed",
        type=seed_argument,
        default=None,
        help="seed of the run, or of the ensemble with --runs (default: [ensemble] seed, else 0)",
    )
    parser.add_argument(
        "--events", action="store_true", help="print the path's events as JSON Lines instead"
    )
    parser.add_argument(
        "--store", help="also write the run(s) to this store (stream run/<name>/<hash>/...)"
    )
    parser.add_argument(
        "--index",
        type=seed_argument,
        metavar="K",
        help="replay run K of the ensemble of --runs N from --seed S, with its events and causes",
    )
    add_ensemble_arguments(parser)
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    if args.index is not None:
        return replay_member(args)
    if args.runs is not None:
        if args.events:
            raise DiplosimError("--events shows one path: use it without --runs (or with --index)")
        return run_ensemble_command(args)
    scenario = scenario_from(args, args.scenario)
    run = simulate(scenario, scenario.ensemble.seed if args.seed is None else args.seed)
    return _show_run(run, args)


def replay_member(args: argparse.Namespace) -> int:
    """Run k of the ensemble of --runs N from --seed S, alone: the same path, shown with the
    events it wrote and what caused each."""
    from simulator.ensemble import simulate_run

    scenario = scenario_from(args, args.scenario)
    runs = args.runs or scenario.ensemble.runs
    seed = scenario.ensemble.seed if args.seed is None else args.seed
    if args.index >= runs:
        raise DiplosimError(f"--index {args.index} is not a run of an ensemble of {runs:,} runs")
    run = simulate_run(scenario, runs, seed, args.index)
    if not args.events:
        print(f"run {args.index} of the ensemble of {runs:,} runs from seed {seed}")
    return _show_run(run, args, causes=True)


def _show_run(run: Run, args: argparse.Namespace, causes: bool = False) -> int:
    if args.events:
        write_events(run)
    else:
        print(summary(run))
        if causes:
            print()
            print(events_table(run))
    if args.store:
        with open_store(args.store) as store:
            done = store_run(run, store)
        print(done, file=sys.stderr if args.events else sys.stdout)
    return 0


def write_events(run: Run, out: TextIO | None = None) -> None:
    """The path's events, one JSON object a line (what `diplosim events append` reads)."""
    out = out or sys.stdout
    for event in run.events:
        out.write(codec.dumps(codec.to_dict(event)) + "\n")


def summary(run: Run) -> str:
    """The run as text: branch date, event counts and the metrics table."""
    sc = run.scenario
    simulated = len(run.events) - run.recorded
    lines = [
        f"scenario   {sc.name}",
        f"seed       {run.seed}",
        f"branch     {sc.branch_date}  (horizon {sc.horizon})",
        f"events     {run.recorded} recorded, {simulated} simulated",
        "",
        f"{'metric':<32} value",
        f"{'-' * 32} {'-' * 16}",
    ]
    lines += [f"{name:<32} {_show(value)}" for name, value in run.metrics.items()]
    return "\n".join(lines)


def events_table(run: Run) -> str:
    """The events the run wrote after the branch, each with its cause (the rule that wrote
    it, or the intervention or record it comes from)."""
    from simulator.events import describe
    from simulator.terminal import safe

    rows = [
        f"{e.occurred_at}  {type(e).__name__:<22} {cause:<24} {safe(describe(e))}"
        for e, cause in zip(run.events, run.causes, strict=True)
        if cause != "record"
    ]
    head = f"{'date':<10}  {'event':<22} {'cause':<24} summary"
    return "\n".join([head, *rows] if rows else ["no events after the branch"])


def _show(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return f"{value:.4g}" if abs(value) < 1e5 else f"{value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)
