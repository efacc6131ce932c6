"""The event store contract: records, the hash chain, and what every backend must do.

A store is an append-only sequence of records. Each record has a global `position` (0, 1, 2,
... across all streams), a `stream` and a `version` within it (0, 1, 2, ...), the event's
`type`, `schema` and canonical JSON `payload`, the day it `occurred_at` in the world, when it
was `recorded_at` (UTC), its `causation` (what led to it, for simulated events), a `hash`
that chains it to the record before it, and its `metadata` (canonical JSON of a small flat
object given with the append, or None):

    hash = sha256(previous hash + canonical JSON of the list of the columns before `hash`,
                  with `metadata` as one more item when the record has any)

so a record without metadata hashes as it did before metadata existed, and `verify()` finds any
change to the past, metadata included, and names the first position that does not match.
Backends subclass `EventStore` and implement `_append_batches`, `_page`, `version` and
`streams`; the rest is shared.
"""

from __future__ import annotations

import abc
import hashlib
import itertools
import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
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
MAX_METADATA_KEYS = 32
MAX_METADATA_KEY_LENGTH = 64
MAX_METADATA_BYTES = 4096  # of its canonical JSON, in UTF-8

Scalar = str | int | float | bool | None


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
    metadata: str | None

    @property
    def event(self) -> Event:
        """The catalogue event (decoded on each access; iterate once and keep it if needed)."""
        return codec.decode_trusted(self.type, self.schema, self.payload)

    @property
    def meta(self) -> dict[str, Scalar]:
        """The metadata as a dict (empty when the record has none; parsed on each access)."""
        return {} if self.metadata is None else json.loads(self.metadata)


@attrs.frozen
class StreamWrite:
    """One stream's part of an `append_many`: the arguments `append` takes, as one object."""

    stream: str
    events: Iterable[Event]
    expected_version: int | None = None
    causation: Sequence[str | None] | None = None
    metadata: Mapping[str, Scalar] | None = None


Writes = Mapping[str, tuple[Iterable[Event], int | None]] | Iterable[StreamWrite]


class Batch(NamedTuple):
    """A checked write as a backend receives it: *slices* are its events prepared a slice at a
    time (see `prepare`), read lazily; *metadata* is canonical JSON or None."""

    stream: str
    expected_version: int | None
    metadata: str | None
    slices: Iterator[list[tuple]]


@attrs.frozen
class Verification:
    """Outcome of `verify()`: `ok`, the first position that fails (None if ok), how many read."""

    ok: bool
    first_bad_position: int | None
    checked: int


def record_hash(previous: str, row: Sequence) -> str:
    """The chain hash of *row* after *previous*: the record's columns before `hash`, then its
    `metadata` when it has any (see `hashed`)."""
    body = codec.dumps(list(row)).encode("utf-8")
    return hashlib.sha256(previous.encode("ascii") + body).hexdigest()


def hashed(row: Sequence) -> Sequence:
    """What the hash of the stored *row* (all the Record columns) covers."""
    return row[:9] if row[10] is None else (*row[:9], row[10])


def metadata_text(metadata: object) -> str | None:
    """*metadata* as canonical JSON, None for none (or an empty mapping); refused unless it is
    a small flat mapping of names to JSON scalars, so every record can carry it cheaply."""
    if metadata is None:
        return None
    if not isinstance(metadata, Mapping):
        kind = type(metadata).__name__
        raise StoreError(f"metadata must be a mapping of names to values (got {kind})")
    if len(metadata) > MAX_METADATA_KEYS:
        raise StoreError(f"metadata has {len(metadata)} keys, more than {MAX_METADATA_KEYS}")
    for key, value in metadata.items():
        if not isinstance(key, str) or not 1 <= len(key) <= MAX_METADATA_KEY_LENGTH:
            raise StoreError(
                f"metadata keys must be text of 1..{MAX_METADATA_KEY_LENGTH} characters "
                f"(got {key!r:.80})"
            )
        if value is not None and not isinstance(value, str | int | float):
            raise StoreError(
                f"metadata {key!r} must be text, a number, true, false or null "
                f"(got {type(value).__name__})"
            )
    if not metadata:
        return None
    try:
        text = codec.dumps(dict(metadata))
        size = len(text.encode("utf-8"))
    except UnicodeEncodeError:
        raise StoreError("metadata is not valid Unicode") from None
    except ValueError as exc:  # NaN, infinity, an integer too long to write
        raise StoreError(f"metadata cannot be written as JSON: {exc}") from None
    if size > MAX_METADATA_BYTES:
        raise StoreError(f"metadata is {size} bytes as JSON, more than {MAX_METADATA_BYTES}")
    return text


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

    @abc.abstractmethod
    def _append_batches(self, batches: Iterator[Batch], recorded_at: str) -> dict[str, list[int]]:
        """Atomically, in one transaction under the store's append lock: read the log's head,
        then `write_batches` every batch, then commit. Anything raised on the way (a version
        that does not match, an event that cannot be encoded) leaves nothing written."""

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
        metadata: Mapping[str, Scalar] | None = None,
    ) -> list[int]:
        """Append *events* to *stream* as one atomic batch and return their positions.

        *expected_version* is the stream's current length (0 for a new stream), or None for no
        check; on a mismatch `ConcurrencyError` is raised and nothing is written. *causation*
        gives, per event, what led to it (e.g. "run/x/7:12" or "rule:attack"). *metadata* (a
        flat mapping of names to JSON scalars: at most 32 keys of up to 64 characters, 4 KiB
        as JSON) is stored with every record of the batch, under the hash chain.
        """
        write = StreamWrite(stream, events, expected_version, causation, metadata)
        return self.append_many((write,))[stream]

    def append_many(self, writes: Writes) -> dict[str, list[int]]:
        """Append to several streams in one atomic transaction: all of it or none of it.

        *writes* is a mapping `{stream: (events, expected_version)}` or an iterable of
        `StreamWrite`, read lazily (a generator of a thousand runs is held one run, and each
        run one slice, at a time). Returns each stream's positions, in the order written;
        positions run on from one stream to the next. A version that does not match
        (`ConcurrencyError`), a stream named twice or a bad event anywhere (`StoreError`)
        writes nothing.
        """
        batches = _batches(writes)
        first = next(batches, None)  # before any lock: a bad first write costs no wait
        if first is None:
            return {}
        recorded_at = datetime.now(UTC).isoformat(timespec="microseconds")
        return self._append_batches(itertools.chain([first], batches), recorded_at)

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
                good = row[0] == expected and record_hash(previous, hashed(row)) == row[9]
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


def _batches(writes: Writes) -> Iterator[Batch]:
    """Each write of *writes* checked, its events prepared lazily; each write's first slice is
    prepared when the write is reached, so the first write's is ready before any lock."""
    if isinstance(writes, Mapping):
        writes = (StreamWrite(stream, *_pair(stream, value)) for stream, value in writes.items())
    seen: set[str] = set()
    for write in writes:
        if not isinstance(write, StreamWrite):
            raise StoreError(f"append_many takes StreamWrite objects (got {type(write).__name__})")
        stream = check_stream(write.stream)
        if stream in seen:
            raise StoreError(f"stream {stream!r} is named twice in one append_many")
        seen.add(stream)
        expected = write.expected_version
        if expected is not None and type(expected) is not int:
            raise StoreError(
                f"stream {stream!r}: expected_version must be a whole number (got {expected!r})"
            )
        try:
            metadata = metadata_text(write.metadata)
        except StoreError as exc:
            raise StoreError(f"stream {stream!r}: {exc}") from None
        slices = _named(stream, prepared_slices(write.events, write.causation))
        first = next(slices, None)
        yield Batch(
            stream,
            expected,
            metadata,
            iter(()) if first is None else itertools.chain([first], slices),
        )


def _pair(stream: object, value: object) -> tuple:
    if not isinstance(value, tuple) or len(value) != 2:
        raise StoreError(
            f"append_many: stream {stream!r:.80} needs (events, expected_version), "
            f"not {type(value).__name__}"
        )
    return value


def _named(stream: str, slices: Iterator[list[tuple]]) -> Iterator[list[tuple]]:
    """*slices*, with the stream named in the message of an event that cannot be prepared."""
    try:
        yield from slices
    except StoreError as exc:
        raise StoreError(f"stream {stream!r}: {exc}") from None


def write_batches(
    batches: Iterable[Batch],
    position: int,
    previous: str,
    recorded_at: str,
    version: Callable[[str], int],
    insert: Callable[[Iterator[list[tuple]], str | None], None],
) -> dict[str, list[int]]:
    """The body of every backend's append transaction, after the log's head (the next
    *position* and the *previous* hash) is read: for each batch, check its stream's version
    (`version(stream)`, read inside the transaction), then hand `insert` its rows a slice at a
    time, numbered and chained on from the batch before, with the batch's metadata. The rows
    hold the Record columns up to `hash`; `insert` stores the metadata with each (a backend
    inserts rows without any as they are: a column less to bind is measurably faster)."""
    written: dict[str, list[int]] = {}
    for batch in batches:
        stream = batch.stream
        current = version(stream)
        if batch.expected_version is not None and batch.expected_version != current:
            raise ConcurrencyError(
                f"stream {stream!r} is at version {current}, not {batch.expected_version}"
            )
        head = [position, previous]
        insert(_rows(batch, current, head, recorded_at), batch.metadata)
        written[stream] = list(range(position, head[0]))
        position, previous = head
    return written


def _rows(batch: Batch, version: int, head: list, recorded_at: str) -> Iterator[list[tuple]]:
    # *head* ([next position, last hash]) moves on with each slice, for the next batch.
    count = 0
    for prepared in batch.slices:
        rows = chain(
            batch.stream, version + count, head[0], head[1], prepared, recorded_at, count,
            batch.metadata,
        )  # fmt: skip
        head[0] += len(rows)
        head[1] = rows[-1][9]
        count += len(rows)
        yield rows


def prepare(
    events: Iterable[Event], causation: Sequence[str | None] | None, start: int = 0
) -> list[tuple]:
    """Encode *events*: `(type, schema, occurred_at, causation, payload)` (an append's first
    slice before any lock, the rest as the transaction reads them). Messages number the events
    from *start* (the index of the first in its batch)."""
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
    metadata: str | None = None,
) -> list[tuple]:
    """Rows of the Record columns up to `hash` for *prepared*, numbered and hash-chained after
    *previous*, each hash covering *metadata* when given; messages number the events from
    *start* (the slice's place in its batch)."""
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
        and (metadata is None or type(metadata) is str)
    )
    if usual:
        stream_text, stamp_text = quote(stream), quote(recorded_at)
        end = "]" if metadata is None else f",{quote(metadata)}]"
    sha256 = hashlib.sha256
    rows = []
    for offset, (type_name, schema, occurred_at, cause, payload) in enumerate(prepared):
        if usual and type(schema) is int:
            try:
                text = (
                    f"{previous}[{position + offset},{stream_text},{version + offset},"
                    f"{quote(type_name)},{schema},{quote(occurred_at)},{stamp_text},"
                    f"{'null' if cause is None else quote(cause)},{quote(payload)}{end}"
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
                previous = record_hash(previous, row if metadata is None else (*row, metadata))
            else:
                previous = sha256(text.encode("utf-8")).hexdigest()
        except UnicodeEncodeError:
            raise StoreError(
                f"stream {stream!r}: event {start + offset}: text is not valid Unicode"
            ) from None
        rows.append((*row, previous))
    return rows
