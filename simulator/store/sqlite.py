"""The SQLite backend (`sqlite:///path.db`), the embedded default: one file, WAL, no server.

One table holds every record (`simulator.store.schema`); UNIQUE(stream, version) both guards
the per-stream order and serves stream reads; an index on (type, position) serves
type-filtered reads and one on (stream, event_id) finds events already appended. Each append
(of one stream or many) is one `BEGIN IMMEDIATE` transaction (the write lock is taken before
the version checks, so two writers cannot both pass one) with one `executemany` insert a
stream. WAL with synchronous=NORMAL: a killed process never loses a committed append nor
leaves a partial one; an operating-system crash may lose the last commits, never corrupt the
file (see docs/operations.md). An older file is migrated when opened for writing and read as
it is (the newer columns NULL) when opened read-only.
"""

from __future__ import annotations

import contextlib
import itertools
import sqlite3
import threading
from collections.abc import Iterator
from urllib.parse import quote

from simulator.errors import StoreError, TransientStoreError
from simulator.store import schema
from simulator.store.base import EventStore, write_batches

_INSERT = f"INSERT INTO events ({schema.INSERTED}) VALUES ({','.join('?' * 11)})"
_INSERT_WITH_METADATA = (
    f"INSERT INTO events ({schema.INSERTED_WITH_METADATA}) VALUES ({','.join('?' * 12)})"
)
_VERSION_SQL = "SELECT COALESCE(MAX(version) + 1, 0) FROM events WHERE stream = ?"
_HEAD_SQL = f"SELECT {schema.SELECTED} FROM events ORDER BY position DESC LIMIT 2"
_SCHEMA_SQL = "SELECT value FROM meta WHERE key = 'schema_version'"
_TYPES = {"big": "INTEGER", "int": "INTEGER", "text": "TEXT"}
# SQLite's result codes for a database another connection holds: worth a retry.
_BUSY = {sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED}


def _error(failure: str, exc: sqlite3.Error) -> StoreError:
    """The driver's *exc* as the project's error: transient when the database was busy."""
    code = getattr(exc, "sqlite_errorcode", None)
    kind = TransientStoreError if code is not None and code & 0xFF in _BUSY else StoreError
    return kind(f"{failure}: {exc}")


class SQLiteStore(EventStore):
    """An event store in one SQLite file."""

    def __init__(self, path: str, url: str | None = None, create: bool = True) -> None:
        """Open the store in the file *path*; with *create* False (commands that only read) the
        file is opened read-only and must already be a store: nothing in it is changed."""
        self.url = url or f"sqlite:///{path}"
        self.shown = self.url  # a SQLite URL carries no credential
        # One connection serves every thread; the lock keeps a reader out of another thread's
        # open append transaction (it would see rows that may yet be rolled back).
        self._lock = threading.Lock()
        self._read_only = not create
        try:
            if create:
                self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            else:
                target = f"file:{quote(path)}?mode=ro"
                self._db = sqlite3.connect(
                    target, uri=True, isolation_level=None, check_same_thread=False
                )
            self._db.execute("PRAGMA busy_timeout=30000")
            # 64 MiB of page cache (SQLite's default is 2 MiB): the indexes of a log of
            # millions of records stay in memory while it is appended to and read.
            self._db.execute("PRAGMA cache_size=-65536")
            tables = {r[0] for r in self._db.execute("SELECT name FROM sqlite_master")}
            if not {"events", "meta"} <= tables and (tables or not create):
                self._db.close()
                raise StoreError(
                    f"{self.url} is not a diplosim store (a SQLite database without its events "
                    "and meta tables); nothing in it was changed"
                )
            if create:
                self._db.execute("PRAGMA journal_mode=WAL")
                self._db.execute("PRAGMA synchronous=NORMAL")
                self._db.executescript(schema.tables("INTEGER"))
            self._check_schema(create)
        except sqlite3.Error as exc:
            raise _error(f"cannot open store {self.url}", exc) from None

    def _check_schema(self, create: bool) -> None:
        row = self._db.execute(_SCHEMA_SQL).fetchone()
        if row is None and not create:
            raise StoreError(f"{self.url} is not a diplosim store (no schema version)")
        version = 1 if row is None else int(row[0])  # a new store's tables are version 1's
        self._schema_version = version if not create else schema.SCHEMA_VERSION
        if version > schema.SCHEMA_VERSION:
            raise StoreError(
                f"store {self.url} has schema version {row[0]}, newer than this diplosim "
                f"understands ({schema.SCHEMA_VERSION}); upgrade diplosim to read it"
            )
        if version < schema.SCHEMA_VERSION:
            if create:
                self._migrate()
            else:  # read through a view in the temporary schema, which names resolve first
                self._db.execute(
                    f"CREATE TEMP VIEW events AS SELECT {schema.selected_at(version)} "
                    "FROM main.events"
                )

    def _migrate(self) -> None:
        """Bring an older store (new or old) to the current schema, in one transaction;
        another process may have done it since the version was read."""
        with self._transaction("cannot open store") as db:
            row = db.execute(_SCHEMA_SQL).fetchone()
            for sql in schema.steps(1 if row is None else int(row[0])):
                db.execute(sql)
            db.execute(
                "INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)",
                (str(schema.SCHEMA_VERSION),),
            )

    @contextlib.contextmanager
    def _transaction(self, failure: str) -> Iterator[sqlite3.Connection]:
        """One write transaction, its driver errors reported once as `failure URL: reason`."""
        with self._lock:
            db = self._db
            try:
                db.execute("BEGIN IMMEDIATE")
                yield db
                db.execute("COMMIT")
            except sqlite3.Error as exc:
                _roll_back(db)
                raise _error(f"{failure} {self.url}", exc) from None
            except BaseException:
                _roll_back(db)
                raise

    def _append_batches(self, batches, recorded_at):
        if self._read_only:  # said plainly: an older file's view would say "a view" instead
            raise StoreError(f"cannot write to {self.url}: the store was opened read-only")
        with self._transaction("cannot write to") as db:
            return write_batches(
                batches,
                db.execute(_HEAD_SQL).fetchall(),
                recorded_at,
                lambda stream: db.execute(_VERSION_SQL, (stream,)).fetchone()[0],
                lambda stream, ids: _existing(db, stream, ids),
                _inserter(db),
            )

    def _read(self, sql: str, params: tuple) -> list[tuple]:
        try:
            with self._lock:
                return self._db.execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            raise _error(f"cannot read {self.url}", exc) from None

    def _page(self, stream, start, types, limit):
        if stream is not None:
            sql = (
                f"SELECT {schema.SELECTED} FROM events WHERE stream = ? AND version >= ? "
                "ORDER BY version LIMIT ?"
            )
            return self._read(sql, (stream, start, limit))
        if types is None:
            sql = (
                f"SELECT {schema.SELECTED} FROM events WHERE position >= ? "
                "ORDER BY position LIMIT ?"
            )
            return self._read(sql, (start, limit))
        marks = ",".join("?" * len(types))  # placeholders only; the names travel as parameters
        sql = (
            f"SELECT {schema.SELECTED} FROM events WHERE position >= ? AND type IN ({marks}) "
            "ORDER BY position LIMIT ?"
        )
        return self._read(sql, (start, *types, limit))

    def version(self, stream: str) -> int:
        return self._read(_VERSION_SQL, (stream,))[0][0]

    def streams(self) -> list[str]:
        return [row[0] for row in self._read("SELECT DISTINCT stream FROM events ORDER BY 1", ())]

    def _table_problem(self):
        found = {row[1]: row[2] for row in self._read("PRAGMA main.table_info(events)", ())}
        return schema.table_problem(found, _TYPES, self._schema_version)

    def close(self) -> None:
        self._db.close()


def _existing(db: sqlite3.Connection, stream: str, ids: list[str]) -> dict[str, int]:
    """The positions of those of *ids* that *stream* already holds."""
    found: dict[str, int] = {}
    for start in range(0, len(ids), 500):  # under SQLite's limit on bound parameters
        chunk = ids[start : start + 500]
        marks = ",".join("?" * len(chunk))  # placeholders only; the ids travel as parameters
        sql = f"SELECT event_id, position FROM events WHERE stream = ? AND event_id IN ({marks})"
        found.update(db.execute(sql, (stream, *chunk)).fetchall())
    return found


def _inserter(db: sqlite3.Connection):
    """What inserts a stream's rows: one executemany, drawing them a slice at a time."""

    def insert(slices, metadata):
        rows = itertools.chain.from_iterable(slices)
        if metadata is None:
            db.executemany(_INSERT, rows)
        else:
            db.executemany(_INSERT_WITH_METADATA, ((*row, metadata) for row in rows))

    return insert


def _roll_back(db: sqlite3.Connection) -> None:
    """Roll back the open transaction, if SQLite has not already: after some errors (a full
    disk, an I/O error) it has, and a second ROLLBACK would hide the first error behind its
    own "no transaction is active"."""
    if db.in_transaction:
        db.execute("ROLLBACK")
