"""`diplosim import`: load a GDELT, ICEWS or ACLED file into a stream of the event store."""

from __future__ import annotations

import argparse
import sys

from simulator.cli.relations import day_argument
from simulator.ingest import BATCH_SIZE, FORMATS, ActorTable, Summary, import_file
from simulator.ingest.filters import FilterError, Filters, listed
from simulator.store import open_store

MAX_SHOWN = 50  # refused rows printed one by one before "... and N more"


def register(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Import a GDELT, ICEWS or ACLED file into a stream; importing it again "
        "adds nothing. Refused rows are listed on stderr with their line; exit 0 when the "
        "file was read, 2 when the file, its format or the store cannot be used."
    )
    parser.add_argument("file", help="the data file")
    parser.add_argument("--format", required=True, choices=sorted(FORMATS), dest="fmt")
    parser.add_argument(
        "--store", help="store URL (default: $DIPLOSIM_STORE, else sqlite:///diplosim.db)"
    )
    parser.add_argument("--stream", required=True, help="stream to import into")
    parser.add_argument(
        "--actors-table",
        metavar="FILE",
        help="actors table (TOML) naming the ids of actors and regions",
    )
    keep = parser.add_argument_group(
        "filters", "rows outside are counted and skipped before they are mapped"
    )
    keep.add_argument(
        "--actors", metavar="IDS", help="keep rows naming one of these actors (ids, codes, names)"
    )
    keep.add_argument(
        "--countries", metavar="ISO3S", help="keep rows with an actor of these countries"
    )
    keep.add_argument("--from", dest="start", type=day_argument, metavar="DATE", help="first day")
    keep.add_argument("--to", dest="end", type=day_argument, metavar="DATE", help="last day")
    keep.add_argument(
        "--root-codes", metavar="CODES", help="keep rows of these CAMEO root codes, e.g. 18,19,20"
    )
    parser.add_argument("--encoding", default="utf-8-sig", help="file encoding (default UTF-8)")
    parser.add_argument(
        "--batch-size", type=int, default=BATCH_SIZE, help=f"events a batch (default {BATCH_SIZE})"
    )
    parser.set_defaults(handler=run_import)


def run_import(args: argparse.Namespace) -> int:
    if args.actors and args.actors.endswith(".toml"):
        raise FilterError(
            f"--actors takes actor ids to keep (got {args.actors!r}); the actors table is "
            "--actors-table FILE"
        )
    actors = ActorTable.load(args.actors_table) if args.actors_table else None
    filters = Filters(
        actors=listed(args.actors or ""),
        countries=listed(args.countries or "", upper=True),
        start=args.start,
        end=args.end,
        root_codes=listed(args.root_codes or ""),
    )
    shown = 0

    def refused(line: int, reason: str) -> None:
        nonlocal shown
        shown += 1
        if shown <= MAX_SHOWN:
            print(f"{args.file}:{line}: refused: {reason}", file=sys.stderr)

    with open_store(args.store) as store:
        summary = import_file(
            args.file,
            args.fmt,
            store,
            args.stream,
            actors,
            batch_size=args.batch_size,
            encoding=args.encoding,
            on_refused=refused,
            filters=filters,
        )
        url = store.shown
    if shown > MAX_SHOWN:
        print(f"... and {shown - MAX_SHOWN} more refused rows", file=sys.stderr)
    print(describe(summary, url))
    return 0


def describe(summary: Summary, url: str) -> str:
    """The summary of an import as lines of text."""
    lines = [
        f"read {summary.read} rows of {summary.path} ({summary.format})",
        f"imported {summary.imported} events into stream {summary.stream!r} of {url}",
    ]
    for name, count in sorted(summary.types.items(), key=lambda kv: (-kv[1], kv[0])):
        lines.append(f"  {name:<24}{count:>10}")
    lines.append(f"already in the stream {summary.skipped}")
    if summary.filtered:
        lines.append(f"outside the filters {summary.filtered}")
    lines.append(f"refused {summary.refused}" + (" (see stderr)" if summary.refused else ""))
    return "\n".join(lines)
