"""Real event data into the store: GDELT, ICEWS and ACLED files as catalogue events.

    summary = import_file("events.csv", "gdelt", store, "gdelt", ActorTable.load("actors.toml"))

Files are read as published (plain, gzip or zip; tab- or comma-separated; see `source`), rows
one at a time, and appended in batches (each with `expected_version`),
so memory stays flat however long the file is. Importing a file again adds nothing: the row
identities already in the stream are read once first and skipped. A row that cannot be
imported is refused with its line and the reason, and the rest goes on. See docs/ingest.md.
"""

from __future__ import annotations

import csv
import json
import sys
import zipfile
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from itertools import chain
from operator import attrgetter
from types import ModuleType

import attrs

from simulator.errors import DiplosimError, EventError
from simulator.events import Event
from simulator.ingest import acled, gdelt, icews, source
from simulator.ingest.actors import ActorsTableError, ActorTable
from simulator.ingest.filters import Filters
from simulator.ingest.mapping import Refused, identity
from simulator.store import EventStore

__all__ = [
    "FORMATS",
    "ActorTable",
    "ActorsTableError",
    "Filters",
    "IngestError",
    "Summary",
    "export_rows",
    "import_file",
    "known_identities",
]

FORMATS: dict[str, ModuleType] = {m.NAME: m for m in (gdelt, icews, acled)}
BATCH_SIZE = 5000
KEPT_REFUSALS = 100  # refusals a Summary lists; all of them are counted and passed on

csv.field_size_limit(min(sys.maxsize, 2**31 - 1))  # ACLED notes and GDELT URLs can be long


class IngestError(DiplosimError):
    """A file cannot be imported at all (unreadable, not of its format)."""


@attrs.define
class Summary:
    """What an import did: rows `read`, `imported` (by event type in `types`), `skipped` as
    already in the stream, `filtered` as outside the filters, `refused` (the first
    `KEPT_REFUSALS` as (line, reason) pairs)."""

    path: str
    format: str
    stream: str
    read: int = 0
    imported: int = 0
    skipped: int = 0
    refused: int = 0
    filtered: int = 0
    types: Counter = attrs.field(factory=Counter)
    refusals: list[tuple[int, str]] = attrs.field(factory=list)


def _layout(fmt: str) -> ModuleType:
    try:
        return FORMATS[fmt]
    except KeyError:
        raise IngestError(f"unknown format {fmt!r} (known: {', '.join(sorted(FORMATS))})") from None


def known_identities(store: EventStore, stream: str, fmt: str) -> set:
    """The identities of *fmt* rows already in *stream* (read once, record by record)."""
    layout = _layout(fmt)
    prefix = f"{fmt}:"
    cut = len(prefix)
    found: set = set()
    for record in store.read(stream):
        payload = record.payload
        if prefix not in payload:  # most records of other origins are passed over unparsed
            continue
        fields = json.loads(payload)
        ident = fields.get("ref") if record.type == "Reported" else fields.get("source")
        if isinstance(ident, str) and ident.startswith(prefix):
            found.add(layout.key(ident[cut:].split(" ", 1)[0]))
    return found


def import_file(
    path: str,
    fmt: str,
    store: EventStore,
    stream: str,
    actors: ActorTable | None = None,
    *,
    batch_size: int = BATCH_SIZE,
    encoding: str = "utf-8-sig",
    on_refused: Callable[[int, str], None] | None = None,
    filters: Filters | None = None,
) -> Summary:
    """Import the *fmt* file at *path* into *stream* of *store* and say what was done.

    Rows outside *filters* are counted (`Summary.filtered`) and skipped before they are
    mapped. Each refused row is passed to *on_refused* (line, reason) as it is met. IngestError when
    the file cannot be read or is not of the format; store errors pass through (the batches
    appended before stay, and importing again resumes where it stopped).
    """
    layout = _layout(fmt)
    if type(batch_size) is not int or batch_size < 1:
        raise IngestError(f"batch size must be a whole number >= 1 (got {batch_size!r})")
    actors = actors if actors is not None else ActorTable()
    known = known_identities(store, stream, fmt)
    version = store.version(stream)
    summary = Summary(path, fmt, stream)
    try:
        f = source.open_text(path, encoding)
    except source.SourceError as exc:
        raise IngestError(str(exc)) from None
    with f:  # opened apart so that only opening errors become "cannot read"
        source_rows = source.Rows(f, layout.DIALECT, path)
        rows = _rows(source_rows, path)
        first = next(rows, None)
        if first is None:
            return summary
        try:
            index, header = layout.columns(first[1], f"{path} line {first[0]}")
        except Refused as exc:
            raise IngestError(str(exc)) from None
        convert = layout.converter(index, actors, known)
        keep = _selector(layout, index, filters, actors)
        width = len(first[1])
        batch: list[Event] = []
        read = skipped = filtered = 0  # counted in locals, for speed, put in the summary last
        pending = [] if header else [first]
        if keep is not None:  # the reader judges the rows after the first as it meets them
            source_rows.prefilter(keep, keep.reach)
            if pending and not keep(first[1]):
                pending, read, filtered = [], 1, 1
        for line, fields in chain(pending, rows):
            read += 1
            try:
                if len(fields) != width:
                    raise Refused(f"expected {width} columns, got {len(fields)}")
                event = convert(fields)
            except (Refused, EventError) as exc:
                _refuse(summary, line, str(exc), on_refused)
                continue
            if event is None:
                skipped += 1
                continue
            batch.append(event)
            if len(batch) >= batch_size:
                version = _append(store, stream, batch, version, summary)
                batch = []
        _append(store, stream, batch, version, summary)
        filtered += source_rows.filtered
        summary.read, summary.skipped, summary.filtered = (
            read + source_rows.filtered,
            skipped,
            filtered,
        )
    return summary


def _selector(layout: ModuleType, index: dict, filters: Filters | None, actors: ActorTable):
    """The layout's test of a row against *filters*, or None when nothing is filtered."""
    if filters is None or not filters.any:
        return None
    return layout.selector(index, filters, actors)


def _rows(rows: source.Rows, path: str) -> Iterator[tuple[int, list[str]]]:
    """The (line number, fields) of *rows*, their reading errors as IngestError."""
    try:
        yield from rows
    except source.SourceError as exc:
        raise IngestError(str(exc)) from None
    except (OSError, EOFError, zipfile.BadZipFile) as exc:  # a truncated gzip or zip member
        raise IngestError(f"cannot read {path}: {exc}") from None


def _refuse(summary: Summary, line: int, reason: str, on_refused) -> None:
    summary.refused += 1
    if len(summary.refusals) < KEPT_REFUSALS:
        summary.refusals.append((line, reason))
    if on_refused is not None:
        on_refused(line, reason)


_type_name = attrgetter("__class__.__name__")


def _append(store: EventStore, stream: str, batch: list[Event], version: int, summary) -> int:
    if not batch:
        return version
    # Each event's id is its row's identity (gdelt:<GLOBALEVENTID>, ...): given, not derived,
    # so it costs no hash, and ids that rise with the file's keep the store's id index local.
    store.append(stream, batch, expected_version=version, ids=[identity(e) for e in batch])
    summary.imported += len(batch)
    summary.types.update(map(_type_name, batch))
    return version + len(batch)


def export_rows(events: Iterable[Event], fmt: str) -> Iterator[dict[str, str]]:
    """The key columns (`<format>.KEY_COLUMNS`) of the *fmt* rows *events* were imported from;
    events that came from elsewhere are passed over."""
    layout = _layout(fmt)
    prefix = f"{fmt}:"
    for event in events:
        ident = identity(event)
        if ident is not None and ident.startswith(prefix):
            yield layout.export(event, ident[len(prefix) :])
