"""The event store contract: records, the hash chain, and what every backend must do.

A store is an append-only sequence of records. Each record has a global `position` (0, 1, 2,
... across all streams), a `stream` and a `version` within it (0, 1, 2, ...), the event's
`type`, `schema` and canonical JSON `payload`, the day it `occurred_at` in the world, when it
was `recorded_at` (UTC), its `causation` (what led to it, for simulated events) and a `hash`
that chains it to the record before it:

    hash = sha256(previous hash + canonical JSON of the record's other columns)

so `verify()` finds any change to the past and names the first position that does not match.
Backends subclass `EventStore` and implement the four `_` methods; the rest is shared.
"""

from __future__ import annotations

import abc
import hashlib
import itertools
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from typing import NamedTuple

import attrs

from simulator import codec
from simulator.codec import quote
from simulator.errors import ConcurrencyError, StoreError
from simulator.events import Event

GENESIS = "0" * 64
BATCH = 1000
SLICE = 1000  # events encoded and chained at a time by an append
MAX_STREAM_LENGTH = 200


class Record(NamedTuple):
    """One stored event with its place in the log.

    A named tuple rather than an attrs class: the read path builds one per record and a tuple
    is built from a fetched row in one step, several times faster than a frozen class.
    """

    position: int
    stream: str
    version: int
    type: str
    schema: int
    occurred_at: str
    recorded_at: str
    causation: str | None
    payload: str
    hash: str

    @property
    def event(self) -> Event:
        """The catalogue event (decoded on each access; iterate once and keep it if needed)."""
        return codec.decode_trusted(self.type, self.schema, self.payload)


@attrs.frozen
class Verification:
    """Outcome of `verify()`: `ok`, the first position that fails (None if ok), how many read."""

    ok: bool
    first_bad_position: int | None
    checked: int


def record_hash(previous: str, row: Sequence) -> str:
    """The chain hash of *row* (the record's columns before `hash`) after *previous*."""
    body = codec.dumps(list(row)).encode("utf-8")
    return hashlib.sha256(previous.encode("ascii") + body).hexdigest()


def check_stream(stream: object) -> str:
    if not isinstance(stream, str) or not stream or len(stream) > MAX_STREAM_LENGTH:
        raise StoreError(f"stream name must be 1..{MAX_STREAM_LENGTH} characters (got {stream!r})")
    if "\x00" in stream:
        raise StoreError(f"stream name must not contain NUL (got {stream!r})")
    try:
        stream.encode("utf-8")
    except UnicodeEncodeError:
        raise StoreError(f"stream name is not valid Unicode (got {stream!r})") from None
    return stream


class EventStore(abc.ABC):
    """Append-only, hash-chained event log. Use `open_store(url)` to get one."""

    url: str = ""
    shown: str = ""  # the URL as messages show it: without credentials (simulator.redaction)

    # --- the backend's part -------------------------------------------------------------------

    def _append_rows(
        self,
        stream: str,
        slices: Iterator[list[tuple]],
        expected_version: int | None,
        recorded_at: str,
    ) -> list[int]:
        """Atomically: check the version, then chain and insert each slice of prepared rows
        (see `chain`) in turn. A slice may raise `StoreError` (an event that cannot be
        encoded): then nothing of the batch is written.

        The shared `append` calls it; a backend that overrides `append` itself (PostgreSQL,
        which streams the batch while encoding it) has no use for it.
        """
        raise NotImplementedError(f"{type(self).__name__} overrides append() instead")

    @abc.abstractmethod
    def _page(self, stream: str | None, start: int, types: tuple[str, ...] | None, limit: int):
        """Up to *limit* rows (Record columns, in order) from *start*: of *stream* by version
        when a stream is given, else of the whole log by position."""

    @abc.abstractmethod
    def version(self, stream: str) -> int:
        """The number of events in *stream* (its next version)."""

    @abc.abstractmethod
    def streams(self) -> list[str]:
        """Every stream name, sorted."""

    def close(self) -> None:  # noqa: B027 - a store with nothing to release keeps this
        """Release the backend's connection or file; the store is unusable after it."""

    # --- shared ---------------------------------------------------------------------------------

    def append(
        self,
        stream: str,
        events: Iterable[Event],
        expected_version: int | None = None,
        causation: Sequence[str | None] | None = None,
    ) -> list[int]:
        """Append *events* to *stream* as one atomic batch and return their positions.

        *expected_version* is the stream's current length (0 for a new stream), or None for no
        check; on a mismatch `ConcurrencyError` is raised and nothing is written. *causation*
        gives, per event, what led to it (e.g. "run/x/7:12" or "rule:attack").
        """
        check_stream(stream)
        if expected_version is not None and type(expected_version) is not int:
            raise StoreError(f"expected_version must be a whole number (got {expected_version!r})")
        slices = prepared_slices(events, causation)
        first = next(slices, None)  # before any lock: a bad first event costs no wait
        if first is None:
            if expected_version is not None and expected_version != self.version(stream):
                raise ConcurrencyError(
                    f"stream {stream!r} is at version {self.version(stream)}, "
                    f"not {expected_version}"
                )
            return []
        recorded_at = datetime.now(UTC).isoformat(timespec="microseconds")
        return self._append_rows(
            stream, itertools.chain([first], slices), expected_version, recorded_at
        )

    def read(self, stream: str, from_version: int = 0, batch_size: int = BATCH) -> Iterator[Record]:
        """The records of *stream* from *from_version* on, fetched *batch_size* at a time."""
        check_stream(stream)
        return self._records(stream, _start(from_version, "from_version"), None, batch_size)

    def read_all(
        self, from_position: int = 0, types: Iterable[str] | None = None, batch_size: int = BATCH
    ) -> Iterator[Record]:
        """Every record from *from_position* on (only those of *types* when given), in order."""
        if isinstance(types, str):
            types = (types,)
        wanted = None if types is None else tuple(sorted(set(types)))
        return self._records(None, _start(from_position, "from_position"), wanted, batch_size)

    def events(self, stream: str, from_version: int = 0) -> Iterator[Event]:
        """The decoded events of *stream*, in order."""
        return (record.event for record in self.read(stream, from_version))

    def verify(self) -> Verification:
        """Walk the whole chain; report the first position whose record does not match."""
        previous = GENESIS
        expected = 0
        for row in self._rows(None, 0, None, BATCH):
            try:
                good = row[0] == expected and record_hash(previous, row[:9]) == row[9]
            except (TypeError, ValueError, UnicodeError):  # a value no append could have written
                good = False
            if not good:
                return Verification(False, expected, expected)
            previous = row[9]
            expected += 1
        return Verification(True, None, expected)

    def __enter__(self) -> EventStore:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _rows(self, stream, start, types, batch_size) -> Iterator[tuple]:
        # Keyset pagination: memory stays flat however long the log is.
        if type(batch_size) is not int or batch_size < 1:
            raise StoreError(f"batch_size must be a whole number >= 1 (got {batch_size!r})")
        key = 2 if stream is not None else 0
        while True:
            rows = self._page(stream, start, types, batch_size)
            yield from rows
            if len(rows) < batch_size:
                return
            start = rows[-1][key] + 1

    def _records(self, stream, start, types, batch_size) -> Iterator[Record]:
        make = _new_record  # a tuple subclass built straight from the row, no __init__
        for row in self._rows(stream, start, types, batch_size):
            yield make(Record, row)


_new_record = tuple.__new__


def _start(value: object, name: str) -> int:
    if type(value) is not int or value < 0:
        raise StoreError(f"{name} must be a whole number >= 0 (got {value!r})")
    return value


def prepare(
    events: Iterable[Event], causation: Sequence[str | None] | None, start: int = 0
) -> list[tuple]:
    """Encode *events* (outside any lock): `(type, schema, occurred_at, causation, payload)`.
    Messages number the events from *start* (the index of the first in its batch)."""
    events = list(events)
    if causation is None:
        causation = (None,) * len(events)
    elif len(causation) != len(events):
        raise StoreError(f"{len(causation)} causations for {len(events)} events")
    encode = codec.encode
    prepared = []
    for index, (event, cause) in enumerate(zip(events, causation, strict=True), start=start):
        if not isinstance(event, Event):
            raise StoreError(f"event {index}: not a catalogue event ({type(event).__name__})")
        if cause is not None and not isinstance(cause, str):
            raise StoreError(f"event {index}: causation must be text or None (got {cause!r})")
        type_name, schema, payload = encode(event)
        prepared.append((type_name, schema, event.occurred_at.isoformat(), cause, payload))
    return prepared


def prepared_slices(
    events: Iterable[Event], causation: Sequence[str | None] | None, size: int = SLICE
) -> Iterator[list[tuple]]:
    """*events* prepared *size* at a time, read lazily: a batch of a million events from a
    generator is held one slice at a time, however long it is (causations come with the
    events of a run, which are held anyway)."""
    if causation is not None:
        events = list(events)
        if len(causation) != len(events):
            raise StoreError(f"{len(causation)} causations for {len(events)} events")
    iterator = iter(events)
    start = 0
    while batch := list(itertools.islice(iterator, size)):
        causes = None if causation is None else causation[start : start + len(batch)]
        yield prepare(batch, causes, start)
        start += len(batch)


def chain(
    stream: str,
    version: int,
    position: int,
    previous: str,
    prepared: list[tuple],
    recorded_at: str,
    start: int = 0,
) -> list[tuple]:
    """Full rows (the Record columns) for *prepared*, numbered and hash-chained after *previous*;
    messages number the events from *start* (the slice's place in its batch)."""
    # For speed, each row's JSON is written here as text rather than by `record_hash`'s `dumps`
    # of a list (a quarter less time per row). The text is the same: whole numbers by `repr`,
    # strings by `codec.quote`; a row with a value of any other kind (and a chain resumed after
    # a hash that is not ASCII) is hashed by `record_hash` itself.
    usual = (
        type(position) is int
        and type(version) is int
        and type(stream) is str
        and type(recorded_at) is str
        and type(previous) is str
        and previous.isascii()
    )
    if usual:
        stream_text, stamp_text = quote(stream), quote(recorded_at)
    sha256 = hashlib.sha256
    rows = []
    for offset, (type_name, schema, occurred_at, cause, payload) in enumerate(prepared):
        if usual and type(schema) is int:
            try:
                text = (
                    f"{previous}[{position + offset},{stream_text},{version + offset},"
                    f"{quote(type_name)},{schema},{quote(occurred_at)},{stamp_text},"
                    f"{'null' if cause is None else quote(cause)},{quote(payload)}]"
                )
            except TypeError:  # a value that is no str: record_hash writes it as JSON does
                text = None
        else:
            text = None
        row = (
            position + offset,
            stream,
            version + offset,
            type_name,
            schema,
            occurred_at,
            recorded_at,
            cause,
            payload,
        )
        try:
            if text is None:
                previous = record_hash(previous, row)
            else:
                previous = sha256(text.encode("utf-8")).hexdigest()
        except UnicodeEncodeError:
            raise StoreError(f"event {start + offset}: text is not valid Unicode") from None
        rows.append((*row, previous))
    return rows
