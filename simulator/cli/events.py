"""`diplosim events`: append JSON Lines to a stream; list, follow, verify, checkpoint and export
the event store."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Iterator
from itertools import islice

from simulator import codec
from simulator.cli.options import mebibytes
from simulator.errors import StoreError
from simulator.events import Event
from simulator.jsonlines import MAX_LINE_BYTES, EventLines
from simulator.store import EventStore, Record, checkpoint, open_store
from simulator.store.checkpoint import CheckpointError
from simulator.terminal import cell, safe

MAX_REPORTED = 20  # bad lines reported before "... and N more"
SUMMARY_WIDTH = 60


def register(parser: argparse.ArgumentParser) -> None:
    commands = parser.add_subparsers(dest="events_command", metavar="ACTION", required=True)
    store_help = "store URL (default: $DIPLOSIM_STORE, else sqlite:///diplosim.db)"

    append = commands.add_parser(
        "append", help="append a JSON Lines file (one event a line) to a stream, all or nothing"
    )
    append.add_argument("file", help="JSON Lines: {\"type\": ..., fields}; '-' reads stdin")
    append.add_argument("--store", help=store_help)
    append.add_argument("--stream", required=True, help="stream to append to")
    append.add_argument(
        "--expected-version",
        type=int,
        help="fail unless the stream holds exactly this many events (0: a new stream)",
    )
    append.add_argument(
        "--max-size",
        type=mebibytes,
        default=MAX_LINE_BYTES,
        metavar="MIB",
        help=f"the longest line (one event) accepted, in MiB (default {MAX_LINE_BYTES >> 20})",
    )
    append.set_defaults(handler=run_append)

    ls = commands.add_parser("ls", help="list stored events as a table")
    ls.add_argument("--store", help=store_help)
    ls.add_argument("--stream", help="only this stream (default: the whole log)")
    ls.add_argument("--type", action="append", dest="types", help="only this type (repeatable)")
    ls.add_argument("--limit", type=int, default=100, help="at most this many rows (0: all)")
    ls.add_argument(
        "--follow",
        action="store_true",
        help="after the stored records, print each new one as it is appended (Ctrl-C stops)",
    )
    ls.add_argument(
        "--from",
        dest="start",
        type=int,
        default=0,
        metavar="N",
        help="start at this log position (with --stream and no --follow: this version)",
    )
    ls.add_argument(
        "--idle",
        type=float,
        metavar="SECONDS",
        help="with --follow: stop after this long without a new record",
    )
    ls.set_defaults(handler=run_ls)

    verify = commands.add_parser(
        "verify",
        help="check the table, the hash chain and every record; exit 1 at the first bad one",
    )
    verify.add_argument("--store", help=store_help)
    verify.add_argument(
        "--checkpoint", metavar="FILE", help="also prove the log still extends this checkpoint"
    )
    verify.add_argument(
        "--public-key", metavar="FILE", help="the key a --checkpoint's signature is checked with"
    )
    verify.add_argument(
        "--exact",
        action="store_true",
        help="with --checkpoint: fail if any record follows it (for logs checkpointed after "
        "every append, where a record outside a checkpoint was written without the key)",
    )
    verify.set_defaults(handler=run_verify)

    keygen = commands.add_parser(
        "keygen", help="make an Ed25519 key pair for signing checkpoints (FILE and FILE.pub)"
    )
    keygen.add_argument("file", help="where the private key goes (the public key: FILE.pub)")
    keygen.set_defaults(handler=run_keygen)

    checkpoint = commands.add_parser(
        "checkpoint", help="verify the log, then sign its head (count, last hash, time) to FILE"
    )
    checkpoint.add_argument("--store", help=store_help)
    checkpoint.add_argument("--key", required=True, metavar="FILE", help="the private key")
    checkpoint.add_argument("--out", required=True, metavar="FILE", help="the checkpoint file")
    checkpoint.set_defaults(handler=run_checkpoint)

    export = commands.add_parser("export", help="write stored events as JSON Lines to stdout")
    export.add_argument("--store", help=store_help)
    export.add_argument("--stream", help="only this stream (default: the whole log)")
    export.add_argument("--type", action="append", dest="types", help="only this type (repeatable)")
    export.add_argument(
        "--records",
        action="store_true",
        help="whole records (position, stream, version, hash, metadata, ...) instead of "
        "appendable events",
    )
    export.set_defaults(handler=run_export)


# --- append ---------------------------------------------------------------------------------


def run_append(args: argparse.Namespace) -> int:
    with EventLines(args.file, args.max_size) as lines:
        found = lines.check(keep=MAX_REPORTED)
        if found.bad:
            for message in found.messages:
                print(message, file=sys.stderr)
            if found.bad > len(found.messages):
                print(f"... and {found.bad - len(found.messages)} more bad lines", file=sys.stderr)
            print(f"diplosim: error: nothing appended ({found.bad} bad lines)", file=sys.stderr)
            return 2
        with _open(args.store, must_exist=False) as store:
            before = store.version(args.stream)
            positions = store.append(
                args.stream, lines.events(), expected_version=args.expected_version
            )
            # Another writer may append between these reads: the count is for the message only.
            added = store.version(args.stream) - before if positions else 0
    if not positions:
        print(f"nothing to append: {args.file} holds no events")
    elif not added:
        print(f"nothing appended: all {len(positions)} events are already in {args.stream!r}")
    else:
        new = sorted(positions)[-added:]
        known = len(positions) - added
        print(
            f"appended {added} events to {args.stream!r} at positions {new[0]}..{new[-1]}"
            + (f" ({known} already in the stream, not appended again)" if known else "")
        )
    return 0


# --- ls ---------------------------------------------------------------------------------------


def run_ls(args: argparse.Namespace) -> int:
    if args.limit < 0:
        raise StoreError(f"--limit must be >= 0 (got {args.limit})")
    if args.start < 0:
        raise StoreError(f"--from must be >= 0 (got {args.start})")
    if args.follow:
        return _follow(args)
    header = ("position", "version", "date", "type", "actors", "summary")
    if args.stream is None:
        header = ("position", "stream", "version", "date", "type", "actors", "summary")
    with _open(args.store) as store:
        records = iter(_selected(store, args.stream, args.types, args.start))
        shown = islice(records, args.limit) if args.limit else records
        _print_table(header, (_row(r, with_stream=args.stream is None) for r in shown))
        more = bool(args.limit) and next(records, None) is not None
    if more:
        print(f"(first {args.limit} shown; --limit 0 lists all)", file=sys.stderr)
    return 0


def _follow(args: argparse.Namespace) -> int:
    """Print each record as it comes, one line each (a table's widths cannot be known)."""
    if args.idle is not None and not args.idle > 0:
        raise StoreError(f"--idle must be > 0 seconds (got {args.idle})")
    with _open(args.store) as store:
        records = store.subscribe(args.start, args.types, idle_timeout=args.idle)
        try:
            for record in records:
                if args.stream is None or record.stream == args.stream:
                    cells = _row(record, with_stream=args.stream is None)
                    print("  ".join(safe(c) for c in cells), flush=True)
        except KeyboardInterrupt:
            print("(stopped)", file=sys.stderr)
        finally:
            records.close()
    return 0


def _row(record: Record, with_stream: bool) -> tuple[str, ...]:
    event = record.event
    cells = [str(record.position)]
    if with_stream:
        cells.append(record.stream)
    cells += [
        str(record.version),
        record.occurred_at,
        record.type,
        ", ".join(event.actors()),
        summary(event),
    ]
    return tuple(cells)


def summary(event: Event) -> str:
    """The event's other fields as `name=value`, shortened to one table cell."""
    skip = {"occurred_at", "source", *type(event).ACTOR_FIELDS}
    parts = []
    for name, value in codec.to_fields(event).items():
        if name in skip:
            continue
        if isinstance(value, list):
            value = "+".join(value)
        parts.append(f"{name}={value}")
    text = " ".join(parts)
    return text if len(text) <= SUMMARY_WIDTH else text[: SUMMARY_WIDTH - 3] + "..."


# Rows are printed a block at a time, so listing a log of any length holds one block in memory;
# a log of one block on a terminal gets a rich table, anything else aligned columns whose
# widths grow from block to block.
BLOCK = 1000


def _print_table(header: tuple[str, ...], rows: Iterable[tuple[str, ...]]) -> None:
    rows = iter(rows)
    block = list(islice(rows, BLOCK))
    following = list(islice(rows, 1))
    if sys.stdout.isatty() and not following:
        from rich.console import Console
        from rich.table import Table

        table = Table(*(cell(h) for h in header))
        for row in block:
            table.add_row(*(cell(c) for c in row))
        Console().print(table)
        return
    header = tuple(safe(h) for h in header)
    widths = [len(h) for h in header]
    first = True
    while block:
        block = [tuple(safe(c) for c in r) for r in block]
        widths = [max(w, *(len(r[i]) for r in block)) for i, w in enumerate(widths)]
        for row in (header, *block) if first else block:
            print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
        first = False
        block = following + list(islice(rows, BLOCK - len(following)))
        following = []


# --- verify and export --------------------------------------------------------------------------


def run_verify(args: argparse.Namespace) -> int:
    if args.exact and args.checkpoint is None:
        raise CheckpointError("--exact needs --checkpoint (it counts the records after one)")
    if (args.checkpoint is None) != (args.public_key is None):
        raise CheckpointError(
            "--checkpoint and --public-key go together: a checkpoint is only evidence when its "
            "signature is checked with a key kept apart from the database"
        )
    if args.checkpoint is not None:
        signed = checkpoint.load(args.checkpoint)
        key = checkpoint.load_public_key(args.public_key)
    with _open(args.store) as store:
        url = store.shown
        try:
            if args.checkpoint is None:
                result = store.verify()
            else:
                result = checkpoint.verify(store, signed, key, args.public_key)
        except checkpoint.ForgedCheckpoint as exc:
            print(f"{args.checkpoint}: {exc}")
            return 1
    if not result.ok:
        where = (
            "the events table"
            if result.first_bad_position is None
            else (f"record at position {result.first_bad_position}")
        )
        print(f"{url}: {where}: {safe(result.reason)}")
        return 1
    if args.exact and result.after_checkpoint:
        print(
            f"{url}: {result.after_checkpoint} records after the checkpoint are covered by no "
            f"signature (--exact)"
        )
        return 1
    print(f"{url}: ok, {result.checked} records; hash chain intact, every record a valid event")
    if args.checkpoint is not None:
        print(
            f"extends the checkpoint of {signed.count} records signed {signed.signed_at} "
            f"({args.checkpoint}); {result.after_checkpoint} records after it are not covered "
            "by it"
        )
    return 0


def run_keygen(args: argparse.Namespace) -> int:
    public = checkpoint.write_key_pair(args.file)
    print(f"wrote private key {args.file} (keep it from the database's writers) and {public}")
    return 0


def run_checkpoint(args: argparse.Namespace) -> int:
    key = checkpoint.load_private_key(args.key)
    with _open(args.store) as store:
        signed = checkpoint.sign(store, key)
        url = store.shown
    checkpoint.save(signed, args.out)
    print(
        f"{url}: signed the head ({signed.count} records, last hash {signed.hash[:12]}...) "
        f"to {args.out}"
    )
    return 0


def run_export(args: argparse.Namespace) -> int:
    out = sys.stdout
    with _open(args.store) as store:
        for record in _selected(store, args.stream, args.types):
            if args.records:
                data = record._asdict()
                data["payload"] = json.loads(record.payload)
                data["metadata"] = None if record.metadata is None else record.meta
            else:
                data = codec.to_dict(record.event)
            out.write(codec.dumps(data))
            out.write("\n")
    return 0


# --- shared -------------------------------------------------------------------------------------


def _selected(
    store: EventStore, stream: str | None, types: list[str] | None, start: int = 0
) -> Iterator[Record]:
    """The records listed: of the log from position *start*, or of *stream* from version
    *start*."""
    if stream is None:
        return store.read_all(start, types=types)
    records = store.read(stream, start)
    if types is None:
        return records
    wanted = set(types)
    return (record for record in records if record.type in wanted)


def _open(url: str | None, must_exist: bool = True) -> EventStore:
    """The store at *url*; for reading commands a SQLite file must already exist."""
    return open_store(url, create=not must_exist)
