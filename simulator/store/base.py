"""The event store contract: records, and what every backend must do.

A store is an append-only sequence of records. Each record has a global `position` (0, 1, 2,
... across all streams), a `stream` and a `version` within it (0, 1, 2, ...), the event's
`type`, `schema` and canonical JSON `payload`, the day it `occurred_at` in the world, when it
was `recorded_at` (UTC), its `causation` (what led to it, for simulated events), a `hash`
that chains it to the record before it (`simulator.store.chain`), its `metadata` (canonical
JSON of a small flat object given with the append, or None) and its `event_id` (given, or
derived from its content: `simulator.store.mapping`). An event whose id is already in its
stream is not written again: the append returns the position it has.

The store composes two parts: mapping (`mapping`: events to row columns and back, and the
chain) is shared; recording (rows in, rows out) is the backend's. Backends subclass
`EventStore` and implement `_append_batches`, `_page`, `version` and `streams`; the rest is
shared.
"""

from __future__ import annotations

import abc
import contextlib
import itertools
import json
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import NamedTuple

import attrs

from simulator import codec
from simulator.errors import ConcurrencyError, StoreError
from simulator.events import Event
from simulator.store.chain import GENESIS, chain, hashed, head_problem, record_hash
from simulator.store.mapping import (
    Scalar,
    check_stream,
    metadata_text,
    prepared_slices,
    row_problem,
)

BATCH = 1000


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
    event_id: str | None  # None only for records written before ids (schema version 3)

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
    ids: Sequence[str | None] | None = None


Writes = Mapping[str, tuple[Iterable[Event], int | None]] | Iterable[StreamWrite]


class Batch(NamedTuple):
    """A checked write as a backend receives it: *slices* are its events prepared a slice at a
    time (see `mapping.prepare`), read lazily; *metadata* is canonical JSON or None."""

    stream: str
    expected_version: int | None
    metadata: str | None
    slices: Iterator[list[tuple]]
    given_ids: bool = False  # derived ids never repeat within a batch; given ones may


@attrs.frozen
class Verification:
    """Outcome of `verify()`: `ok`, the first position that fails (None if ok, or if what fails
    is the table rather than a record), how many records were read, and why it failed.
    Verified against a checkpoint, `after_checkpoint` counts the records the checkpoint does
    not cover (written after it was signed, by diplosim or by anyone who can insert rows).
    `last_hash` is the hash of the last record read (GENESIS for an empty log) when ok: what a
    checkpoint signs. Two verifications are equal when their verdicts are (the explanation and
    the hash are left out)."""

    ok: bool
    first_bad_position: int | None
    checked: int
    reason: str | None = attrs.field(default=None, eq=False)
    after_checkpoint: int | None = None
    last_hash: str | None = attrs.field(default=None, eq=False)


class EventStore(abc.ABC):
    """Append-only, hash-chained event log. Use `open_store(url)` to get one."""

    url: str = ""
    shown: str = ""  # the URL as messages show it: without credentials (simulator.redaction)

    # --- the backend's part (recording: rows in, rows out) ------------------------------------

    @abc.abstractmethod
    def _append_batches(self, batches: Iterator[Batch], recorded_at: str) -> dict[str, list[int]]:
        """Atomically, in one transaction under the store's append lock: read the log's last
        two rows, then `write_batches` every batch, then commit. Anything raised on the way (a
        version that does not match, an event that cannot be encoded) leaves nothing written."""

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

    def _table_problem(self) -> str | None:
        """What is wrong with the table's definition (a column's type changed), or None."""
        return None

    @contextlib.contextmanager
    def _waiting(self) -> Iterator[Callable[[float], None]]:
        """What `subscribe` calls to wait up to a number of seconds for new records, held for
        the subscription: a sleep (polling) unless the backend can be told of appends."""
        yield time.sleep

    # --- shared ---------------------------------------------------------------------------------

    def append(
        self,
        stream: str,
        events: Iterable[Event],
        expected_version: int | None = None,
        causation: Sequence[str | None] | None = None,
        metadata: Mapping[str, Scalar] | None = None,
        ids: Sequence[str | None] | None = None,
    ) -> list[int]:
        """Append *events* to *stream* as one atomic batch and return their positions.

        *expected_version* is the stream's current length (0 for a new stream), or None for no
        check; on a mismatch `ConcurrencyError` is raised and nothing is written, unless every
        event is already in the stream (a retried append), which returns their positions.
        *causation* gives, per event, what led to it (e.g. "run/x/7:12" or "rule:attack").
        *metadata* (a flat mapping of names to JSON scalars: at most 32 keys of up to 64
        characters, 4 KiB as JSON) is stored with every record of the batch, under the hash
        chain. *ids* gives, per event, its id (None: derived from its content); an event whose
        id is already in the stream is not written again and its position is returned.
        """
        write = StreamWrite(stream, events, expected_version, causation, metadata, ids)
        return self.append_many((write,))[stream]

    def append_many(self, writes: Writes) -> dict[str, list[int]]:
        """Append to several streams in one atomic transaction: all of it or none of it.

        *writes* is a mapping `{stream: (events, expected_version)}` or an iterable of
        `StreamWrite`, read lazily (a generator of a thousand runs is held one run, and each
        run one slice, at a time). Returns each stream's positions, one per event in the
        order given (an event already in its stream by id gives the position it has); new
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
        return self._records(
            None, _start(from_position, "from_position"), _types(types), batch_size
        )

    def subscribe(
        self,
        from_position: int = 0,
        types: Iterable[str] | None = None,
        *,
        poll_interval: float = 0.5,
        idle_timeout: float | None = None,
        batch_size: int = BATCH,
    ) -> Iterator[Record]:
        """Every record from *from_position* on (of *types* when given), then each new one as
        it is committed, in position order, for as long as the iterator is read: a catch-up
        read followed by a wait for appends (PostgreSQL is told of them by LISTEN/NOTIFY; the
        others are polled every *poll_interval* seconds). With *idle_timeout* the iterator
        ends after that many seconds without a new record. Closing it releases its waiter."""
        batches = self.subscribe_batches(
            from_position,
            types,
            poll_interval=poll_interval,
            idle_timeout=idle_timeout,
            batch_size=batch_size,
        )
        return _flattened(batches)

    def subscribe_batches(
        self,
        from_position: int = 0,
        types: Iterable[str] | None = None,
        *,
        poll_interval: float = 0.5,
        idle_timeout: float | None = None,
        batch_size: int = BATCH,
    ) -> Iterator[list[Record]]:
        """`subscribe`, a batch at a time: each list holds what was new when it was read, up
        to *batch_size* records (the catch-up first, which may be empty), so a follower can act
        once per burst of appends rather than once per record."""
        position = _start(from_position, "from_position")
        wanted = _types(types)
        _batch_size(batch_size)
        if not poll_interval > 0:
            raise StoreError(f"poll_interval must be > 0 seconds (got {poll_interval!r})")
        if idle_timeout is not None and not idle_timeout >= 0:
            raise StoreError(f"idle_timeout must be >= 0 seconds (got {idle_timeout!r})")
        return self._follow(position, wanted, poll_interval, idle_timeout, batch_size)

    def _follow(self, position, wanted, poll_interval, idle_timeout, batch_size):
        with self._waiting() as wait:
            first = True
            quiet_since = time.monotonic()
            while True:
                rows = self._page(None, position, wanted, batch_size)  # one page: memory flat
                batch = [_new_record(Record, row) for row in rows]
                if batch or first:
                    yield batch
                first = False
                if batch:
                    position = batch[-1].position + 1
                    quiet_since = time.monotonic()
                    continue
                quiet = time.monotonic() - quiet_since
                if idle_timeout is not None and quiet >= idle_timeout:
                    return
                left = poll_interval if idle_timeout is None else idle_timeout - quiet
                wait(min(poll_interval, left))

    def events(self, stream: str, from_version: int = 0) -> Iterator[Event]:
        """The decoded events of *stream*, in order."""
        return (record.event for record in self.read(stream, from_version))

    def verify(self, extends: tuple[int, str] | None = None) -> Verification:
        """Walk the whole log: the table's definition, each record's place and hash, and that
        each decodes to a valid event written as an append writes it; report the first
        position that fails and why. With *extends* (the record count and last hash a
        checkpoint signed) also check the log still holds that record: truncation and
        rewrites are found, and the records after it are counted as not covered."""
        problem = self._table_problem()
        if problem is not None:
            return Verification(False, None, 0, problem)
        count, signed_hash = extends if extends is not None else (None, None)
        previous = GENESIS
        expected = 0
        for row in self._rows(None, 0, None, BATCH):
            reason = _record_problem(row, expected, previous)
            if reason is None and expected + 1 == count and row[9] != signed_hash:
                reason = (
                    "this is not the record the checkpoint signed: the log was rewritten at "
                    "or before this position"
                )
            if reason is not None:
                return Verification(False, expected, expected, reason)
            previous = row[9]
            expected += 1
        if count is not None and expected < count:
            return Verification(
                False,
                expected,
                expected,
                f"the log ends after {expected} records; the checkpoint signed {count}: "
                "records were removed from its end",
            )
        after = None if count is None else expected - count
        return Verification(True, None, expected, None, after, previous)

    def __enter__(self) -> EventStore:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _rows(self, stream, start, types, batch_size) -> Iterator[tuple]:
        # Keyset pagination: memory stays flat however long the log is.
        _batch_size(batch_size)
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


def _record_problem(row: tuple, expected: int, previous: str) -> str | None:
    if row[0] != expected:
        return f"position {row[0]!r} where {expected} was due: records were removed or inserted"
    try:
        if record_hash(previous, hashed(row)) != row[9]:
            return "its hash does not match it and the record before it"
    except (TypeError, ValueError, UnicodeError):  # a value no append could have written
        return "it holds a value no append writes"
    return row_problem(row)


def _flattened(batches: Iterator[list[Record]]) -> Iterator[Record]:
    """The records of *batches*, closing them (and their waiter) when closed itself."""
    try:
        for batch in batches:
            yield from batch
    finally:
        batches.close()


def _batch_size(value: object) -> None:
    if type(value) is not int or value < 1:
        raise StoreError(f"batch_size must be a whole number >= 1 (got {value!r})")


def _start(value: object, name: str) -> int:
    if type(value) is not int or value < 0:
        raise StoreError(f"{name} must be a whole number >= 0 (got {value!r})")
    return value


def _types(types: Iterable[str] | None) -> tuple[str, ...] | None:
    if isinstance(types, str):
        types = (types,)
    return None if types is None else tuple(sorted(set(types)))


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
        slices = _named(
            stream, prepared_slices(write.events, write.causation, stream=stream, ids=write.ids)
        )
        first = next(slices, None)
        yield Batch(
            stream,
            expected,
            metadata,
            iter(()) if first is None else itertools.chain([first], slices),
            write.ids is not None,
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


Lookup = Callable[[str, list[str]], Mapping[str, int]]
Insert = Callable[[Iterator[list[tuple]], str | None], None]


def write_batches(
    batches: Iterable[Batch],
    head: Sequence[Sequence],
    recorded_at: str,
    version: Callable[[str], int],
    existing: Lookup,
    insert: Insert,
) -> dict[str, list[int]]:
    """The body of every backend's append transaction, after the log's last two rows
    (*head*, last first) are read: check that the last follows the one before it (a row forged
    out of place stops appends here), then for each batch, check its stream's version
    (`version(stream)`, read inside the transaction), drop the events whose ids the stream
    already holds (`existing(stream, ids)` gives their positions) and hand `insert` the rest
    a slice at a time, numbered and chained on from the batch before, with the batch's
    metadata. The rows hold the Record columns up to `hash`, then `event_id`; `insert`
    stores the metadata with each (a backend inserts rows without any as they are: a column
    less to bind is measurably faster)."""
    last = head[0] if head else None
    problem = head_problem(last, head[1] if len(head) > 1 else None)
    if problem is not None:
        raise StoreError(problem)
    position, previous = (0, GENESIS) if last is None else (last[0] + 1, last[9])
    written: dict[str, list[int]] = {}
    for batch in batches:
        stream = batch.stream
        current = version(stream)
        if batch.expected_version is not None and batch.expected_version != current:
            retried = _all_present(batch, current, existing)
            if retried is None:
                raise ConcurrencyError(
                    f"stream {stream!r} is at version {current}, not {batch.expected_version}"
                )
            written[stream] = retried
            continue
        state = [position, previous]
        positions: list[int] = []
        lookup = existing if current else None
        fresh = _fresh(batch, lookup, position, positions)
        rows = _chainer(batch, current, state, recorded_at)
        if current:  # each slice's ids are looked up before the slice is inserted
            for slice_ in fresh:
                if slice_:
                    insert(rows(slice_), batch.metadata)
        else:  # a new stream holds no ids yet: one insert draws every slice
            insert((chained for slice_ in fresh for chained in rows(slice_)), batch.metadata)
        written[stream] = positions
        position, previous = state
    return written


def _all_present(batch: Batch, current: int, existing: Lookup) -> list[int] | None:
    """The positions of *batch*'s events if its stream holds every one of them, else None."""
    if not current:
        return None
    positions: list[int] = []
    for prepared in batch.slices:
        ids = [entry[5] for entry in prepared]
        found = existing(batch.stream, ids)
        if len(found) < len(set(ids)):
            return None
        positions += [found[event_id] for event_id in ids]
    return positions or None


def _fresh(
    batch: Batch, existing: Lookup | None, start: int, positions: list[int]
) -> Iterator[list[tuple]]:
    """Each slice of *batch* without the events whose ids its stream already holds (looked up
    by *existing*, if given) or that came earlier in the batch; the new ones are written from
    position *start* on, and *positions* gets each event's position, new or found."""
    taken: dict[str, int] = {}  # position by id, of this batch's new events (given ids only)
    following = start
    for prepared in batch.slices:
        ids = [entry[5] for entry in prepared]
        found = {} if existing is None else existing(batch.stream, ids)
        if not found and not batch.given_ids:  # the usual case: every event is new
            positions += range(following, following + len(prepared))
            following += len(prepared)
            yield prepared
            continue
        fresh = []
        for entry, event_id in zip(prepared, ids, strict=True):
            known = found.get(event_id)
            if known is None and batch.given_ids:
                known = taken.get(event_id)
            if known is None:
                known = following
                following += 1
                if batch.given_ids:
                    taken[event_id] = known
                fresh.append(entry)
            positions.append(known)
        yield fresh


def _chainer(batch: Batch, version: int, state: list, recorded_at: str):
    """What chains a slice of new events on from *state* ([next position, last hash], moved
    on with each slice, for the next batch)."""
    start = state[0]

    def rows(fresh: list[tuple]) -> Iterator[list[tuple]]:
        if not fresh:
            return
        count = state[0] - start
        chained = chain(
            batch.stream, version + count, state[0], state[1], fresh, recorded_at, count,
            batch.metadata,
        )  # fmt: skip
        state[0] += len(chained)
        state[1] = chained[-1][9]
        yield chained

    return rows
