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
from simulator.errors import DiplosimError, StoreError
from simulator.redaction import redact_url
from simulator.store import open_store


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("run", help="simulate a scenario from its branch point")
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
    parser.add_argument("--store", help="also write the run to stream run/<name>/<seed> there")
    add_ensemble_arguments(parser)
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    if args.runs is not None:
        if args.events:
            raise DiplosimError("--events shows one path: use it without --runs")
        return run_ensemble_command(args)
    scenario = scenario_from(args, args.scenario)
    run = simulate(scenario, scenario.ensemble.seed if args.seed is None else args.seed)
    if args.events:
        write_events(run)
    else:
        print(summary(run))
    if args.store:
        print(store_run(run, args.store), file=sys.stderr if args.events else sys.stdout)
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


def store_run(run: Run, url: str) -> str:
    """Write *run* to its stream at *url*, unless the stream already holds exactly it."""
    stream = run.stream
    with open_store(url) as store:
        held = store.version(stream)
        if held:
            stored = [(r.type, r.schema, r.payload, r.causation) for r in store.read(stream)]
            mine = [(*codec.encode(e), c) for e, c in zip(run.events, run.causes, strict=True)]
            if stored == mine:
                return f"{stream}: already stored ({held} events), nothing written"
            raise StoreError(
                f"stream {stream!r} already holds {held} events of another run "
                "(a changed scenario?); nothing written"
            )
        store.append(stream, run.events, expected_version=0, causation=run.causes)
    return f"{stream}: {len(run.events)} events written to {redact_url(url)}"
