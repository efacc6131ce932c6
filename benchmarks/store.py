"""Event store throughput: against plain sqlite3 + json, against the `eventsourcing` library,
and what event ids, metadata and checkpoints cost on append.

    python benchmarks/store.py [--events N] [--store URL] [--save N] [--rounds N]

1. Appends N events (batches of 1,000) through `EventStore.append` into a fresh store and
   reads them all back through `read_all`, decoding each event; then the same with plain
   sqlite3 `executemany` + `json` on a table of the same columns, indexes and payload JSON.
   Targets: append and read + decode >= 50% of the plain rates.
2. The same N events in saves of `--save` (100), a new stream a save, through our SQLite store
   and through eventsourcing's SQLite persistence (`pip install 'diplosim[bench]'`): its
   `Mapper` and two recorders, the application recorder (a global order, as `read_all`) and
   the aggregate recorder (its fastest: no global order); and as its users use it, an
   `Application` saving an `Aggregate` a save, read back by `repository.get` and through its
   notification log. Target: ours >= 2x eventsourcing's append and read + decode rates.
3. Our append rate in saves of `--save` to new streams with derived ids (2's), to existing
   streams (ids looked up), with metadata, with given ids; then one `checkpoint.sign` (which
   verifies the whole log) and one `verify()` of 2's store. No targets: each is shown as a
   share of 2's rate.

The events repeat a pool of 10,000; in one stream a repeat would be found by its id and not
written, so each repeat goes to a stream of its own. Each figure is the best of `--rounds`
rounds, each in fresh SQLite files. With `--store URL` every append writes new streams into
that store and verify reads all of it; the plain and eventsourcing halves run for SQLite only.
"""

from __future__ import annotations

import argparse
import functools
import importlib.metadata
import json
import random
import shutil
import sqlite3
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from simulator import codec, events  # noqa: E402
from simulator.store import EventStore, checkpoint, open_store, schema  # noqa: E402

if TYPE_CHECKING:
    from collections.abc import Sequence

    from eventsourcing.application import Application
    from eventsourcing.domain import Aggregate
    from eventsourcing.persistence import InfrastructureFactory, Mapper, Transcoding

BATCH = 1000
SAVE = 100  # events a save, as the eventsourcing comparison's issue sets it
TARGET = 0.5  # of the plain sqlite3 rates
ES_TARGET = 2.0  # times eventsourcing's rates
ES_RECORDERS = ("application", "aggregate")
COSTS = {  # part 3's ways of appending, beside (a): new streams, derived ids
    "existing": "(b) to existing streams (ids looked up)",
    "metadata": "(c) new streams, metadata on every save",
    "ids": "(d) new streams, ids given",
}
STREAM = "bench"  # the plain table's stream
METADATA = {"ensemble": "abc", "seed": 7}
ACTORS = ("ARM", "AZE", "RUS", "TUR", "UN", "EU", "ICRC", "USA")
REGIONS = ("NK", "Lachin", "Syunik")


def sample_events(count: int, seed: int = 7) -> list[events.Event]:
    """*count* varied events of the catalogue's common types, in date order."""
    rng = random.Random(seed)
    start = date(2020, 9, 27)
    made: list[events.Event] = []
    for i in range(count):
        day = start + timedelta(days=i // 20)
        a, b = rng.sample(ACTORS, 2)
        region = rng.choice(REGIONS)
        kind = i % 6
        if kind == 0:
            made.append(
                events.Offensive(
                    occurred_at=day,
                    attacker=a,
                    defender=b,
                    region=region,
                    troops=rng.randrange(100, 20_000),
                    casualties=rng.randrange(0, 500),
                )
            )
        elif kind == 1:
            made.append(events.Ceasefire(occurred_at=day, parties=(a, b), mediator="RUS"))
        elif kind == 2:
            made.append(
                events.AidDelivery(
                    occurred_at=day,
                    donor=a,
                    recipient=b,
                    region=region,
                    kind="food",
                    tonnes=round(rng.uniform(1, 500), 1),
                    source="https://example.org/sitrep",
                )
            )
        elif kind == 3:
            made.append(
                events.Statement(
                    occurred_at=day, speaker=a, kind="condemnation", target=b, text="We condemn."
                )
            )
        elif kind == 4:
            made.append(
                events.Displacement(
                    occurred_at=day, region=region, people=rng.randrange(10, 10_000), destination=b
                )
            )
        else:
            made.append(
                events.ControlChange(
                    occurred_at=day, region=region, gainer=a, loser=b, share=rng.uniform(0.01, 1)
                )
            )
    return made


def batches(pool: list, total: int, size: int = BATCH) -> Iterator[list]:
    """Slices of *pool* (repeated as needed) adding up to *total* items, *size* at a time (a
    slice ends at the pool's end: each repeat of the pool can go to a stream of its own)."""
    done = 0
    while done < total:
        start = done % len(pool)
        chunk = pool[start : start + min(size, total - done)]
        yield chunk
        done += len(chunk)


def stream_of(run: str, done: int, pool: list) -> tuple[str, int]:
    """The stream and version of the event *done* when the repeats of *pool* are appended each
    to a stream of its own: in one stream a repeat would be found by its ids and not written."""
    return f"bench/{run}/{done // len(pool)}", done % len(pool)


def all_new(first: int, last: int, total: int) -> None:
    """Stop unless the appends of *total* events wrote them all (one writer: *first* to *last*)."""
    if last - first + 1 != total:
        raise SystemExit(f"{last - first + 1:,} of {total:,} events written: ids found repeats")


# --- 1. ours against plain sqlite3 ---------------------------------------------------------


def ours_append(store: EventStore, pool: list[events.Event], total: int) -> tuple[float, int]:
    """Rate of `append` and the position of the first event appended."""
    run = uuid.uuid4().hex  # new streams: the store need not be empty
    done = 0
    first = None
    started = time.perf_counter()
    for chunk in batches(pool, total):
        stream, version = stream_of(run, done, pool)
        positions = store.append(stream, chunk, expected_version=version)
        done += len(chunk)
        first = positions[0] if first is None else first
    rate = total / (time.perf_counter() - started)
    all_new(first, positions[-1], total)
    return rate, first


def ours_read(store: EventStore, first: int, total: int) -> float:
    """Rate of `read_all` from *first*, decoding each event."""
    started = time.perf_counter()
    read = 0
    for record in store.read_all(from_position=first):
        record.event  # noqa: B018 - decoding is what is measured
        read += 1
    rate = read / (time.perf_counter() - started)
    if read < total:
        raise SystemExit(f"read {read} events back, appended {total}")
    return rate


def plain_append(db: sqlite3.Connection, pool: list[events.Event], total: int) -> float:
    """Rate of json.dumps + executemany into the events table as a store makes it."""
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.executescript(schema.tables("INTEGER"))
    for sql in schema.steps(1):  # the current columns and the (stream, event_id) index
        db.execute(sql)
    # The payloads start as plain dicts (built before the clock starts): the baseline is
    # json.dumps + executemany and nothing else (no hashing; the id is the position in hex).
    fields = [
        (type(e).__name__, e.SCHEMA, e.occurred_at.isoformat(), codec.to_fields(e)) for e in pool
    ]
    insert = f"INSERT INTO events ({schema.INSERTED}) VALUES ({','.join('?' * 11)})"
    dumps = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode
    hash_placeholder = "0" * 64
    position = 0
    started = time.perf_counter()
    for chunk in batches(fields, total):
        recorded_at = datetime.now(UTC).isoformat(timespec="microseconds")
        rows = []
        for type_name, schema_version, occurred_at, data in chunk:
            rows.append(
                (
                    position,
                    STREAM,
                    position,
                    type_name,
                    schema_version,
                    occurred_at,
                    recorded_at,
                    None,
                    dumps(data),
                    hash_placeholder,
                    f"{position:032x}",
                )
            )
            position += 1
        db.execute("BEGIN IMMEDIATE")
        db.executemany(insert, rows)
        db.execute("COMMIT")
    return total / (time.perf_counter() - started)


def plain_read(db: sqlite3.Connection) -> float:
    """Rate of reading every row back and parsing its payload."""
    loads = json.loads
    started = time.perf_counter()
    read = 0
    for row in db.execute("SELECT * FROM events ORDER BY position"):
        loads(row[8])
        read += 1
    return read / (time.perf_counter() - started)


# --- 2 and 3. ours in saves, and what ids, metadata and checkpoints cost -------------------


def ours_saves(
    store: EventStore,
    pool: list[events.Event],
    total: int,
    save: int,
    how: str = "new",
) -> tuple[float, int]:
    """Rate of `append` in saves of *save*, and the position of the first event appended:
    *how* is `new` (a new stream each, derived ids), `existing` (to a stream per repeat of the
    pool, so each save but a stream's first looks its ids up), `metadata` (new streams,
    METADATA on each) or `ids` (new streams, ids given)."""
    run = uuid.uuid4().hex  # new stream names: the store need not be empty
    given = [uuid.uuid4().hex for _ in range(total)] if how == "ids" else None
    done = 0
    first = None
    started = time.perf_counter()
    for number, chunk in enumerate(batches(pool, total, save)):
        if how == "existing":
            stream, version = stream_of(run, done, pool)
            positions = store.append(stream, chunk, expected_version=version)
        else:
            positions = store.append(
                f"bench/{run}/{number}",
                chunk,
                expected_version=0,
                metadata=METADATA if how == "metadata" else None,
                ids=None if given is None else given[done : done + len(chunk)],
            )
        done += len(chunk)
        first = positions[0] if first is None else first
    rate = total / (time.perf_counter() - started)
    all_new(first, positions[-1], total)
    return rate, first


# --- 2. eventsourcing ------------------------------------------------------------------------


def es_env(path: str) -> dict[str, str]:
    """eventsourcing's SQLite persistence in *path*, configured as its documentation says
    (environment variables)."""
    return {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": path}


def es_match_durability(factory: InfrastructureFactory) -> None:
    """Set *factory*'s connection to our durability. Its connections set journal_mode=WAL and
    leave synchronous at SQLite's default, FULL: the WAL is fsynced at every commit, so an
    operating-system crash loses nothing committed. Ours runs WAL with synchronous=NORMAL: no
    fsync at commit, so a killed process loses nothing committed but an operating-system crash
    may lose the last commits. (`es_one_connection` checks no other connection was opened.)"""
    pool = factory.datastore.pool
    connection = pool.get_connection()  # the one connection a single thread is ever given
    connection.cursor().execute("PRAGMA synchronous=NORMAL")
    pool.put_connection(connection)


def es_one_connection(name: str, factory: InfrastructureFactory) -> None:
    """Stop unless *factory* still has the one connection `es_match_durability` set."""
    if factory.datastore.pool.num_in_pool != 1:
        raise SystemExit(f"eventsourcing's {name} store opened another connection")


def es_factory(path: str, matched: bool = True) -> InfrastructureFactory:
    """eventsourcing's SQLite persistence in *path*, with our durability when *matched* (else
    as a user of eventsourcing gets it)."""
    from eventsourcing.persistence import InfrastructureFactory

    factory = InfrastructureFactory.construct(es_env(path))
    if matched:
        es_match_durability(factory)
    return factory


@functools.cache
def es_date_transcoding() -> Transcoding:
    """A JSON transcoding for the dates our events hold (eventsourcing has none for `date`)."""
    from eventsourcing.persistence import Transcoding

    class DateAsISO(Transcoding):
        type = date
        name = "date_iso"

        def encode(self, obj: date) -> str:
            return obj.isoformat()

        def decode(self, data: str) -> date:
            return date.fromisoformat(data)

    return DateAsISO()


def es_mapper(factory: InfrastructureFactory) -> Mapper:
    """The factory's mapper, its JSON transcoder registered for what our events hold: dates
    (ours), and the datetimes (event timestamps) and UUIDs an `Application` registers."""
    from eventsourcing.persistence import DatetimeAsISO, UUIDAsHex

    transcoder = factory.transcoder()
    for transcoding in (UUIDAsHex(), DatetimeAsISO(), es_date_transcoding()):
        transcoder.register(transcoding)
    return factory.mapper(transcoder=transcoder)


@functools.cache
def es_application_class() -> type[Application]:
    """An `Application` that transcodes our dates, its notification log read in pages of
    BATCH (as `read_all`) rather than its default sections of 10."""
    from eventsourcing.application import Application
    from eventsourcing.persistence import JSONTranscoder

    class BenchApplication(Application):
        log_section_size = BATCH

        def register_transcodings(self, transcoder: JSONTranscoder) -> None:
            super().register_transcodings(transcoder)
            transcoder.register(es_date_transcoding())

    return BenchApplication


def es_application(path: str) -> Application:
    """An `Application` on eventsourcing's SQLite persistence in *path*, configured as its
    documentation says (`env`), with our durability."""
    app = es_application_class()(env=es_env(path))
    es_match_durability(app.factory)
    return app


def es_fields(cls: type[events.Event]) -> dict[str, Any]:
    """The annotations of an eventsourcing event class with the fields of the catalogue's
    *cls* (eventsourcing makes every event class a frozen dataclass)."""
    return {f.name: f.type for f in attrs.fields(cls)}


@functools.cache
def es_event_class(cls: type[events.Event]) -> type:
    """An eventsourcing `DomainEvent` class with the same fields as the catalogue's *cls*.
    Made once a process: eventsourcing refuses a second class under the same topic."""
    from eventsourcing.domain import DomainEvent

    namespace = {
        "__annotations__": es_fields(cls),
        "__module__": __name__,
        "__qualname__": f"ES{cls.__name__}",
    }
    return type(f"ES{cls.__name__}", (DomainEvent,), namespace)


@functools.cache
def es_aggregate_class(kinds: tuple[type[events.Event], ...]) -> type[Aggregate]:
    """An `Aggregate` with an event class of the same name and fields for each catalogue class
    in *kinds*, in eventsourcing's explicit style: nested `Aggregate.Event` subclasses, raised
    with `trigger_event` (the `@event` style would need a command method written out for each,
    its fields its parameters). Their `apply` does nothing: the least work for a replay. Made
    once a process (one pool), as `es_event_class`."""
    from eventsourcing.domain import Aggregate

    namespace: dict[str, Any] = {"__module__": __name__, "__qualname__": "ESBench"}
    for cls in kinds:
        event_namespace = {"__annotations__": es_fields(cls), "__module__": __name__}
        namespace[cls.__name__] = type(cls.__name__, (Aggregate.Event,), event_namespace)
    return type("ESBench", (Aggregate,), namespace)


def es_saves(pool: list[events.Event], count: int, save: int) -> list[list[Any]]:
    """The first *count* events of *pool* as eventsourcing domain events in saves of *save*
    (as ours are cut), a new aggregate (originator) a save."""
    from eventsourcing.domain import DomainEvent

    saves = []
    for chunk in batches(pool[:count], count, save):
        originator = uuid.uuid4()
        saves.append(
            [
                es_event_class(type(e))(
                    originator_id=originator,
                    originator_version=version,
                    timestamp=DomainEvent.create_timestamp(),
                    **attrs.asdict(e, recurse=False),
                )
                for version, e in enumerate(chunk, start=1)
            ]
        )
    return saves


def es_append(
    recorder: Any, mapper: Mapper, pool: list[events.Event], total: int, save: int
) -> tuple[float, list[uuid.UUID]]:
    """Rate of eventsourcing's fast path, `Mapper.to_stored_event` then one `insert_events`
    (one transaction) a save, and the aggregates written. Its events carry their aggregate's
    id, so they are made a pool's worth at a time off the clock, as ours are made before it."""
    encode = mapper.to_stored_event
    elapsed = 0.0
    originators = []
    for done in range(0, total, len(pool)):
        saves = es_saves(pool, min(len(pool), total - done), save)
        started = time.perf_counter()
        for domain_events in saves:
            recorder.insert_events([encode(e) for e in domain_events])
        elapsed += time.perf_counter() - started
        originators += [domain_events[0].originator_id for domain_events in saves]
    return total / elapsed, originators


def es_app_append(
    app: Application, pool: list[events.Event], total: int, save: int
) -> tuple[float, list[uuid.UUID]]:
    """Rate of eventsourcing as its users use it: a save a new aggregate, on which an event is
    triggered for each of ours, then one `Application.save` (one transaction), and the
    aggregates saved. Each event's class and fields are looked up off the clock, as ours are
    made before it. Counted in our events: each aggregate also records its `Created`."""
    kinds = sorted({type(e) for e in pool}, key=lambda cls: cls.__name__)
    aggregate_class = es_aggregate_class(tuple(kinds))
    triggers = [
        (getattr(aggregate_class, type(e).__name__), attrs.asdict(e, recurse=False)) for e in pool
    ]
    ids = []
    started = time.perf_counter()
    for chunk in batches(triggers, total, save):
        aggregate = aggregate_class()
        for event_class, fields in chunk:
            aggregate.trigger_event(event_class, **fields)
        app.save(aggregate)
        ids.append(aggregate.id)
    return total / (time.perf_counter() - started), ids


def es_app_get(app: Application, ids: list[uuid.UUID], total: int) -> float:
    """Rate of `repository.get` of every aggregate (no cache, as configured by default): its
    events read, decoded and replayed. Counted in our events, as `es_app_append`."""
    replayed = 0
    started = time.perf_counter()
    for aggregate_id in ids:
        replayed += app.repository.get(aggregate_id).version - 1  # less its Created
    rate = total / (time.perf_counter() - started)
    if replayed != total:
        raise SystemExit(f"eventsourcing: replayed {replayed} events, saved {total}")
    return rate


def es_read_all(select: Callable[[int, int], Sequence[Any]], mapper: Mapper, total: int) -> float:
    """Rate of reading notifications in order with *select* (an application recorder's
    `select_notifications` or an `Application`'s `notification_log.select`) in pages of BATCH,
    as `read_all`, decoding each to its domain event. Counted in our events, *total*."""
    decode = mapper.to_domain_event
    read = 0
    start = 1
    started = time.perf_counter()
    while page := select(start, BATCH):
        for notification in page:
            decode(notification)
        read += len(page)
        start = page[-1].id + 1
    rate = total / (time.perf_counter() - started)
    if read < total:
        raise SystemExit(f"eventsourcing: read {read} events back, appended {total}")
    return rate


def es_read_aggregates(
    recorder: Any, mapper: Mapper, originators: list[uuid.UUID], total: int
) -> float:
    """Rate of reading each aggregate's events (`select_events`), decoding each: the aggregate
    recorder keeps no global order to read by."""
    decode = mapper.to_domain_event
    read = 0
    started = time.perf_counter()
    for originator in originators:
        for stored in recorder.select_events(originator):
            decode(stored)
            read += 1
    rate = read / (time.perf_counter() - started)
    if read < total:
        raise SystemExit(f"eventsourcing: read {read} events back by aggregate, wrote {total}")
    return rate


# --- measuring, in rounds, and reporting ---------------------------------------------------


def measure_plain(
    store: EventStore, plain_path: Path | None, pool: list[events.Event], total: int
) -> dict[str, float]:
    """Part 1's rates (the plain half only with *plain_path*): appends, then reads, the two
    halves back to back, so a machine whose load changes during the run skews both alike."""
    plain = None if plain_path is None else sqlite3.connect(plain_path, isolation_level=None)
    try:
        figures = {}
        figures["ours append"], first = ours_append(store, pool, total)
        if plain is not None:
            figures["plain append"] = plain_append(plain, pool, total)
        figures["ours read"] = ours_read(store, first, total)
        if plain is not None:
            figures["plain read"] = plain_read(plain)
        return figures
    finally:
        if plain is not None:
            plain.close()


def measure_eventsourcing(
    store: EventStore,
    work: Path,
    pool: list[events.Event],
    total: int,
    save: int,
    compare: bool,
) -> dict[str, float]:
    """Part 2's rates: ours in saves (new streams, derived ids: part 3's (a)) and, if
    *compare*, eventsourcing's two recorders' and its `Application`'s with the same events, in
    the same order."""
    figures = {}
    figures["saves append"], first = ours_saves(store, pool, total, save)
    if not compare:
        figures["saves read"] = ours_read(store, first, total)
        return figures
    # Two files: both recorders name their table stored_events, each with its own columns.
    factories = {name: es_factory(str(work / f"es-{name}.db")) for name in ES_RECORDERS}
    app = es_application(str(work / "es-app.db"))
    try:
        mapper = es_mapper(factories["application"])  # a mapper holds no connection: shared
        recorders = {
            "application": factories["application"].application_recorder(),
            "aggregate": factories["aggregate"].aggregate_recorder(),
        }
        originators = {}
        for name, recorder in recorders.items():
            figures[f"es {name} append"], originators[name] = es_append(
                recorder, mapper, pool, total, save
            )
        figures["es app append"], ids = es_app_append(app, pool, total, save)
        for name, factory in (factories | {"app": app.factory}).items():
            es_one_connection(name, factory)
        # As a user of eventsourcing gets it: synchronous=FULL, an fsync a commit.
        default = es_factory(str(work / "es-default.db"), matched=False)
        try:
            figures["es default append"], _ = es_append(
                default.application_recorder(), mapper, pool, total, save
            )
        finally:
            default.close()
        figures["saves read"] = ours_read(store, first, total)
        figures["es application read"] = es_read_all(
            recorders["application"].select_notifications, mapper, total
        )
        figures["es aggregate read"] = es_read_aggregates(
            recorders["aggregate"], mapper, originators["aggregate"], total
        )
        figures["es app get"] = es_app_get(app, ids, total)
        figures["es app read"] = es_read_all(app.notification_log.select, app.mapper, total)
        return figures
    finally:
        app.close()
        for factory in factories.values():
            factory.close()


def measure_costs(
    fresh: Callable[[str], EventStore],
    signed: EventStore,
    key_path: Path,
    pool: list[events.Event],
    total: int,
    save: int,
) -> dict[str, float]:
    """Part 3's rates, beside part 2's (a): each way of appending into a fresh store, then
    one `checkpoint.sign` (which verifies the log) and one `verify()` of *signed*."""
    figures = {}
    for how in COSTS:
        store = fresh(how)
        try:
            figures[how] = ours_saves(store, pool, total, save, how)[0]
        finally:
            store.close()
    checkpoint.write_key_pair(key_path)
    key = checkpoint.load_private_key(key_path)
    started = time.perf_counter()
    count = checkpoint.sign(signed, key).count
    figures["sign"] = count / (time.perf_counter() - started)
    started = time.perf_counter()
    result = signed.verify()
    figures["verify"] = result.checked / (time.perf_counter() - started)
    if not result.ok:
        raise SystemExit(f"verify failed at {result.first_bad_position}: {result.reason}")
    figures["checked"] = count
    return figures


def one_round(
    url: str | None,
    work: Path,
    pool: list[events.Event],
    total: int,
    save: int,
    compare: bool,
) -> dict[str, float]:
    """Every figure of the three parts, measured once in fresh stores under *work* (or, given
    a *url*, in that store: new streams each time)."""

    def fresh(name: str) -> EventStore:
        return open_store(url or f"sqlite:///{work / name}.db")

    sqlite = url is None or url.startswith("sqlite:///")
    store = fresh("ours")
    try:
        figures = measure_plain(store, work / "plain.db" if sqlite else None, pool, total)
    finally:
        store.close()
    store = fresh("saves")
    try:
        figures |= measure_eventsourcing(store, work, pool, total, save, compare)
        figures |= measure_costs(fresh, store, work / "bench.key", pool, total, save)
    finally:
        store.close()
    return figures


def report(
    name: str,
    append_rate: float | None,
    read_rate: float,
    read: str = "read+decode",
    width: int = 6,
) -> None:
    """One line of rates, the name padded to *width* so the rates of a part line up (the
    append left blank when None: a second read of the line above's appends)."""
    append = " " * 27 if append_rate is None else f"append {append_rate:>10,.0f} events/s"
    print(f"{name:<{width}} {append}   {read:<11} {read_rate:>10,.0f} events/s")


def report_plain(figures: dict[str, float], stream_length: int) -> bool:
    """Print part 1; True when its targets are met (or there is no plain half)."""
    print(
        f"\n1. ours against plain sqlite3 + json: batches of {BATCH:,}, a stream per "
        f"{stream_length:,} events (the plain table: one stream)"
    )
    report("ours", figures["ours append"], figures["ours read"])
    if "plain append" not in figures:
        print("plain sqlite3 comparison skipped: the store is not SQLite")
        return True
    report("plain", figures["plain append"], figures["plain read"], read="read+json")
    met = True
    for name, what in (("append", "append"), ("read+decode", "read")):
        ratio = figures[f"ours {what}"] / figures[f"plain {what}"]
        met = met and ratio >= TARGET
        verdict = "ok" if ratio >= TARGET else "BELOW TARGET"
        print(f"{name:<12} ours/plain = {ratio:6.1%}   (target >= {TARGET:.0%})  {verdict}")
    return met


def report_eventsourcing(figures: dict[str, float], save: int, es_version: str | None) -> bool:
    """Print part 2; True when its targets are met (or there is nothing to compare with)."""
    if "es application append" not in figures:
        print(f"\n2. ours: saves of {save:,}, a new stream a save")
        report("ours", figures["saves append"], figures["saves read"], width=24)
        print("eventsourcing comparison skipped: not SQLite, or pip install 'diplosim[bench]'")
        return True
    print(
        f"\n2. ours against eventsourcing {es_version}: saves of {save:,}, a new stream "
        "(aggregate) a save; SQLite WAL + synchronous=NORMAL on both"
    )
    report("ours", figures["saves append"], figures["saves read"], width=24)
    for name in ES_RECORDERS:
        append, read = figures[f"es {name} append"], figures[f"es {name} read"]
        report(f"es {name} recorder", append, read, width=24)
    report("es app + Aggregate", figures["es app append"], figures["es app get"], "get+replay", 24)
    report("es app notification log", None, figures["es app read"], width=24)
    print("(application: a global order, read in pages as read_all; aggregate: by aggregate)")
    print(
        "(app: an Application.save of a new Aggregate a save, read back by repository.get, its"
        " events\n read, decoded and replayed, and through its notification log; rates in our"
        " events: each\n aggregate also records its Created event)"
    )
    default = figures["es default append"]
    print(
        f"es application recorder at its own default durability (synchronous=FULL): append "
        f"{default:,.0f} events/s; ours/that = {figures['saves append'] / default:.2f}x "
        "(for reference: not the same durability)"
    )
    compared = [  # (shown, ours, name, theirs): our figure is f"saves {ours}"
        (shown, what, name, f"es {name} {what}")
        for name in ES_RECORDERS
        for shown, what in (("append", "append"), ("read+decode", "read"))
    ]
    compared += [
        ("append", "append", "app", "es app append"),
        ("get+replay", "read", "app", "es app get"),
        ("read+decode", "read", "app log", "es app read"),
    ]
    met = True
    for shown, what, name, theirs in compared:
        ratio = figures[f"saves {what}"] / figures[theirs]
        met = met and ratio >= ES_TARGET
        verdict = "ok" if ratio >= ES_TARGET else "BELOW TARGET"
        print(
            f"{shown:<12} ours/es {name:<11} = {ratio:5.2f}x  (target >= {ES_TARGET:g}x)  {verdict}"
        )
    return met


def report_costs(figures: dict[str, float], save: int) -> None:
    """Print part 3, each rate as a share of (a): part 2's append of ours."""
    print(
        f"\n3. what ids, metadata and checkpoints cost: saves of {save:,}, metadata "
        f"{json.dumps(METADATA)} (no targets set)"
    )
    base = figures["saves append"]
    rows = {"(a) new streams, derived ids": base}
    rows |= {label: figures[how] for how, label in COSTS.items()}
    for label, rate in rows.items():
        print(f"{label:<46} {rate:>10,.0f} events/s   {rate / base:6.1%} of (a)")
    count = int(figures["checked"])
    for label, name in (("checkpoint.sign (verifies)", "sign"), ("verify()", "verify")):
        rate = figures[name]
        print(
            f"{label:<26} {count:>9,} records: {rate:>10,.0f} records/s   {rate / base:6.1%} of "
            f"(a); {1e5 / rate:5.2f} s a 100,000 records"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000, help="events to append")
    parser.add_argument("--store", help="store URL (default: fresh temporary SQLite files)")
    parser.add_argument("--save", type=int, default=SAVE, help="events a save, parts 2 and 3")
    parser.add_argument("--rounds", type=int, default=1, help="each figure: the best of these")
    args = parser.parse_args(argv)
    if min(args.events, args.save, args.rounds) < 1:
        parser.error("--events, --save and --rounds must be at least 1")

    pool = sample_events(min(args.events, 10_000))
    sqlite = args.store is None or args.store.startswith("sqlite:///")
    try:
        es_version = importlib.metadata.version("eventsourcing") if sqlite else None
    except importlib.metadata.PackageNotFoundError:
        es_version = None
    where = args.store or "fresh SQLite files each round"
    rounds = f"best of {args.rounds} rounds" if args.rounds > 1 else "one round"
    print(f"{args.events:,} events, store {where}, {rounds}")
    figures: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for number in range(args.rounds):
            work = Path(tmp, str(number))
            work.mkdir()
            measured = one_round(
                args.store, work, pool, args.events, args.save, es_version is not None
            )
            for name, value in measured.items():
                figures[name] = max(figures.get(name, 0.0), value)
            shutil.rmtree(work)  # a round's files: a few hundred bytes an event
    met = report_plain(figures, len(pool))
    met = report_eventsourcing(figures, args.save, es_version) and met
    report_costs(figures, args.save)
    return 0 if met else 1


if __name__ == "__main__":
    raise SystemExit(main())
