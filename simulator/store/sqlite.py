"""The SQLite backend (`sqlite:///path.db`), the embedded default: one file, WAL, no server.

One table holds every record; UNIQUE(stream, version) both guards the per-stream order and
serves stream reads; an index on (type, position) serves type-filtered reads. Each append is
one `BEGIN IMMEDIATE` transaction (the write lock is taken before the version check, so two
writers cannot both pass it) with one `executemany` insert. WAL with synchronous=NORMAL: a
killed process never loses a committed append nor leaves a partial one; an operating-system
crash may lose the last commits, never corrupt the file (see docs/operations.md).
"""

from __future__ import annotations

import sqlite3
import threading
from urllib.parse import quote

from simulator.errors import ConcurrencyError, StoreError
from simulator.store.base import GENESIS, EventStore, chain

SCHEMA_VERSION = 1

_COLUMNS = (
    "position, stream, version, type, schema, occurred_at, recorded_at, causation, payload, hash"
)

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

_INSERT = f"INSERT INTO events ({_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?)"


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
        row = self._db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        if row is None and not create:
            raise StoreError(f"{self.url} is not a diplosim store (no schema version)")
        if row is None:
            self._db.execute(
                "INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),)
            )
        elif int(row[0]) > SCHEMA_VERSION:
            raise StoreError(
                f"store {self.url} has schema version {row[0]}, newer than this diplosim "
                f"understands ({SCHEMA_VERSION}); upgrade diplosim to read it"
            )

    def _append_rows(self, stream, slices, expected_version, recorded_at):
        with self._lock:
            return self._append_locked(stream, slices, expected_version, recorded_at)

    def _append_locked(self, stream, slices, expected_version, recorded_at):
        db = self._db
        try:
            db.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise StoreError(f"cannot write to {self.url}: {exc}") from None
        try:
            (current,) = db.execute(
                "SELECT COALESCE(MAX(version) + 1, 0) FROM events WHERE stream = ?", (stream,)
            ).fetchone()
            if expected_version is not None and expected_version != current:
                raise ConcurrencyError(
                    f"stream {stream!r} is at version {current}, not {expected_version}"
                )
            last = db.execute(
                "SELECT position, hash FROM events ORDER BY position DESC LIMIT 1"
            ).fetchone()
            position, previous = (last[0] + 1, last[1]) if last else (0, GENESIS)
            written = 0
            for prepared in slices:
                rows = chain(
                    stream, current + written, position + written, previous, prepared,
                    recorded_at, written,
                )  # fmt: skip
                db.executemany(_INSERT, rows)
                previous = rows[-1][9]
                written += len(rows)
            db.execute("COMMIT")
        except sqlite3.Error as exc:
            _roll_back(db)
            raise StoreError(f"cannot write to {self.url}: {exc}") from None
        except BaseException:
            _roll_back(db)
            raise
        return list(range(position, position + written))

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
            (current,) = self._db.execute(
                "SELECT COALESCE(MAX(version) + 1, 0) FROM events WHERE stream = ?", (stream,)
            ).fetchone()
        return current

    def streams(self) -> list[str]:
        with self._lock:
            rows = self._db.execute("SELECT DISTINCT stream FROM events ORDER BY 1").fetchall()
        return [row[0] for row in rows]

    def close(self) -> None:
        self._db.close()


def _roll_back(db: sqlite3.Connection) -> None:
    """Roll back the open transaction, if SQLite has not already: after some errors (a full
    disk, an I/O error) it has, and a second ROLLBACK would hide the first error behind its
    own "no transaction is active"."""
    if db.in_transaction:
        db.execute("ROLLBACK")
