"""`diplosim replay`: fold a scenario's record and show what each event changed, or the state
on one day; optionally store the record (stream `history`) and plot the relations index."""

from __future__ import annotations

import argparse
from collections import Counter
from collections.abc import Sequence
from datetime import date, timedelta
from pathlib import Path

from simulator import world
from simulator.cli.options import add_scenario_options, parse_pair, scenario_from, show_pair
from simulator.errors import DiplosimError
from simulator.events import Event, describe
from simulator.redaction import redact_url
from simulator.scenario import Scenario
from simulator.store import open_store

STREAM = "history"
PLOTTED_PAIRS = 6  # pairs plotted when none are named: those the most events moved


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("scenario", help="scenario file (TOML)")
    add_scenario_options(parser)
    parser.add_argument("--at", metavar="DATE", help="show the state on DATE (YYYY-MM-DD)")
    parser.add_argument(
        "--store", metavar="URL", help=f"also write the record to stream {STREAM!r} of this store"
    )
    parser.add_argument("--plot", metavar="PNG", help="write the relations index over time")
    parser.add_argument(
        "--pair",
        action="append",
        metavar="A-B",
        help=f"a pair to plot (repeatable; default: the {PLOTTED_PAIRS} most active pairs)",
    )
    parser.add_argument(
        "--half-life",
        type=float,
        metavar="DAYS",
        default=world.DEFAULT_HALF_LIFE_DAYS,
        help=f"half-life of the relations index (default {world.DEFAULT_HALF_LIFE_DAYS:g})",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    scenario = scenario_from(args, args.scenario)
    half_life = args.half_life
    if not 0 < half_life < float("inf"):
        raise DiplosimError(f"--half-life must be a number of days > 0 (got {half_life:g})")
    pairs = _pairs(scenario, args.pair) if args.plot else []
    if args.plot:
        _check_plot_format(args.plot)
    if args.at is not None:
        print("\n".join(state_report(scenario, _day(args.at), half_life)))
    else:
        print("\n".join(change_report(scenario, half_life)))
    if args.store is not None:
        print(store_record(scenario.events, args.store))
    if args.plot:
        plot_relations(scenario, pairs, half_life, Path(args.plot))
        print(f"wrote {args.plot}: relations index of {'; '.join(map(show_pair, pairs))}")
    return 0


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise DiplosimError(f"--at: {text!r} is not a date (YYYY-MM-DD expected)") from None


# --- what each event changed -------------------------------------------------------------------


def _holdings(shares: dict[str, float]) -> str:
    ranked = sorted(shares.items(), key=lambda item: -item[1])
    return ", ".join(f"{actor} {share:.3f}" for actor, share in ranked) or "nobody"


def changes(before: world.WorldState, after: world.WorldState, event: Event) -> list[str]:
    """What *event* changed between the states *before* and *after* it, as short phrases."""
    out: list[str] = []
    for region in sorted(set(before.control) | set(after.control)):
        if before.control.get(region) != after.control.get(region):
            out.append(f"control {region}: {_holdings(after.control.get(region, {}))}")
    for p in sorted(set(after.hostilities) - set(before.hostilities)):
        out.append(f"war {'-'.join(p)} started")
    for p in sorted(set(before.hostilities) - set(after.hostilities)):
        out.append(f"war {'-'.join(p)} ended")
    for region in sorted(set(before.blockades) | set(after.blockades)):
        was, now = before.blockaded(region), after.blockaded(region)
        if was != now:
            out.append(f"blockade of {region} {'in force' if now else 'lifted'}")
    for region in sorted(set(before.peacekeepers) | set(after.peacekeepers)):
        if before.peacekeepers.get(region) != after.peacekeepers.get(region):
            troops = after.peacekeepers.get(region) or {}
            held = ", ".join(f"{c} {n:,}" for c, n in sorted(troops.items())) or "none"
            out.append(f"peacekeepers {region}: {held}")
    for region in sorted(set(after.population) | set(after.displaced)):
        people = (after.population.get(region), after.displaced.get(region))
        if people != (before.population.get(region), before.displaced.get(region)):
            out.append(f"population {region} {people[0] or 0:,} (displaced {people[1] or 0:,})")
    for region, progress in sorted(after.reintegration.items()):
        if before.reintegration.get(region) != progress:
            out.append(f"reintegration {region} {progress:.3f}")
    for a, b in event.dyads():
        out.append(f"relations {a}-{b} {after.relations(a, b):+.1f}")
    return out


def change_report(scenario: Scenario, half_life: float) -> list[str]:
    """One line per recorded event: date, type, summary and what it changed."""
    lines = [f"{scenario.name}: {len(scenario.events)} recorded events"]
    state = world.RunningState(half_life_days=half_life)
    before = state.snapshot()
    for event in scenario.events:
        state.apply(event)
        after = state.snapshot()
        changed = "; ".join(changes(before, after, event)) or "no change of state"
        lines.append(
            f"{event.occurred_at}  {type(event).__name__:<21} {describe(event)}  => {changed}"
        )
        before = after
    return lines


# --- the state on one day ----------------------------------------------------------------------


def state_report(scenario: Scenario, day: date, half_life: float) -> list[str]:
    """The state on *day*: control, hostilities, blockades, peacekeepers, people,
    reintegration and the relations of the declared actors."""
    state = world.state_on(scenario.events, day, half_life)
    folded = sum(1 for e in scenario.events if e.occurred_at <= day)
    regions = sorted(set(scenario.regions))
    lines = [f"{scenario.name} on {day} ({folded} of {len(scenario.events)} recorded events)"]

    def section(title: str, rows: list[str]) -> None:
        lines.append(f"{title:<14}{rows[0] if rows else 'none'}")
        lines.extend(f"{'':<14}{row}" for row in rows[1:])

    section(
        "control", [f"{r}: {_holdings(state.control[r])}" for r in regions if r in state.control]
    )
    section(
        "hostilities", [f"{'-'.join(p)} since {d}" for p, d in sorted(state.hostilities.items())]
    )
    section(
        "blockades",
        [
            f"{r}: " + ", ".join(f"{a} since {d}" for a, d in sorted(state.blockades[r].items()))
            for r in regions
            if state.blockaded(r)
        ],
    )
    section(
        "peacekeepers",
        [
            f"{r}: " + ", ".join(f"{c} {n:,}" for c, n in sorted(state.peacekeepers[r].items()))
            for r in regions
            if state.peacekeepers.get(r)
        ],
    )
    section(
        "population",
        [
            f"{r}: {state.population.get(r, 0):,} (displaced {state.displaced.get(r, 0):,})"
            for r in regions
            if r in state.population or r in state.displaced
        ],
    )
    section(
        "reintegration",
        [
            f"{r}: {state.reintegration[r]:.3f} ({', '.join(sorted(state.milestones[r]))})"
            for r in regions
            if r in state.reintegration
        ],
    )
    order = {actor: i for i, actor in enumerate(scenario.actors)}
    table = {
        p: value for p, value in state.relations_table().items() if p[0] in order and p[1] in order
    }
    ranked = sorted(table, key=lambda p: (order[p[0]], order[p[1]]))
    section(
        "relations",
        [f"{'-'.join(p):<10}{table[p]:+8.2f}" for p in ranked],
    )
    lines.append(
        f"(relations index: decayed sum of Goldstein weights, half-life {half_life:g} days)"
    )
    return lines


# --- the store ---------------------------------------------------------------------------------


def store_record(events: Sequence[Event], url: str) -> str:
    """Write *events* to stream `history` at *url* idempotently; say what was done.

    Nothing is written when the stream already holds them; the rest is appended when it holds
    a prefix of them (with the expected version, so a concurrent writer makes this fail); any
    other content is an error and nothing is written.
    """
    events = list(events)
    with open_store(url) as store:
        stored = list(store.events(STREAM))
        held = len(stored)
        if stored == events:
            return f"store: stream {STREAM!r} already holds these {held} events; nothing written"
        if held < len(events) and stored == events[:held]:
            store.append(STREAM, events[held:], expected_version=held)
            return (
                f"store: appended {len(events) - held} events to stream {STREAM!r} "
                f"(it held {held}; now {len(events)})"
            )
    first = next(
        (i for i, (a, b) in enumerate(zip(stored, events, strict=False)) if a != b),
        min(held, len(events)),
    )
    raise DiplosimError(
        f"store {redact_url(url)}: stream {STREAM!r} holds {held} events that differ from the "
        f"record from version {first} on; nothing written (use another store or stream)"
    )


# --- the plot ----------------------------------------------------------------------------------


def _check_plot_format(path: str) -> None:
    """Refuse a --plot file whose suffix matplotlib cannot write, before any work is done."""
    from matplotlib.figure import Figure

    formats = Figure().canvas.get_supported_filetypes()
    suffix = Path(path).suffix.lower().lstrip(".")
    if suffix not in formats:
        raise DiplosimError(
            f"--plot {path}: cannot write a {suffix or 'suffix-less'} file "
            f"(a file ending in one of: {', '.join('.' + f for f in sorted(formats))})"
        )


def _pairs(scenario: Scenario, named: list[str] | None) -> list[tuple[str, str]]:
    if named:
        pairs = []
        for text in named:
            a, b = parse_pair(text)
            if a not in scenario.actors or b not in scenario.actors:
                raise DiplosimError(
                    f"--pair {text!r}: two declared actors expected "
                    f"(declared: {', '.join(scenario.actors)})"
                )
            pairs.append(world.pair(a, b))
        return pairs
    activity = Counter(p for event in scenario.events for p in event.dyads())
    return [p for p, _ in activity.most_common(PLOTTED_PAIRS)]


def plot_relations(
    scenario: Scenario, pairs: list[tuple[str, str]], half_life: float, path: Path
) -> None:
    """Write a PNG of the daily relations index of *pairs* over the record."""
    from simulator.plots import relations_lines

    last = scenario.events[-1].occurred_at if scenario.events else scenario.start
    days = [scenario.start + timedelta(days=n) for n in range((last - scenario.start).days + 2)]
    series = world.relations_over(scenario.events, pairs, days, half_life)
    title = f"{scenario.name}: relations index (half-life {half_life:g} days)"
    figure = relations_lines({"-".join(p): values for p, values in series.items()}, days, title)
    try:
        figure.savefig(path, dpi=120)
    except OSError as exc:
        raise DiplosimError(f"--plot: cannot write {path} ({exc.strerror or exc})") from None
