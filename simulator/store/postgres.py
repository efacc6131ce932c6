"""The PostgreSQL backend (`postgresql://user@host/db`): one log shared by many machines.

The same single table as SQLite (`simulator.store.schema`): `position` is the primary key,
UNIQUE(stream, version) guards each stream's order and serves stream reads, an index on (type,
position) serves type-filtered reads and one on (stream, event_id) finds events already
appended. Appends are serialised by a transaction-scoped advisory lock taken *before* the last
position and hash are read, so positions are handed out inside the lock (never by a sequence)
and commit in order: a reader following `read_all` never skips a record that commits later, and
the hash chain stays linear. Each stream of an append goes in with one COPY, encoded a slice at
a time while the server inserts the slice before (so, unlike the other backends, the encoding
runs while the lock is held); the transaction commits with the server's durability settings
(see docs/operations.md). The lock is released when the transaction ends, also when the writer
dies: the server rolls its transaction back; each append commits with a NOTIFY, which
`subscribe` LISTENs for. An older store is migrated when it is opened (`simulator.store.schema`),
which takes the tables' owner.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import threading
from urllib.parse import unquote

import psycopg
from psycopg import errors as pg_errors
from psycopg import sql as pg_sql
from psycopg.pq import TransactionStatus

from simulator import codec
from simulator.errors import ConcurrencyError, StoreError, TransientStoreError
from simulator.redaction import redact_url
from simulator.store import schema
from simulator.store.base import EventStore, write_batches

# Advisory lock keys: a fixed high half ("dipl") and, in the low half, the events table's oid
# (0 while the schema is being created), so stores in different schemas do not wait on each other.
_LOCK_SPACE = 0x6469706C << 32

_SCHEMA_SQL = "SELECT value FROM meta WHERE key = 'schema_version'"

# The last version by a backward index scan, whatever plan statistics would pick for MAX().
_VERSION_SQL = (
    "SELECT COALESCE((SELECT version FROM events WHERE stream = %s "
    "ORDER BY version DESC LIMIT 1) + 1, 0)"
)
_HEAD_SQL = f"SELECT {schema.SELECTED} FROM events ORDER BY position DESC LIMIT 2"
_IDS_SQL = "SELECT event_id, position FROM events WHERE stream = %s AND event_id = ANY(%s)"
# Text, not binary: binary costs the client less but measured slower end to end.
# Rows without metadata go in without the column (it is then NULL), as SQLite's do.
_COPY_SQL = f"COPY events ({schema.INSERTED}) FROM STDIN"
_COPY_WITH_METADATA_SQL = f"COPY events ({schema.INSERTED_WITH_METADATA}) FROM STDIN"
_STREAM_PAGE_SQL = (
    f"SELECT {schema.SELECTED} FROM events WHERE stream = %s AND version >= %s "
    "ORDER BY version LIMIT %s"
)
_ALL_PAGE_SQL = (
    f"SELECT {schema.SELECTED} FROM events WHERE position >= %s ORDER BY position LIMIT %s"
)
_TYPES_PAGE_SQL = (
    f"SELECT {schema.SELECTED} FROM events WHERE position >= %s AND type = ANY(%s) "
    "ORDER BY position LIMIT %s"
)
_COLUMNS_SQL = (
    "SELECT attname, format_type(atttypid, atttypmod) FROM pg_attribute "
    "WHERE attrelid = 'events'::regclass AND attnum > 0 AND NOT attisdropped"
)
_TYPES = {"big": "bigint", "int": "integer", "text": "text"}

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


def _error(failure: str, exc: psycopg.Error) -> StoreError:
    """The driver's *exc* as the project's error, mapped here once for every operation: a
    lost connection, a lock or statement timeout are transient (a retry may succeed)."""
    if isinstance(exc, pg_errors.UniqueViolation):
        # The constraint is the last guard, behind the lock: a writer outside diplosim.
        return ConcurrencyError(
            f"{failure}: a stream was written concurrently, outside diplosim's append lock; "
            "read its version and retry"
        )
    if isinstance(exc, pg_errors.LockNotAvailable):
        return TransientStoreError(
            f"{failure}: another writer held the append lock for longer than lock_timeout "
            f"({LOCK_TIMEOUT_MS / 1000:g} s unless the URL sets it; to wait longer: "
            "?options=-clock_timeout%3D120s)"
        )
    if isinstance(exc, psycopg.OperationalError):
        return TransientStoreError(f"{failure}: {_reason(exc)}")
    return StoreError(f"{failure}: {_reason(exc)}")


def _unescaped(rows: list[tuple]) -> list[tuple]:
    for index, row in enumerate(rows):
        cause = row[7]
        if cause is not None and cause[:1] == _ESCAPE:
            rows[index] = (*row[:7], _unescape(cause), *row[8:])
    return rows


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
        except BaseException:
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
        except psycopg.Error as exc:
            raise _error(f"{failure} {self.shown}", exc) from None
        except ValueError as exc:  # a URL the driver cannot parse
            raise StoreError(f"{failure} {self.shown}: {_reason(exc)}") from None

    def _connection(self, failure: str) -> psycopg.Connection:
        # A connection lost (a server restart, a network cut) fails the operation that met it;
        # the next one connects again, so a long-running worker outlives the outage.
        if self._db.broken:
            self._db = self._connect(failure)
        return self._db

    @contextlib.contextmanager
    def _transaction(self, failure: str, *opening: tuple[str, tuple], notify: bool = False):
        """One transaction: BEGIN and the *opening* statements in one round trip, then the
        body, then COMMIT (with a NOTIFY on the store's channel when *notify*, in the same
        round trip). Yields the connection and the opening statements' rows; driver errors
        are reported once, as `failure URL: reason`."""
        with self._lock:
            try:
                db = self._connection(failure)
                try:
                    with db.pipeline():
                        db.execute("BEGIN")
                        cursors = [db.execute(sql, params) for sql, params in opening]
                    yield db, [cursor.fetchall() for cursor in cursors]
                    with db.pipeline():
                        if notify:
                            db.execute("SELECT pg_notify(%s, '')", (self._channel,))
                        db.execute("COMMIT")
                except BaseException:
                    if not db.broken and db.info.transaction_status != TransactionStatus.IDLE:
                        with contextlib.suppress(psycopg.Error):  # else the server rolls back
                            db.execute("ROLLBACK")
                    raise
            except psycopg.Error as exc:
                raise _error(f"{failure} {self.shown}", exc) from None

    def _open_schema(self) -> None:
        oids = "SELECT to_regclass('events')::oid, to_regclass('meta')::oid"
        with self._transaction("cannot open store", (oids, ())) as (db, [[(events, meta)]]):
            if events is None or meta is None:
                # Only a first opener creates (and needs the right to create); others wait here.
                db.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_SPACE,))
                db.execute(schema.tables("BIGINT"))
                db.execute(
                    "INSERT INTO meta VALUES ('schema_version', '1') ON CONFLICT (key) DO NOTHING"
                )
            (events,) = db.execute("SELECT to_regclass('events')::oid").fetchone()
            row = db.execute(_SCHEMA_SQL).fetchone()
        self._lock_key = _LOCK_SPACE | int(events)
        self._channel = f"diplosim_events_{int(events)}"
        version = 1 if row is None else int(row[0])
        if version > schema.SCHEMA_VERSION:
            raise StoreError(
                f"store {self.shown} has schema version {row[0]}, newer than this diplosim "
                f"understands ({schema.SCHEMA_VERSION}); upgrade diplosim to read it"
            )
        if version < schema.SCHEMA_VERSION:
            self._migrate()

    def _migrate(self) -> None:
        """Bring an older store (new or old) to the current schema, in one transaction under
        the schema lock: a second opener waits, then finds it done."""
        lock = ("SELECT pg_advisory_xact_lock(%s)", (_LOCK_SPACE,))
        with self._transaction("cannot open store", lock) as (db, _):
            row = db.execute(_SCHEMA_SQL).fetchone()
            try:
                for sql in schema.steps(1 if row is None else int(row[0])):
                    db.execute(sql)
            except pg_errors.InsufficientPrivilege as exc:
                raise StoreError(
                    f"cannot open store {self.shown}: it has schema version {row[0]} and this "
                    f"diplosim needs {schema.SCHEMA_VERSION}; open it once as the owner of its "
                    f"tables to upgrade it ({_reason(exc)})"
                ) from None
            db.execute(
                "INSERT INTO meta VALUES ('schema_version', %s) "
                "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
                (str(schema.SCHEMA_VERSION),),
            )

    def _append_batches(self, batches, recorded_at):
        first = next(batches)
        # BEGIN, the lock, then the head and the first stream's version, in one round trip.
        # The lock is its own statement, so the reads after it take a snapshot (when the
        # server binds them, once the lock is granted) that holds every append committed
        # before ours. One statement taking the lock and reading the head would read with a
        # snapshot taken before the lock.
        opening = (
            ("SELECT pg_advisory_xact_lock(%s)", (self._lock_key,)),
            (_HEAD_SQL, ()),
            (_VERSION_SQL, (first.stream,)),
        )
        with self._transaction("cannot write to", *opening, notify=True) as (db, found):
            _, head, [(current,)] = found
            known = {first.stream: current}  # the others are read when their turn comes

            def version(stream: str) -> int:
                if stream in known:
                    return known.pop(stream)
                return db.execute(_VERSION_SQL, (stream,)).fetchone()[0]

            def existing(stream: str, ids: list[str]) -> dict[str, int]:
                return dict(db.execute(_IDS_SQL, (stream, ids)).fetchall())

            written = write_batches(
                itertools.chain([first], batches),
                _unescaped(head),
                recorded_at,
                version,
                existing,
                lambda slices, metadata: _copy(db, slices, metadata),
            )
        return written

    def _query(self, sql: str, params: tuple) -> list[tuple]:
        with self._lock:
            try:
                return self._connection("cannot read").execute(sql, params).fetchall()
            except psycopg.Error as exc:
                raise _error(f"cannot read {self.shown}", exc) from None

    def _page(self, stream, start, types, limit):
        if stream is not None:
            return _unescaped(self._query(_STREAM_PAGE_SQL, (stream, start, limit)))
        if types is None:
            return _unescaped(self._query(_ALL_PAGE_SQL, (start, limit)))
        return _unescaped(self._query(_TYPES_PAGE_SQL, (start, list(types), limit)))

    def version(self, stream: str) -> int:
        return self._query(_VERSION_SQL, (stream,))[0][0]

    def streams(self) -> list[str]:
        return [r[0] for r in self._query(_STREAMS_SQL, ())]

    def _table_problem(self):
        return schema.table_problem(dict(self._query(_COLUMNS_SQL, ())), _TYPES)

    @contextlib.contextmanager
    def _waiting(self):
        """A connection of its own that LISTENs on the store's channel: each append commits
        with a NOTIFY, so a subscriber wakes as soon as there is something to read."""
        listener = self._connect("cannot follow")
        try:
            listener.execute(pg_sql.SQL("LISTEN {}").format(pg_sql.Identifier(self._channel)))

            def wait(seconds: float) -> None:
                for _ in listener.notifies(timeout=seconds, stop_after=1):
                    pass

            yield wait
        except psycopg.Error as exc:
            raise _error(f"cannot follow {self.shown}", exc) from None
        finally:
            listener.close()

    def close(self) -> None:
        with self._lock:
            self._db.close()
