"""`diplosim watch`: re-run a scenario's forecast each time new recorded events arrive.

The events of a stream (`--stream`, e.g. where `diplosim import` or `events append` writes
the record as it grows) are counted by a checkpointed projection (`simulator.projection`); at
the start and after each burst of appends to the stream the scenario is run again with the
stream's events (read from the log) added to its record, branching after the last
recorded day (unless it sets `[branch] at` later), and the forecast is printed. With `--state`
the projection is saved, so a watcher started again resumes where it stopped.
"""

from __future__ import annotations

import argparse
from datetime import timedelta

import attrs

from simulator.cli.compare import DEFAULT_RUNS, seed_argument, whole_number
from simulator.cli.options import add_scenario_options, scenario_from
from simulator.errors import DiplosimError, StoreError
from simulator.events import Event
from simulator.store import Record, open_store
from simulator.terminal import safe

_positive = whole_number(1)


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("scenario", help="the scenario file to forecast")
    parser.add_argument("--store", required=True, help="the store the record grows in")
    parser.add_argument(
        "--stream", default="history", help="the stream of recorded events (default: history)"
    )
    parser.add_argument("--runs", type=_positive, metavar="N", help="runs (default: [ensemble])")
    parser.add_argument("--seed", type=seed_argument, metavar="S", help="ensemble seed")
    parser.add_argument("--workers", type=_positive, metavar="N", help="processes")
    parser.add_argument(
        "--state", metavar="FILE", help="save the projection here, to resume where it stopped"
    )
    parser.add_argument(
        "--idle", type=float, metavar="SECONDS", help="stop after this long without new events"
    )
    parser.add_argument(
        "--poll", type=float, default=1.0, metavar="SECONDS", help="how often SQLite is polled"
    )
    add_scenario_options(parser)
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    from simulator.comparison import run_comparison
    from simulator.projection import Projection
    from simulator.report import terminal_summary

    if args.idle is not None and not args.idle >= 0:
        raise StoreError(f"--idle must be >= 0 seconds (got {args.idle})")
    if not args.poll > 0:
        raise StoreError(f"--poll must be > 0 seconds (got {args.poll})")
    scenario = scenario_from(args, args.scenario)
    runs = args.runs or scenario.ensemble.runs or DEFAULT_RUNS
    seed = scenario.ensemble.seed if args.seed is None else args.seed
    stream = args.stream

    def count(folded: int, record: Record) -> int:
        return folded + (record.stream == stream)

    # The projection keeps how many of the stream's events it has seen, not the events: they
    # are in the log, read from it when the forecast is run again.
    projection = Projection(f"watch {stream}", count, int, args.state)
    seen = None
    with open_store(args.store, create=False) as store:
        try:
            for _ in projection.follow(store, poll_interval=args.poll, idle_timeout=args.idle):
                if projection.state == seen:
                    continue  # only other streams grew
                seen = projection.state
                recorded = list(store.events(stream))
                updated = with_record(scenario, recorded, args.scenario)
                comparison = run_comparison([updated], runs, seed, workers=args.workers)
                print(
                    safe(
                        f"== {stream}: {len(recorded)} events recorded after the scenario's own "
                        f"(log position {projection.position}); branch {updated.branch_date}"
                    )
                )
                print(terminal_summary(comparison))
                print(f"{runs:,} runs, seed {seed}", flush=True)
        except KeyboardInterrupt:
            print("(stopped)")
    return 0


def with_record(scenario, recorded: list[Event], where: str):
    """*scenario* with the *recorded* events added to its record by date, branching after the
    last recorded day unless its own branch point is later."""
    if not recorded:
        return scenario
    try:
        events = sorted([*scenario.events, *recorded], key=lambda event: event.occurred_at)
        last = max(event.occurred_at for event in recorded)
        branch = scenario.branch_at
        if branch is not None and branch <= last:
            branch = last + timedelta(days=1)
        return attrs.evolve(scenario, events=events, branch_at=branch)
    except (DiplosimError, ValueError) as exc:
        raise DiplosimError(f"{where}: the recorded events do not fit it: {exc}") from None
