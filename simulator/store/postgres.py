"""The PostgreSQL backend (`postgresql://user@host/db`): one log shared by many machines.

The same single table as SQLite: `position` is the primary key, UNIQUE(stream, version) guards
each stream's order and serves stream reads, an index on (type, position) serves type-filtered
reads. Appends are serialised by a transaction-scoped advisory lock taken *before* the last
position and hash are read, so positions are handed out inside the lock (never by a sequence)
and commit in order: a reader following `read_all` never skips a record that commits later, and
the hash chain stays linear. The batch goes in with one COPY; the transaction commits with the
server's durability settings (see docs/operations.md). The lock is released when the
transaction ends, also when the writer dies: the server rolls its transaction back.
"""

from __future__ import annotations

import threading
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import psycopg
from psycopg import errors as pg_errors

from simulator.errors import ConcurrencyError, StoreError
from simulator.store.base import GENESIS, EventStore, chain

SCHEMA_VERSION = 1

# Advisory lock keys: a fixed high half ("dipl") and, in the low half, the events table's oid
# (0 while the schema is being created), so stores in different schemas do not wait on each other.
_LOCK_SPACE = 0x6469706C << 32

_COLUMNS = (
    "position, stream, version, type, schema, occurred_at, recorded_at, causation, payload, hash"
)

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

_VERSION_SQL = "SELECT COALESCE(MAX(version) + 1, 0) FROM events WHERE stream = %s"
_LAST_SQL = "SELECT position, hash FROM events ORDER BY position DESC LIMIT 1"
_COPY_SQL = f"COPY events ({_COLUMNS}) FROM STDIN"
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


def redact(url: str) -> str:
    """*url* with any password replaced by `***`, fit for messages and logs."""
    try:
        parts = urlsplit(url)
        netloc = parts.netloc
        if "@" in netloc:
            user, _, hosts = netloc.rpartition("@")
            if ":" in user:
                user = user.split(":", 1)[0] + ":***"
            netloc = f"{user}@{hosts}"
        query = urlencode(
            [(k, "***" if k == "password" else v) for k, v in parse_qsl(parts.query)], safe="/,:"
        )
        return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))
    except ValueError:
        return url.split("@")[-1]


def _reason(exc: Exception) -> str:
    """The server's or the driver's message on one line."""
    return " ".join(line.strip() for line in str(exc).splitlines() if line.strip())


class PostgresStore(EventStore):
    """An event store in a PostgreSQL database (tables `events` and `meta` on the search path)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._shown = redact(url)
        # One connection, used by one thread at a time (a transaction must not interleave).
        self._lock = threading.Lock()
        try:
            self._db = psycopg.connect(url, autocommit=True)
        except (psycopg.Error, ValueError) as exc:
            raise StoreError(f"cannot open store {self._shown}: {_reason(exc)}") from None
        try:
            self._open_schema()
        except psycopg.Error as exc:
            self._db.close()
            raise StoreError(f"cannot open store {self._shown}: {_reason(exc)}") from None
        except StoreError:
            self._db.close()
            raise

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
                    "INSERT INTO meta VALUES ('schema_version', %s) ON CONFLICT (key) DO NOTHING",
                    (str(SCHEMA_VERSION),),
                )
            (events,) = db.execute("SELECT to_regclass('events')::oid").fetchone()
            row = db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        self._lock_key = _LOCK_SPACE | int(events)
        if row is not None and int(row[0]) > SCHEMA_VERSION:
            raise StoreError(
                f"store {self._shown} has schema version {row[0]}, newer than this diplosim "
                f"understands ({SCHEMA_VERSION}); upgrade diplosim to read it"
            )

    def _append_rows(self, stream, prepared, expected_version, recorded_at):
        for index, (_, _, _, cause, _) in enumerate(prepared):
            if cause is not None and (not isinstance(cause, str) or "\x00" in cause):
                raise StoreError(f"event {index}: causation must be text without NUL ({cause!r})")
        with self._lock:
            try:
                return self._append_locked(stream, prepared, expected_version, recorded_at)
            except pg_errors.UniqueViolation:
                # The constraint is the last guard, behind the lock: a writer outside diplosim.
                raise ConcurrencyError(
                    f"stream {stream!r} was written concurrently; read its version and retry"
                ) from None
            except psycopg.Error as exc:
                raise StoreError(f"cannot write to {self._shown}: {_reason(exc)}") from None

    def _append_locked(self, stream, prepared, expected_version, recorded_at):
        db = self._db
        with db.transaction(), db.cursor() as cur:
            # The lock comes first, in its own statement: the reads below then take a snapshot
            # that already holds every append committed before ours.
            cur.execute("SELECT pg_advisory_xact_lock(%s)", (self._lock_key,))
            (current,) = cur.execute(_VERSION_SQL, (stream,)).fetchone()
            if expected_version is not None and expected_version != current:
                raise ConcurrencyError(
                    f"stream {stream!r} is at version {current}, not {expected_version}"
                )
            last = cur.execute(_LAST_SQL).fetchone()
            position, previous = (last[0] + 1, last[1]) if last else (0, GENESIS)
            rows = chain(stream, current, position, previous, prepared, recorded_at)
            with cur.copy(_COPY_SQL) as copy:
                for row in rows:
                    copy.write_row(row)
        return [row[0] for row in rows]

    def _query(self, sql: str, params: tuple) -> list[tuple]:
        with self._lock:
            try:
                return self._db.execute(sql, params).fetchall()
            except psycopg.Error as exc:
                raise StoreError(f"cannot read {self._shown}: {_reason(exc)}") from None

    def _page(self, stream, start, types, limit):
        if stream is not None:
            return self._query(_STREAM_PAGE_SQL, (stream, start, limit))
        if types is None:
            return self._query(_ALL_PAGE_SQL, (start, limit))
        return self._query(_TYPES_PAGE_SQL, (start, list(types), limit))

    def version(self, stream: str) -> int:
        return self._query(_VERSION_SQL, (stream,))[0][0]

    def streams(self) -> list[str]:
        return [r[0] for r in self._query(_STREAMS_SQL, ())]

    def close(self) -> None:
        with self._lock:
            self._db.close()
