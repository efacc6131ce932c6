"""The SQLite backend (`sqlite:///path.db`), the embedded default: one file, WAL, no server.

One table holds every record; UNIQUE(stream, version) both guards the per-stream order and
serves stream reads; an index on (type, position) serves type-filtered reads. Each append (of
one stream or many) is one `BEGIN IMMEDIATE` transaction (the write lock is taken before the
version checks, so two writers cannot both pass one) with one `executemany` insert a stream.
WAL with synchronous=NORMAL: a killed process never loses a committed append nor leaves a
partial one; an operating-system crash may lose the last commits, never corrupt the file (see
docs/operations.md). Schema version 2 added the `metadata` column; a version-1 file is
migrated when opened for writing and read as it is (metadata NULL) when opened read-only.
"""

from __future__ import annotations

import itertools
import sqlite3
import threading
from urllib.parse import quote

from simulator.errors import StoreError
from simulator.store.base import GENESIS, EventStore, write_batches

SCHEMA_VERSION = 2  # 2: the metadata column

_V1_COLUMNS = (
    "position, stream, version, type, schema, occurred_at, recorded_at, causation, payload, hash"
)
_COLUMNS = f"{_V1_COLUMNS}, metadata"

# The tables as schema version 1 made them. A new store is made so and then migrated like an
# old one (`_ADD_METADATA`), so the two cannot differ.
_DDL = """
CREATE TABLE IF NOT EXISTS events (
    position INTEGER PRIMARY KEY,
    stream TEXT NOT NULL,
    version INTEGER NOT NULL,
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
# A version-1 file opened read-only is read through this view (in the connection's temporary
# schema, which names resolve first): the metadata column reads NULL and the file is untouched.
_V1_VIEW = f"CREATE TEMP VIEW events AS SELECT {_V1_COLUMNS}, NULL AS metadata FROM main.events"

# Rows without metadata go in without the column (it is then NULL): a column less to bind.
_INSERT = f"INSERT INTO events ({_V1_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?)"
_INSERT_WITH_METADATA = f"INSERT INTO events ({_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?)"
_VERSION_SQL = "SELECT COALESCE(MAX(version) + 1, 0) FROM events WHERE stream = ?"
_HEAD_SQL = "SELECT position, hash FROM events ORDER BY position DESC LIMIT 1"
_SCHEMA_SQL = "SELECT value FROM meta WHERE key = 'schema_version'"


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
                self._db.executescript(_DDL)
            self._check_schema(create)
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open store {self.url}: {exc}") from None

    def _check_schema(self, create: bool) -> None:
        row = self._db.execute(_SCHEMA_SQL).fetchone()
        if row is None and not create:
            raise StoreError(f"{self.url} is not a diplosim store (no schema version)")
        version = 1 if row is None else int(row[0])  # a new store's tables are version 1's
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"store {self.url} has schema version {row[0]}, newer than this diplosim "
                f"understands ({SCHEMA_VERSION}); upgrade diplosim to read it"
            )
        if version < SCHEMA_VERSION:
            if create:
                self._migrate()
            else:
                self._db.execute(_V1_VIEW)

    def _migrate(self) -> None:
        """Bring a version-1 store (new or old) to the current schema, in one transaction;
        another process may have done it since the version was read."""
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        try:
            row = db.execute(_SCHEMA_SQL).fetchone()
            if row is None or int(row[0]) < SCHEMA_VERSION:
                db.execute(_ADD_METADATA)
                db.execute(
                    "INSERT OR REPLACE INTO meta VALUES ('schema_version', ?)",
                    (str(SCHEMA_VERSION),),
                )
            db.execute("COMMIT")
        except BaseException:
            _roll_back(db)
            raise

    def _append_batches(self, batches, recorded_at):
        if self._read_only:  # said plainly: a version-1 file's view would say "a view" instead
            raise StoreError(f"cannot write to {self.url}: the store was opened read-only")
        with self._lock:
            db = self._db
            try:
                db.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise StoreError(f"cannot write to {self.url}: {exc}") from None
            try:
                last = db.execute(_HEAD_SQL).fetchone()
                written = write_batches(
                    batches,
                    last[0] + 1 if last else 0,
                    last[1] if last else GENESIS,
                    recorded_at,
                    lambda stream: db.execute(_VERSION_SQL, (stream,)).fetchone()[0],
                    _inserter(db),
                )
                db.execute("COMMIT")
            except sqlite3.Error as exc:
                _roll_back(db)
                raise StoreError(f"cannot write to {self.url}: {exc}") from None
            except BaseException:
                _roll_back(db)
                raise
            return written

    def _page(self, stream, start, types, limit):
        try:
            with self._lock:
                return self._select(stream, start, types, limit)
        except sqlite3.Error as exc:
            raise StoreError(f"cannot read {self.url}: {exc}") from None

    def _select(self, stream, start, types, limit):
        if stream is not None:
            sql = (
                f"SELECT {_COLUMNS} FROM events WHERE stream = ? AND version >= ? "
                "ORDER BY version LIMIT ?"
            )
            return self._db.execute(sql, (stream, start, limit)).fetchall()
        if types is None:
            sql = f"SELECT {_COLUMNS} FROM events WHERE position >= ? ORDER BY position LIMIT ?"
            return self._db.execute(sql, (start, limit)).fetchall()
        marks = ",".join("?" * len(types))  # placeholders only; the names travel as parameters
        sql = (
            f"SELECT {_COLUMNS} FROM events WHERE position >= ? AND type IN ({marks}) "
            "ORDER BY position LIMIT ?"
        )
        return self._db.execute(sql, (start, *types, limit)).fetchall()

    def version(self, stream: str) -> int:
        with self._lock:
            (current,) = self._db.execute(_VERSION_SQL, (stream,)).fetchone()
        return current

    def streams(self) -> list[str]:
        with self._lock:
            rows = self._db.execute("SELECT DISTINCT stream FROM events ORDER BY 1").fetchall()
        return [row[0] for row in rows]

    def close(self) -> None:
        self._db.close()


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
