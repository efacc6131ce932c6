"""Real event data into the store: GDELT, ICEWS and ACLED files as catalogue events.

    summary = import_file("events.csv", "gdelt", store, "gdelt", ActorTable.load("actors.toml"))

Files are read as published (plain, gzip or zip; tab- or comma-separated; see `source`), a
block of rows at a time by pyarrow's CSV reader, only the columns the format reads; rows
outside the filters are dropped a block at a time, by array operations; the rest are mapped
to events and appended in batches (each with `expected_version`), so memory stays flat however
long the file is. Importing a file again adds nothing: the row
identities already in the stream are read once first and skipped. A row that cannot be
imported is refused with its line and the reason, and the rest goes on. See docs/ingest.md.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from operator import attrgetter
from types import ModuleType

import attrs
import numpy as np

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
    summary = Summary(path, fmt, stream)
    try:
        table = source.Table(path, layout.DIALECT, encoding)
    except source.SourceError as exc:
        raise IngestError(str(exc)) from None
    if table.first is None:
        return summary
    try:
        index, header = layout.columns(table.first, f"{path} line 1")
    except Refused as exc:
        raise IngestError(str(exc)) from None
    # Only the columns the layout reads are parsed; the converter and the filter know them by
    # their place among those.
    wanted = sorted(set(index.values()))
    place = {column: k for k, column in enumerate(wanted)}
    index = {name: place[column] for name, column in index.items()}
    convert = layout.converter(index, actors, known)
    keep = None if filters is None or not filters.any else layout.selector(index, filters, actors)
    importer = _Importer(store, stream, summary, table, batch_size, on_refused)
    try:
        for block in table.blocks(wanted):
            columns, rows = block.columns, range(block.start, block.start + len(block.columns[0]))
            if header and block.start == 0:  # the header is read as the first row
                columns, rows = [column[1:] for column in columns], rows[1:]
            if keep is not None:
                inside = keep(columns)
                outside = len(inside) - int(inside.sum())
                summary.filtered += outside
                summary.read += outside
                columns = [column.filter(inside) for column in columns]
                rows = [rows[k] for k in np.flatnonzero(inside).tolist()]
            values = zip(*(column.to_pylist() for column in columns), strict=True)
            importer.add(rows, values, convert)
    except source.SourceError as exc:
        raise IngestError(str(exc)) from None
    importer.finish()
    return summary


class _Importer:
    """Rows converted into batches of events, appended as they fill; the rows the reader left
    out for their width refused in the order of the file, among the others."""

    def __init__(self, store, stream, summary, table, batch_size, on_refused) -> None:
        self.store, self.stream, self.summary, self.table = store, stream, summary, table
        self.batch_size, self.on_refused = batch_size, on_refused
        self.version = store.version(stream)
        self.batch: list[Event] = []
        self.misfits_told = 0
        self.width = len(table.first)

    def add(self, rows: Sequence[int], fields: Iterable[Sequence[str]], convert) -> None:
        summary, batch, number = self.summary, self.batch, self.table.number
        read = skipped = 0  # counted in locals, for speed, put in the summary last
        for row, values in zip(rows, fields, strict=True):
            read += 1
            try:
                event = convert(values)
            except (Refused, EventError) as exc:
                line = number(row)
                self._misfits_before(line)
                _refuse(summary, line, str(exc), self.on_refused)
                continue
            if event is None:
                skipped += 1
                continue
            batch.append(event)
            if len(batch) >= self.batch_size:
                self._append()
        summary.read += read
        summary.skipped += skipped
        if rows:
            self._misfits_before(number(rows[-1]))

    def finish(self) -> None:
        self._misfits_before(None)
        self._append()

    def _misfits_before(self, line: int | None) -> None:
        misfits = self.table.misfits
        while self.misfits_told < len(misfits):
            number, width = misfits[self.misfits_told]
            if line is not None and number > line:
                return
            self.misfits_told += 1
            self.summary.read += 1
            reason = f"expected {self.width} columns, got {width}"
            _refuse(self.summary, number, reason, self.on_refused)

    def _append(self) -> None:
        if not self.batch:
            return
        batch = self.batch
        # Each event's id is its row's identity (gdelt:<GLOBALEVENTID>, ...): given, not
        # derived, so it costs no hash, and ids that rise with the file's keep the store's id
        # index local.
        self.store.append(
            self.stream, batch, expected_version=self.version, ids=[identity(e) for e in batch]
        )
        self.summary.imported += len(batch)
        self.summary.types.update(map(_type_name, batch))
        self.version += len(batch)
        batch.clear()  # in place: `add` holds the list


def _refuse(summary: Summary, line: int, reason: str, on_refused) -> None:
    summary.refused += 1
    if len(summary.refusals) < KEPT_REFUSALS:
        summary.refusals.append((line, reason))
    if on_refused is not None:
        on_refused(line, reason)


_type_name = attrgetter("__class__.__name__")


def export_rows(events: Iterable[Event], fmt: str) -> Iterator[dict[str, str]]:
    """The key columns (`<format>.KEY_COLUMNS`) of the *fmt* rows *events* were imported from;
    events that came from elsewhere are passed over."""
    layout = _layout(fmt)
    prefix = f"{fmt}:"
    for event in events:
        ident = identity(event)
        if ident is not None and ident.startswith(prefix):
            yield layout.export(event, ident[len(prefix) :])
