"""The store contract on the SQLite backend, plus what only a file on disk can show."""

from __future__ import annotations

import hashlib
import itertools
import json
import multiprocessing
import shutil
import sqlite3
import tempfile
from datetime import date
from pathlib import Path

import pytest

from simulator import events
from simulator.errors import ConcurrencyError, StoreError
from simulator.store import open_store
from simulator.store.chain import GENESIS, chain
from simulator.store.mapping import prepare
from simulator.store.sqlite import SQLiteStore
from tests.store_contract import (
    COLUMNS,
    MACHINE_SETTINGS,
    StoreContract,
    StoreMachine,
    at_once,
    offensive,
    open_and_count,
    v1_ddl,
)

_ROOT = Path(tempfile.mkdtemp(prefix="diplosim-sqlite-tests-"))
_numbers = itertools.count()


def fresh():
    return open_store(f"sqlite:///{_ROOT / f'store{next(_numbers)}.db'}")


def reopen(store):
    store.close()
    return open_store(store.url)


def discard(store):
    store.close()
    path = Path(store.url[len("sqlite:///") :])
    for suffix in ("", "-wal", "-shm"):
        path.with_name(path.name + suffix).unlink(missing_ok=True)


def tamper(store, position, column, value):
    with sqlite3.connect(store.url[len("sqlite:///") :], isolation_level=None) as db:
        db.execute(f"UPDATE events SET {column} = ? WHERE position = ?", (value, position))


class TestSQLiteStoreContract(StoreContract):
    fresh = staticmethod(fresh)
    tamper = staticmethod(tamper)
    discard = staticmethod(discard)


class SQLiteStoreMachine(StoreMachine):
    fresh = staticmethod(fresh)
    dispose = staticmethod(discard)
    reopen_store = staticmethod(reopen)


class TestSQLiteStoreMachine(SQLiteStoreMachine.TestCase):
    settings = MACHINE_SETTINGS


def teardown_module():
    shutil.rmtree(_ROOT, ignore_errors=True)


@pytest.fixture
def path(tmp_path):
    return tmp_path / "nk.db"


def test_the_file_is_in_wal_mode_with_a_unique_stream_version_and_indexes(path):
    SQLiteStore(str(path)).close()
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    indexes = {row[1]: row for row in db.execute("PRAGMA index_list(events)")}
    unique = [name for name, row in indexes.items() if row[2] == 1]
    columns = [[col[2] for col in db.execute(f"PRAGMA index_info({name!r})")] for name in unique]
    assert sorted(columns) == [["stream", "event_id"], ["stream", "version"]]
    assert "events_by_type" in indexes


def test_records_survive_reopening_the_file(path):
    url = f"sqlite:///{path}"
    with open_store(url) as store:
        store.append("history", [offensive(1), offensive(2)], expected_version=0)
    with open_store(url) as store:
        assert [r.event for r in store.read("history")] == [offensive(1), offensive(2)]
        assert store.append("history", [offensive(3)], expected_version=2) == [2]
        assert store.verify().ok


def _append_from_another_process(url, expected, queue, troops=100):
    with open_store(url) as store:
        try:  # a different event in each process: the same one would be one event, retried
            store.append("a", [offensive(9, troops)], expected_version=expected)
            queue.put("won")
        except ConcurrencyError:
            queue.put("lost")


def test_two_processes_appending_at_the_same_version_cannot_both_succeed(path):
    url = f"sqlite:///{path}"
    with open_store(url) as store:
        store.append("a", [offensive(1)])
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    workers = [
        context.Process(target=_append_from_another_process, args=(url, 1, queue, 100 + n))
        for n in range(4)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(30)
    assert sorted(queue.get(timeout=5) for _ in workers) == ["lost"] * 3 + ["won"]
    with open_store(url) as store:
        assert [r.version for r in store.read("a")] == [0, 1]
        assert store.verify().ok


def test_a_deleted_record_is_reported_at_its_position(path):
    url = f"sqlite:///{path}"
    with open_store(url) as store:
        store.append("a", [offensive(d) for d in range(1, 6)])
    with sqlite3.connect(path) as db:
        db.execute("DELETE FROM events WHERE position = 3")
    with open_store(url) as store:
        result = store.verify()
        assert (result.ok, result.first_bad_position, result.checked) == (False, 3, 3)


def test_a_failed_insert_rolls_back_the_whole_batch(path):
    url = f"sqlite:///{path}"
    with open_store(url) as store:
        store.append("a", [offensive(1)])
    with sqlite3.connect(path) as db:  # a trigger makes the third insert of the next batch fail
        db.execute(
            "CREATE TRIGGER refuse BEFORE INSERT ON events WHEN NEW.version = 3 "
            "BEGIN SELECT RAISE(ABORT, 'refused'); END"
        )
    with open_store(url) as store:
        with pytest.raises(StoreError, match="cannot write to .*refused"):
            store.append("a", [offensive(2), offensive(3), offensive(4)], expected_version=1)
        with pytest.raises(StoreError, match="cannot write to .*refused"):
            store.append_many({"b": ([offensive(2)], 0), "a": ([offensive(3)] * 3, 1)})
        assert [r.stream for r in store.read_all()] == ["a"]
        assert store.verify().ok


def test_a_store_from_a_newer_diplosim_is_refused(path):
    SQLiteStore(str(path)).close()
    with sqlite3.connect(path) as db:
        db.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    with pytest.raises(StoreError, match=r"schema version 99, newer than .* \(3\)"):
        open_store(f"sqlite:///{path}")
    with pytest.raises(StoreError, match="schema version 99, newer than"):
        open_store(f"sqlite:///{path}", create=False)


def test_a_new_store_has_schema_version_3_and_nullable_metadata_and_id_columns(path):
    SQLiteStore(str(path)).close()
    db = sqlite3.connect(path)
    assert db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone() == ("3",)
    columns = db.execute("PRAGMA table_info(events)").fetchall()
    assert [c[1] for c in columns] == [*COLUMNS]
    assert [c[1:4] for c in columns[-2:]] == [("metadata", "TEXT", 0), ("event_id", "TEXT", 0)]


V1_DDL = v1_ddl("INTEGER")


def _make_v1_store(path: Path) -> str:
    """A store file as diplosim wrote it before metadata (WAL mode, three chained records)."""
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.executescript(V1_DDL)
    prepared = prepare([offensive(1), offensive(2), offensive(3)], ["x", None, "y"])
    without_ids = [(*entry[:5], None) for entry in prepared]  # ids came with version 3
    rows = chain("a", 0, 0, GENESIS, without_ids, "2024-01-01T00:00:00.000000+00:00")
    db.executemany("INSERT INTO events VALUES (?,?,?,?,?,?,?,?,?,?)", [r[:10] for r in rows])
    db.close()
    return f"sqlite:///{path}"


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_version_1_store_opened_for_writing_is_migrated_and_still_verifies(path):
    url = _make_v1_store(path)
    with open_store(url) as store:
        assert store.verify() == type(store.verify())(True, None, 3)
        assert [(r.causation, r.metadata, r.event_id) for r in store.read("a")] == [
            ("x", None, None),
            (None, None, None),
            ("y", None, None),
        ]
        assert store.append("a", [offensive(4)], expected_version=3, metadata={"k": 1}) == [3]
        assert store.read("a", 3).__next__().event_id is not None
    db = sqlite3.connect(path)
    assert db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone() == ("3",)
    assert [c[1] for c in db.execute("PRAGMA table_info(events)")] == [*COLUMNS]
    db.close()
    with open_store(url, create=False) as store:  # now read as version 3
        assert [r.meta for r in store.read("a", 3)] == [{"k": 1}] and store.verify().ok


def test_a_version_1_store_opened_read_only_is_read_as_it_is_and_left_unchanged(path, capsys):
    from simulator.cli import main

    url = _make_v1_store(path)
    before = _digest(path)
    with open_store(url, create=False) as store:
        assert [(r.version, r.metadata, r.event_id) for r in store.read("a")] == [
            (0, None, None),
            (1, None, None),
            (2, None, None),
        ]
        assert [r.position for r in store.read_all(1, types=["Offensive"])] == [1, 2]
        assert store.verify() == type(store.verify())(True, None, 3)
        with pytest.raises(StoreError, match="cannot write to .*: the store was opened read-only"):
            store.append("a", [offensive(4)])
    assert main(["events", "export", "--store", url, "--records"]) == 0
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["metadata"] for r in records] == [None, None, None]
    assert _digest(path) == before
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    assert db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone() == ("1",)
    db.close()


def test_many_opens_of_a_version_1_store_at_once_migrate_it_once(path):
    url = _make_v1_store(path)
    assert at_once(open_and_count, url) == [3] * 4
    with open_store(url) as store:
        assert store.verify().ok


def test_export_records_gives_the_metadata_as_an_object_or_null(path, capsys):
    from simulator.cli import main

    url = f"sqlite:///{path}"
    with open_store(url) as store:
        store.append_many({"a": ([offensive(1)], 0), "b": ([offensive(2)], 0)})
        store.append("c", [offensive(3)], metadata={"run": 2, "scenario": "nk"})
    assert main(["events", "export", "--store", url, "--records"]) == 0
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(r["stream"], r["metadata"]) for r in records] == [
        ("a", None),
        ("b", None),
        ("c", {"run": 2, "scenario": "nk"}),
    ]


def test_a_path_that_cannot_be_opened_is_a_store_error(tmp_path):
    with pytest.raises(StoreError, match="cannot open store sqlite:///.*/missing/x.db"):
        open_store(f"sqlite:///{tmp_path}/missing/x.db")


def test_reading_and_decoding_a_long_log_keeps_memory_flat(path):
    import tracemalloc

    with open_store(f"sqlite:///{path}") as store:
        batch = [
            events.Statement(
                occurred_at=date(2021, 1, 1), speaker="AAA", kind="comment", text="x" * 200
            )
        ] * 1000
        for _ in range(10):
            store.append("a", batch)
        tracemalloc.start()
        for record in store.read_all(batch_size=500):
            record.event  # noqa: B018
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    assert peak < 2_000_000  # 10,000 records of ~600 bytes each would take over 6 MB


def test_a_full_disk_is_reported_as_such_and_nothing_is_written(tmp_path):
    from simulator.errors import StoreError
    from simulator.store import open_store
    from tests.store_contract import offensive

    store = open_store(f"sqlite:///{tmp_path / 'small.db'}")
    store.append("s", [offensive()], expected_version=0)
    pages = store._db.execute("PRAGMA page_count").fetchone()[0]
    store._db.execute(f"PRAGMA max_page_count = {pages}")  # the disk is full from here
    big = [offensive() for _ in range(2000)]
    with pytest.raises(StoreError, match="database or disk is full"):
        store.append("s", big, expected_version=1)
    assert store.version("s") == 1
    assert not store._db.in_transaction
    store.close()
