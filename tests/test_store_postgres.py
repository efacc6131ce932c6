"""The store contract on the PostgreSQL backend, plus what only a shared server can show.

Each store lives in a schema of its own in the session's throwaway server (tests/pg_server.py);
without PostgreSQL these tests are skipped, except in CI.
"""

from __future__ import annotations

import itertools
import os
import re
import shutil
import tempfile
import threading
import time
from datetime import date
from pathlib import Path
from urllib.parse import unquote

import psycopg
import pytest

from simulator import events
from simulator.errors import ConcurrencyError, StoreError
from simulator.redaction import redact_url as redact
from simulator.store import open_store
from simulator.store.chain import GENESIS, chain, record_hash
from simulator.store.mapping import prepare
from simulator.store.postgres import PostgresStore, _escape
from tests import pg_server as server_module
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

_server: dict = {}
_numbers = itertools.count()


@pytest.fixture(autouse=True, scope="module")
def _shared_server(pg_server):
    admin = psycopg.connect(pg_server.url(), autocommit=True)
    _server.update(server=pg_server, admin=admin)
    yield
    admin.close()
    _server.clear()


def _schema_of(url: str) -> str:
    return re.search(r"search_path=(\w+)", unquote(url)).group(1)


def fresh():
    name = f"contract{next(_numbers)}"
    _server["admin"].execute(f"CREATE SCHEMA {name}")  # a generated identifier
    return open_store(_server["server"].url(f"-csearch_path={name}"))


def reopen(store):
    store.close()
    return open_store(store.url)


def discard(store):
    store.close()
    _server["admin"].execute(f"DROP SCHEMA {_schema_of(store.url)} CASCADE")


def tamper(store, position, column, value):
    # *column* is one of the contract's fixed column names; the value is a parameter, written
    # as the store writes it (a causation holding NUL is stored escaped).
    if column == "causation" and isinstance(value, str) and "\x00" in value:
        value = _escape(value)
    with psycopg.connect(store.url, autocommit=True) as db:
        db.execute(f"UPDATE events SET {column} = %s WHERE position = %s", (value, position))


class TestPostgresStoreContract(StoreContract):
    fresh = staticmethod(fresh)
    tamper = staticmethod(tamper)
    discard = staticmethod(discard)


class PostgresStoreMachine(StoreMachine):
    fresh = staticmethod(fresh)
    dispose = staticmethod(discard)
    reopen_store = staticmethod(reopen)


class TestPostgresStoreMachine(PostgresStoreMachine.TestCase):
    settings = MACHINE_SETTINGS


@pytest.fixture
def raw(pg_url):
    """Direct SQL on the test store's schema."""
    with psycopg.connect(pg_url, autocommit=True) as db:
        yield db


def test_the_schema_is_created_on_first_use_with_its_guards(pg_url, raw):
    open_store(pg_url).close()
    assert raw.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone() == ("3",)
    columns = raw.execute(
        "SELECT column_name, data_type, is_nullable FROM information_schema.columns "
        "WHERE table_name = 'events' AND table_schema = current_schema() ORDER BY ordinal_position"
    ).fetchall()
    assert [c[0] for c in columns] == [*COLUMNS]
    assert columns[-2:] == [("metadata", "text", "YES"), ("event_id", "text", "YES")]
    constraints = raw.execute(
        "SELECT contype, array_agg(a.attname::text ORDER BY a.attname) FROM pg_constraint c "
        "JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = ANY(c.conkey) "
        "WHERE c.conrelid = 'events'::regclass GROUP BY c.oid, contype"
    ).fetchall()
    assert sorted(constraints) == [("p", ["position"]), ("u", ["stream", "version"])]
    indexes = {
        r[0] for r in raw.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'events'")
    }
    assert {"events_by_type", "events_by_id"} <= indexes
    open_store(pg_url).close()  # a second open finds the schema and leaves it be


@pytest.mark.parametrize("cause", ["NUL\x00", "\x00", "\x1bescape", "\x1b", '\x1b"x"', "plain"])
def test_a_causation_postgresql_text_cannot_hold_is_stored_exactly(pg_url, raw, cause):
    with open_store(pg_url) as store:
        store.append("a", [offensive(1), offensive(2)], causation=[cause, "next"])
        assert [r.causation for r in store.read("a")] == [cause, "next"]
        assert [r.causation for r in store.read_all()] == [cause, "next"]
        assert store.verify().ok
        (stored,) = raw.execute("SELECT causation FROM events WHERE position = 0").fetchone()
        assert stored == (cause if cause == "plain" else _escape(cause))
        raw.execute("UPDATE events SET causation = %s WHERE position = 0", (stored + "x",))
        assert store.verify().first_bad_position == 0


def test_a_store_from_a_newer_diplosim_is_refused(pg_url, raw):
    open_store(pg_url).close()
    raw.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
    with pytest.raises(StoreError, match="schema version 99, newer than this diplosim"):
        open_store(pg_url)


V1_DDL = v1_ddl("BIGINT")


def _make_v1_store(raw) -> None:
    """A store as diplosim wrote it before metadata: its tables and three chained records."""
    raw.execute(V1_DDL)
    prepared = prepare([offensive(1), offensive(2), offensive(3)], ["x", None, "y"])
    without_ids = [(*entry[:5], None) for entry in prepared]  # ids came with version 3
    rows = chain("a", 0, 0, GENESIS, without_ids, "2024-01-01T00:00:00.000000+00:00")
    with raw.cursor() as cur:
        cur.executemany(
            "INSERT INTO events VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s)", [r[:10] for r in rows]
        )


def test_a_version_1_store_is_migrated_when_opened_and_its_records_still_verify(pg_url, raw):
    _make_v1_store(raw)
    with open_store(pg_url) as store:
        assert raw.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone() == (
            "3",
        )
        assert store.verify() == type(store.verify())(True, None, 3)
        assert [(r.causation, r.metadata, r.meta) for r in store.read("a")] == [
            ("x", None, {}),
            (None, None, {}),
            ("y", None, {}),
        ]
        assert store.append("a", [offensive(4)], expected_version=3, metadata={"k": 1}) == [3]
        assert store.verify().ok
    with open_store(pg_url) as store:  # a second open finds it done
        assert [r.meta for r in store.read("a", 3)] == [{"k": 1}] and store.verify().ok


def test_many_opens_of_a_version_1_store_at_once_migrate_it_once(pg_url, raw):
    _make_v1_store(raw)
    assert at_once(open_and_count, pg_url) == [3] * 4


def test_a_version_1_store_opened_by_a_role_that_cannot_migrate_it_says_who_can(pg_url, raw):
    _make_v1_store(raw)
    schema = _schema_of(pg_url)
    reader = f"reader_{schema}"
    raw.execute(f"CREATE ROLE {reader} LOGIN")
    raw.execute(f"GRANT USAGE ON SCHEMA {schema} TO {reader}")
    raw.execute(f"GRANT SELECT ON events, meta TO {reader}")
    with pytest.raises(StoreError) as caught:
        open_store(pg_url.replace("postgres@", f"{reader}@"))
    message = str(caught.value)
    assert message.startswith(
        f"cannot open store {redact(pg_url).replace('postgres@', reader + '@')}"
    )
    assert "schema version 1" in message and "open it once as the owner" in message
    assert "\n" not in message
    assert raw.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone() == ("1",)


def test_two_stores_on_one_database_see_each_others_appends(pg_url):
    with open_store(pg_url) as one, open_store(pg_url) as two:
        one.append("a", [offensive(1)], expected_version=0)
        assert [r.event for r in two.read("a")] == [offensive(1)]
        with pytest.raises(ConcurrencyError, match="at version 1, not 0"):
            two.append("a", [offensive(2)], expected_version=0)
        assert two.append("a", [offensive(2)], expected_version=1) == [1]
        assert one.verify().checked == 2


def _open_and_append(url, start, queue):
    start.wait()
    with open_store(url) as store:  # a different event in each process, not one event four times
        store.append("a", [offensive(1, troops=os.getpid())])
        queue.put("ok")


def test_many_first_opens_at_once_create_the_schema_once(pg_url):
    assert at_once(_open_and_append, pg_url) == ["ok"] * 4
    with open_store(pg_url) as store:
        assert store.verify().checked == 4


def test_appends_wait_for_the_append_lock(pg_url):
    with open_store(pg_url) as store, psycopg.connect(pg_url) as other:
        store.append("a", [offensive(1)])
        other.execute("SELECT pg_advisory_xact_lock(%s)", (store._lock_key,))  # other's txn
        done = []
        writer = threading.Thread(target=lambda: done.append(store.append("a", [offensive(2)])))
        writer.start()
        time.sleep(0.3)
        assert done == [], "an append went ahead while another writer held the lock"
        other.commit()
        writer.join(10)
        assert done == [[1]]


def test_an_append_reads_the_head_committed_while_it_waited_for_the_lock(pg_url):
    # The lock and the head read go to the server together; the read must still see what the
    # lock's holder committed, or the append would reuse its position.
    with open_store(pg_url) as store, psycopg.connect(pg_url) as other:
        store.append("a", [offensive(1)])
        (row,) = [tuple(r) for r in store.read_all()]
        other.execute("SELECT pg_advisory_xact_lock(%s)", (store._lock_key,))
        following = (1, "b", 0, *row[3:9])
        with other.cursor() as cur:
            cur.execute(
                "INSERT INTO events VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                (*following, record_hash(row[9], following)),
            )
        done = []
        writer = threading.Thread(target=lambda: done.append(store.append("a", [offensive(2)])))
        writer.start()
        time.sleep(0.3)
        assert done == []
        other.commit()
        writer.join(10)
        assert done == [[2]]
        assert store.verify().ok


def test_a_bad_event_after_the_first_slice_writes_nothing_and_is_named(pg_url):
    bad_text = events.Statement(
        occurred_at=date(2020, 1, 1), speaker="AAA", kind="comment", text="\ud800"
    )
    batch = [offensive(1 + i % 28) for i in range(450)]
    with open_store(pg_url) as store:
        with pytest.raises(StoreError, match="^stream 'a': event 321: not a catalogue event"):
            store.append("a", batch[:321] + [{"type": "Offensive"}] + batch[321:])
        with pytest.raises(StoreError, match="^stream 'a': event 250: text is not valid Unicode"):
            store.append("a", batch[:250] + [bad_text] + batch[250:], expected_version=0)
        with pytest.raises(StoreError, match="^stream 'a': event 150: causation must be text"):
            store.append("a", batch, causation=[None] * 150 + [5] + [None] * 299)
        assert store.version("a") == 0
        assert store.append("a", batch, expected_version=0) == list(range(450))
        assert store.verify().ok


def test_a_failed_insert_rolls_back_the_whole_batch(pg_url, raw):
    with open_store(pg_url) as store:
        store.append("a", [offensive(1)])
        raw.execute(
            "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS "
            "$$ BEGIN IF NEW.version = 3 THEN RAISE EXCEPTION 'refused'; END IF; "
            "RETURN NEW; END $$"
        )
        raw.execute(
            "CREATE TRIGGER refuse BEFORE INSERT ON events FOR EACH ROW EXECUTE FUNCTION refuse()"
        )
        with pytest.raises(StoreError, match="cannot write to .*refused"):
            store.append("a", [offensive(2), offensive(3), offensive(4)], expected_version=1)
        assert [r.version for r in store.read("a")] == [0]
        assert store.append("a", [offensive(2)], expected_version=1) == [1]
        assert store.verify().ok


def test_a_lost_connection_is_a_store_error_and_the_next_call_connects_again(pg_url, raw):
    store = PostgresStore(pg_url)
    store.append("a", [offensive(1)])
    raw.execute("SELECT pg_terminate_backend(%s)", (store._db.info.backend_pid,))
    with pytest.raises(StoreError, match="cannot write to postgresql://") as caught:
        store.append("a", [offensive(2)])
    assert "\n" not in str(caught.value)
    assert store.append("a", [offensive(2)], expected_version=1) == [1]
    raw.execute("SELECT pg_terminate_backend(%s)", (store._db.info.backend_pid,))
    with pytest.raises(StoreError, match="cannot read postgresql://"):
        store.version("a")
    assert [r.version for r in store.read("a")] == [0, 1]
    store.close()


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("postgresql://someone:s3cret@127.0.0.1:1/diplosim", "failed"),
        ("postgresql://postgres:s3cret@127.0.0.1:{port}/no_such_db", "no_such_db"),
        ("postgresql://127.0.0.1:{port}/diplosim?password=s3cret&sslmode=nonsense", "sslmode"),
    ],
)
def test_a_url_that_does_not_open_is_named_without_its_password(pg_server, url, reason):
    url = url.format(port=pg_server.port)
    with pytest.raises(StoreError) as caught:
        open_store(url)
    message = str(caught.value)
    assert message.startswith(f"cannot open store {redact(url)}: ")
    assert reason in message
    assert "s3cret" not in message and "\n" not in message


def test_redact_hides_passwords_only():
    assert (
        redact("postgresql://u:pw@h:5/db?sslmode=require")
        == "postgresql://u:***@h:5/db?sslmode=require"
    )
    assert redact("postgres://u@h/db?password=pw") == "postgres://u@h/db?password=***"
    assert redact("postgresql:///db") == "postgresql:///db"


def test_the_documented_grants_make_an_append_only_writer_and_a_reader(pg_url, raw):
    open_store(pg_url).close()  # the owner creates the tables
    schema = _schema_of(pg_url)
    writer, reader = f"writer_{schema}", f"reader_{schema}"  # roles are server-wide
    for role in (writer, reader):
        raw.execute(f"CREATE ROLE {role} LOGIN")
        raw.execute(f"GRANT USAGE ON SCHEMA {schema} TO {role}")
    # As docs/operations.md says, and nothing more.
    raw.execute(f"GRANT SELECT, INSERT ON events TO {writer}")
    raw.execute(f"GRANT SELECT ON meta TO {writer}")
    raw.execute(f"GRANT SELECT ON events, meta TO {reader}")
    writer_url = pg_url.replace("postgres@", f"{writer}@")
    reader_url = pg_url.replace("postgres@", f"{reader}@")
    with open_store(writer_url) as store:
        assert store.append("a", [offensive(1), offensive(2)], expected_version=0) == [0, 1]
        assert store.append_many({"b": ([offensive(3)], 0), "c": ([offensive(4)], 0)}) == {
            "b": [2],
            "c": [3],
        }
        assert store.verify().ok
    with open_store(reader_url) as store:
        assert [r.version for r in store.read("a")] == [0, 1]
        with pytest.raises(StoreError, match="cannot write to .*permission denied"):
            store.append_many({"d": ([offensive(3)], 0)})
        with pytest.raises(StoreError, match="cannot write to .*permission denied"):
            store.append("a", [offensive(3)])
    with psycopg.connect(writer_url) as db, pytest.raises(psycopg.errors.InsufficientPrivilege):
        db.execute("UPDATE events SET payload = '{}'")
    with psycopg.connect(writer_url) as db, pytest.raises(psycopg.errors.InsufficientPrivilege):
        db.execute("DELETE FROM events")


def test_user_values_reach_the_server_only_as_parameters(pg_server, pg_url_factory):
    marker = "m4rk'; DROP TABLE events; --"
    url = pg_url_factory(log_statement="all")
    with open_store(url) as store:
        store.append(marker, [offensive(1)], causation=[marker], expected_version=0)
        assert store.version(marker) == 1
        assert [r.stream for r in store.read(marker)] == [marker]
        assert list(store.read_all(types=[marker])) == []
    time.sleep(0.2)  # the server's log is written asynchronously
    entries = re.split(r"\n(?=\d{4}-\d\d-\d\d )", pg_server.log.read_text())
    statements = [e for e in entries if " LOG:  statement: " in e or " LOG:  execute " in e]
    parameters = [e for e in entries if " DETAIL:  parameters: " in e]
    assert statements and not [e for e in statements if marker in e]
    assert [e for e in parameters if marker.replace("'", "''") in e]  # it did travel, as data


def test_without_the_server_the_tests_skip_with_how_to_run_them(monkeypatch):
    monkeypatch.setattr(server_module, "find_bindir", lambda: None)
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="apt-get install postgresql"):
        server_module.require_bindir()
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI=true and no PostgreSQL server"):
        server_module.require_bindir()


def test_the_files_of_a_killed_test_run_are_swept_and_a_running_one_kept():
    made = {}
    for name, pid in (("stale", "999999999"), ("running", str(os.getpid())), ("young", "")):
        root = Path(tempfile.mkdtemp(prefix="diplosim-pg-"))
        (root / "data").mkdir()
        (root / "data" / "postmaster.pid").write_text(f"{pid}\n/some/dir\n")
        if name != "young":
            os.utime(root, (time.time() - 3600, time.time() - 3600))
        made[name] = root
    server_module.sweep()
    assert {name: root.exists() for name, root in made.items()} == {
        "stale": False,
        "running": True,
        "young": True,
    }
    for root in made.values():
        shutil.rmtree(root, ignore_errors=True)


def test_an_append_waits_for_a_stopped_writer_s_lock_only_as_long_as_lock_timeout(
    pg_url_factory,
):
    url = pg_url_factory(lock_timeout="300ms")
    store = open_store(url)
    store.append("s", [offensive()], expected_version=0)
    holder = psycopg.connect(url)  # a writer stopped in the middle of its append
    holder.execute("SELECT pg_advisory_xact_lock(%s)", (store._lock_key,))
    try:
        with pytest.raises(StoreError, match="another writer held the append lock"):
            store.append("s", [offensive()], expected_version=1)
    finally:
        holder.rollback()
        holder.close()
    assert store.version("s") == 1
    store.append("s", [offensive()], expected_version=1)  # the lock released: it goes on
    store.close()


def test_a_store_url_without_timeouts_gets_the_defaults(pg_url):
    store = open_store(pg_url.replace("-clock_timeout", "-cunused"))
    shown = store._db.execute("SHOW lock_timeout").fetchone()[0]
    assert shown in ("30s", "30000ms")
    store.close()


def test_a_subscriber_is_woken_by_the_append_s_notify_not_by_polling(pg_url):
    with open_store(pg_url) as store, open_store(pg_url) as writer:
        records = store.subscribe(poll_interval=30)  # a poll would come after 30 s
        started = time.monotonic()
        later = threading.Timer(0.3, writer.append, ("a", [offensive(1)]))
        later.start()
        assert next(records).position == 0
        assert time.monotonic() - started < 10
        later.join()
        records.close()


def test_a_lost_connection_is_a_transient_error_and_the_next_call_reconnects(pg_url, raw):
    from simulator.errors import TransientStoreError

    with open_store(pg_url) as store:
        store.append("a", [offensive(1)])
        (pid,) = store._db.execute("SELECT pg_backend_pid()").fetchone()
        raw.execute("SELECT pg_terminate_backend(%s)", (pid,))
        with pytest.raises(TransientStoreError, match="cannot read"):
            store.version("a")
        assert store.version("a") == 1
