"""`diplosim relations`: the relations index of a pair over time, from any streams, as a monthly
table and a plot (the index as `world` computes it: decayed sum of Goldstein weights)."""

from __future__ import annotations

import argparse
import calendar
import json
from datetime import date, timedelta

from simulator import world
from simulator.cli.options import parse_pair, show_pair
from simulator.errors import DiplosimError
from simulator.events import Event
from simulator.store import EventStore, open_store


class RelationsError(DiplosimError):
    """The pair, dates or streams asked for cannot be shown."""


def register(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Print the relations index of a pair at each month's end for one or more "
        "streams (recorded, imported or simulated), and plot it day by day."
    )
    parser.add_argument(
        "--store", help="store URL (default: $DIPLOSIM_STORE, else sqlite:///diplosim.db)"
    )
    parser.add_argument(
        "--stream", required=True, action="append", dest="streams", help="stream (repeatable)"
    )
    parser.add_argument("--pair", required=True, help="two actor ids, e.g. AAA,BBB (or AAA-BBB)")
    parser.add_argument(
        "--half-life",
        type=float,
        default=world.DEFAULT_HALF_LIFE_DAYS,
        help=f"half-life of the index in days (default {world.DEFAULT_HALF_LIFE_DAYS:g})",
    )
    parser.add_argument("--from", dest="start", type=day_argument, help="first day (YYYY-MM-DD)")
    parser.add_argument("--to", dest="end", type=day_argument, help="last day (YYYY-MM-DD)")
    parser.add_argument("--plot", help="write a PNG plot of the daily index here")
    parser.set_defaults(handler=run_relations)


def day_argument(text: str) -> date:
    """An argparse type: a date YYYY-MM-DD."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date YYYY-MM-DD (got {text!r})") from None


def pair_events(store: EventStore, stream: str, pair: tuple[str, str]) -> list[Event]:
    """The events of *stream* naming both actors of *pair*, in date order (stable)."""
    a, b = pair
    # Cheap test on the stored JSON before decoding: an event naming both has both strings.
    needles = [json.dumps(a, ensure_ascii=False), json.dumps(b, ensure_ascii=False)]
    found = []
    for record in store.read(stream):
        payload = record.payload
        if needles[0] in payload and needles[1] in payload:
            event = record.event
            names = event.actors()
            if a in names and b in names:
                found.append(event)
    found.sort(key=lambda e: e.occurred_at)
    return found


def month_ends(start: date, end: date) -> list[date]:
    """The last day of every month from *start*'s to *end*'s (the last one is *end* itself)."""
    ends = []
    year, month = start.year, start.month
    while (year, month) <= (end.year, end.month):
        ends.append(date(year, month, calendar.monthrange(year, month)[1]))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    ends[-1] = min(ends[-1], end)
    return ends


def run_relations(args: argparse.Namespace) -> int:
    pair = parse_pair(args.pair)
    if not 0.0 < args.half_life < float("inf"):
        raise RelationsError(f"--half-life must be a number of days > 0 (got {args.half_life:g})")
    with open_store(args.store, create=False) as store:
        for stream in args.streams:
            if store.version(stream) == 0:
                raise RelationsError(f"stream {stream!r} of {store.shown} holds no events")
        found = {stream: pair_events(store, stream, pair) for stream in args.streams}
    dated = [e.occurred_at for evs in found.values() for e in evs]
    if not dated and (args.start is None or args.end is None):
        print(f"no events between {pair[0]} and {pair[1]} in {', '.join(args.streams)}")
        return 0
    start = args.start or min(dated)
    end = args.end or max(dated)
    if end < start:
        raise RelationsError(f"--to {end} comes before --from {start}")
    ends = month_ends(start, end)
    table = {s: _series(evs, pair, ends, args.half_life) for s, evs in found.items()}
    print(f"relations index {show_pair(pair)}, half-life {args.half_life:g} days")
    width = max(12, *(len(s) + 2 for s in args.streams))
    print("month   " + "".join(f"{s:>{width}}" for s in args.streams))
    for i, day in enumerate(ends):
        print(f"{day:%Y-%m} " + "".join(f"{table[s][i]:>{width}.2f}" for s in args.streams))
    if args.plot:
        days = [start + timedelta(n) for n in range((end - start).days + 1)]
        series = {s: _series(evs, pair, days, args.half_life) for s, evs in found.items()}
        plot(series, days, pair, args.half_life, args.plot)
        print(f"plot written to {args.plot}")
    return 0


def _series(
    events: list[Event], pair: tuple[str, str], days: list[date], half_life: float
) -> list[float]:
    return world.relations_over(events, [pair], days, half_life)[pair]


def plot(
    series: dict[str, list[float]],
    days: list[date],
    pair: tuple[str, str],
    half_life_days: float,
    path: str,
) -> None:
    """Write a PNG of each stream's daily index of *pair* to *path*."""
    from simulator.plots import relations_lines

    title = f"Relations index {pair[0]}-{pair[1]} (half-life {half_life_days:g} days)"
    try:
        relations_lines(series, days, title).savefig(path, dpi=120)
    except OSError as exc:
        raise RelationsError(f"cannot write plot {path}: {exc.strerror or exc}") from None
