"""The PostgreSQL backend (`postgresql://user@host/db`): one log shared by many machines.

The same single table as SQLite: `position` is the primary key, UNIQUE(stream, version) guards
each stream's order and serves stream reads, an index on (type, position) serves type-filtered
reads. Appends are serialised by a transaction-scoped advisory lock taken *before* the last
position and hash are read, so positions are handed out inside the lock (never by a sequence)
and commit in order: a reader following `read_all` never skips a record that commits later, and
the hash chain stays linear. Each stream of an append goes in with one COPY, encoded a slice at
a time while the server inserts the slice before (so, unlike the other backends, the encoding
runs while the lock is held); the transaction commits with the server's durability settings
(see docs/operations.md). The lock is released when the transaction ends, also when the writer
dies: the server rolls its transaction back. Schema version 2 added the `metadata` column; a
version-1 store is migrated when it is opened, which takes the tables' owner.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import threading
from urllib.parse import unquote

import psycopg
from psycopg import errors as pg_errors
from psycopg.pq import TransactionStatus

from simulator import codec
from simulator.errors import ConcurrencyError, StoreError
from simulator.redaction import redact_url
from simulator.store.base import GENESIS, EventStore, write_batches

SCHEMA_VERSION = 2  # 2: the metadata column

# Advisory lock keys: a fixed high half ("dipl") and, in the low half, the events table's oid
# (0 while the schema is being created), so stores in different schemas do not wait on each other.
_LOCK_SPACE = 0x6469706C << 32

_V1_COLUMNS = (
    "position, stream, version, type, schema, occurred_at, recorded_at, causation, payload, hash"
)
_COLUMNS = f"{_V1_COLUMNS}, metadata"

# The tables as schema version 1 made them. A new store is made so and then migrated like an
# old one (`_ADD_METADATA`), so the two cannot differ.
_DDL = """
CREATE TABLE IF NOT EXISTS events (
    position BIGINT PRIMARY KEY,
    stream TEXT NOT NULL,
    version BIGINT NOT NULL,
    type TEXT NOT NULL,
    schema INTEGER NOT NULL,
    occurred_at TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    causation TEXT,
    payload TEXT NOT NULL,
    hash TEXT NOT NULL,
    UNIQUE (stream, version)
);
CREATE INDEX IF NOT EXISTS events_by_type ON events (type, position);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""
_ADD_METADATA = "ALTER TABLE events ADD COLUMN metadata TEXT"
_SCHEMA_SQL = "SELECT value FROM meta WHERE key = 'schema_version'"

# The last version by a backward index scan, whatever plan statistics would pick for MAX().
_NEXT_VERSION = "(SELECT version FROM events WHERE stream = %s ORDER BY version DESC LIMIT 1) + 1"
_VERSION_SQL = f"SELECT COALESCE({_NEXT_VERSION}, 0)"
# The stream's next version and the log's last position and hash, in one round trip.
_HEAD_SQL = (
    f"SELECT COALESCE({_NEXT_VERSION}, 0), "
    "last.position, last.hash FROM (SELECT 1) AS one LEFT JOIN "
    "(SELECT position, hash FROM events ORDER BY position DESC LIMIT 1) AS last ON true"
)
# Text, not binary: binary costs the client less but measured slower end to end.
# Rows without metadata go in without the column (it is then NULL), as SQLite's do.
_COPY_SQL = f"COPY events ({_V1_COLUMNS}) FROM STDIN"
_COPY_WITH_METADATA_SQL = f"COPY events ({_COLUMNS}) FROM STDIN"
_STREAM_PAGE_SQL = (
    f"SELECT {_COLUMNS} FROM events WHERE stream = %s AND version >= %s ORDER BY version LIMIT %s"
)
_ALL_PAGE_SQL = f"SELECT {_COLUMNS} FROM events WHERE position >= %s ORDER BY position LIMIT %s"
_TYPES_PAGE_SQL = (
    f"SELECT {_COLUMNS} FROM events WHERE position >= %s AND type = ANY(%s) "
    "ORDER BY position LIMIT %s"
)

# Code point order, as Python's sorted(), whatever the database's collation.
_STREAMS_SQL = 'SELECT DISTINCT stream COLLATE "C" FROM events ORDER BY 1'

# PostgreSQL text cannot hold NUL. A causation with a NUL (or starting with ESC) is stored as
# ESC + its JSON string, which can; every other causation is stored as it is.
_ESCAPE = "\x1b"


def _escape(cause: str) -> str:
    return _ESCAPE + codec.dumps(cause)


def _unescape(stored: str) -> str:
    try:
        cause = json.loads(stored[1:])
    except ValueError:
        return stored  # not written by `_escape`: left as found, for verify() to report
    return cause if isinstance(cause, str) else stored


CONNECT_TIMEOUT = 10  # seconds to reach the server, unless the URL sets connect_timeout
LOCK_TIMEOUT_MS = 30_000  # how long an append waits for the lock, unless the URL sets it


def _copy(db: psycopg.Connection, slices, metadata: str | None) -> None:
    """One stream's rows into the table with one COPY, streamed a slice at a time: the server
    inserts one slice while the next is encoded and hashed (the server is a process of its
    own, so on a machine with a spare core the two run side by side). A slice that cannot be
    encoded raises StoreError here; the COPY is then cancelled and the transaction rolled
    back."""
    sql = _COPY_SQL
    if metadata is not None:
        sql = _COPY_WITH_METADATA_SQL
    with db.cursor() as cur, cur.copy(sql) as copy:
        write_row = copy.write_row
        for rows in slices:
            for row in rows:
                cause = row[7]
                if cause is not None and ("\x00" in cause or cause[:1] == _ESCAPE):
                    row = (*row[:7], _escape(cause), *row[8:])
                write_row(row if metadata is None else (*row, metadata))


def _reason(exc: Exception) -> str:
    """The server's or the driver's message on one line."""
    diag = getattr(exc, "diag", None)
    primary = diag.message_primary if diag is not None else None
    if primary:
        return primary
    return " ".join(line.strip() for line in str(exc).splitlines() if line.strip())


class PostgresStore(EventStore):
    """An event store in a PostgreSQL database (tables `events` and `meta` on the search path)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.shown = redact_url(url)
        # One connection, used by one thread at a time (a transaction must not interleave).
        self._lock = threading.Lock()
        self._db = self._connect("cannot open store")
        try:
            self._open_schema()
        except psycopg.Error as exc:
            self._db.close()
            raise StoreError(f"cannot open store {self.shown}: {_reason(exc)}") from None
        except StoreError:
            self._db.close()
            raise

    def _connect(self, failure: str) -> psycopg.Connection:
        # Every wait has a limit: the connection (a server that accepts and never answers) and
        # the append lock (a writer stopped while holding it). A URL that sets either keeps it.
        given = unquote(self.url)
        extra = {} if "connect_timeout" in given else {"connect_timeout": CONNECT_TIMEOUT}
        try:
            db = psycopg.connect(self.url, autocommit=True, **extra)
            if "lock_timeout" not in given:
                db.execute(f"SET lock_timeout = '{LOCK_TIMEOUT_MS}ms'")
            return db
        except (psycopg.Error, ValueError) as exc:
            raise StoreError(f"{failure} {self.shown}: {_reason(exc)}") from None

    def _connection(self, failure: str) -> psycopg.Connection:
        # A connection lost (a server restart, a network cut) fails the operation that met it;
        # the next one connects again, so a long-running worker outlives the outage.
        if self._db.broken:
            self._db = self._connect(failure)
        return self._db

    def _open_schema(self) -> None:
        db = self._db
        with db.transaction():
            (events, meta) = db.execute(
                "SELECT to_regclass('events')::oid, to_regclass('meta')::oid"
            ).fetchone()
            if events is None or meta is None:
                # Only a first opener creates (and needs the right to create); others wait here.
                db.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_SPACE,))
                db.execute(_DDL)
                db.execute(
                    "INSERT INTO meta VALUES ('schema_version', '1') ON CONFLICT (key) DO NOTHING"
                )
            (events,) = db.execute("SELECT to_regclass('events')::oid").fetchone()
            row = db.execute(_SCHEMA_SQL).fetchone()
        self._lock_key = _LOCK_SPACE | int(events)
        version = 1 if row is None else int(row[0])
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"store {self.shown} has schema version {row[0]}, newer than this diplosim "
                f"understands ({SCHEMA_VERSION}); upgrade diplosim to read it"
            )
        if version < SCHEMA_VERSION:
            self._migrate()

    def _migrate(self) -> None:
        """Bring a version-1 store (new or old) to the current schema, in one transaction
        under the schema lock: a second opener waits, then finds it done."""
        db = self._db
        try:
            with db.transaction():
                db.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_SPACE,))
                row = db.execute(_SCHEMA_SQL).fetchone()
                if row is None or int(row[0]) < SCHEMA_VERSION:
                    db.execute(_ADD_METADATA)
                    db.execute(
                        "INSERT INTO meta VALUES ('schema_version', %s) "
                        "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
                        (str(SCHEMA_VERSION),),
                    )
        except pg_errors.InsufficientPrivilege as exc:
            raise StoreError(
                f"cannot open store {self.shown}: it has schema version 1 and this diplosim "
                f"needs {SCHEMA_VERSION}; open it once as the owner of its tables to upgrade "
                f"it ({_reason(exc)})"
            ) from None

    def _append_batches(self, batches, recorded_at):
        with self._lock:
            try:
                return self._append_locked(batches, recorded_at)
            except pg_errors.UniqueViolation:
                # The constraint is the last guard, behind the lock: a writer outside diplosim.
                raise ConcurrencyError(
                    f"{self.shown}: a stream was written concurrently, outside diplosim's "
                    "append lock; read its version and retry"
                ) from None
            except pg_errors.LockNotAvailable:
                raise StoreError(
                    f"cannot write to {self.shown}: another writer held the append lock for "
                    f"{LOCK_TIMEOUT_MS / 1000:g} s (set lock_timeout in the URL's options to "
                    "wait longer, e.g. ?options=-clock_timeout%3D120s)"
                ) from None
            except psycopg.Error as exc:
                raise StoreError(f"cannot write to {self.shown}: {_reason(exc)}") from None

    def _append_locked(self, batches, recorded_at):
        db = self._connection("cannot write to")
        first = next(batches)
        try:
            # One round trip: BEGIN, the lock, then the head (with the first stream's version).
            # The lock is its own statement, so the read after it takes a snapshot (when the
            # server binds it, once the lock is granted) that holds every append committed
            # before ours. One statement taking the lock and reading the head would read with a
            # snapshot taken before the lock.
            with db.pipeline():
                db.execute("BEGIN")
                db.execute("SELECT pg_advisory_xact_lock(%s)", (self._lock_key,))
                head = db.execute(_HEAD_SQL, (first.stream,))
            current, last_position, previous = head.fetchone()
            known = {first.stream: current}  # the others are read when their turn comes

            def version(stream: str) -> int:
                if stream in known:
                    return known.pop(stream)
                return db.execute(_VERSION_SQL, (stream,)).fetchone()[0]

            written = write_batches(
                itertools.chain([first], batches),
                0 if last_position is None else last_position + 1,
                previous or GENESIS,
                recorded_at,
                version,
                lambda slices, metadata: _copy(db, slices, metadata),
            )
            db.execute("COMMIT")
        except BaseException:
            if not db.broken and db.info.transaction_status != TransactionStatus.IDLE:
                with contextlib.suppress(psycopg.Error):  # if it fails, the server rolls back
                    db.execute("ROLLBACK")
            raise
        return written

    def _query(self, sql: str, params: tuple) -> list[tuple]:
        with self._lock:
            try:
                return self._connection("cannot read").execute(sql, params).fetchall()
            except psycopg.Error as exc:
                raise StoreError(f"cannot read {self.shown}: {_reason(exc)}") from None

    def _page(self, stream, start, types, limit):
        if stream is not None:
            rows = self._query(_STREAM_PAGE_SQL, (stream, start, limit))
        elif types is None:
            rows = self._query(_ALL_PAGE_SQL, (start, limit))
        else:
            rows = self._query(_TYPES_PAGE_SQL, (start, list(types), limit))
        for index, row in enumerate(rows):
            cause = row[7]
            if cause is not None and cause[:1] == _ESCAPE:
                rows[index] = (*row[:7], _unescape(cause), *row[8:])
        return rows

    def version(self, stream: str) -> int:
        return self._query(_VERSION_SQL, (stream,))[0][0]

    def streams(self) -> list[str]:
        return [r[0] for r in self._query(_STREAMS_SQL, ())]

    def close(self) -> None:
        with self._lock:
            self._db.close()
