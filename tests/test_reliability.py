"""What the stores promise under stress, on SQLite and PostgreSQL: killed writers, racing
writers, tampered records and hostile input.

Writers run in forked processes (cheap: the parent has already imported everything). Each one
reports an acknowledged batch by writing a line to a file *after* `append` returned, so a
batch it reports must be in the log, whatever happens to the writer next.
"""

from __future__ import annotations

import ast
import multiprocessing
import os
import random
import sqlite3
import time
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path

import pytest

from simulator.errors import ConcurrencyError, StoreError
from simulator.events import Statement
from simulator.store import open_store
from simulator.store.base import Verification

FORK = multiprocessing.get_context("fork")
DAY0 = date(2021, 1, 1)


def statement(label: str, day: int = 0, text: str | None = None) -> Statement:
    return Statement(
        occurred_at=DAY0 + timedelta(days=day), speaker="AAA", kind="comment",
        text=label if text is None else text,
    )  # fmt: skip


@pytest.fixture(params=["sqlite", "postgres"])
def store_url(request, tmp_path):
    """A fresh store's URL on each backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'log.db'}"
    return request.getfixturevalue("pg_url")


def _ack(path: Path, line: str) -> None:
    # One write() of a whole line to an O_APPEND file: lines from several writers never mix.
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT)
    try:
        os.write(fd, f"{line}\n".encode())
    finally:
        os.close(fd)


def _acks(path: Path) -> list[str]:
    return path.read_text().split() if path.exists() else []


def _wait_for(path: Path, line: str, process, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while line not in _acks(path):
        assert process.is_alive(), f"writer exited early (code {process.exitcode})"
        assert time.monotonic() < deadline, f"writer did not report {line!r}"
        time.sleep(0.001)


# --- crash ---------------------------------------------------------------------------------------


def _crash_writer(url: str, acks: Path, first_batch: int, seed: int) -> None:
    rng = random.Random(seed)
    store = open_store(url)
    _ack(acks, f"ready{first_batch}")
    deadline = time.monotonic() + 20  # never outlive a test that failed to kill it
    batch = first_batch
    while time.monotonic() < deadline:
        size = rng.randint(1, 8)
        labels = [f"{batch}:{i}/{size}" for i in range(size)]
        store.append("crash", [statement(label, batch) for label in labels], causation=labels)
        _ack(acks, str(batch))
        batch += 1


def _batches(url: str) -> dict[int, list]:
    """The records of each batch in the log, checked whole: all of it or none, in one piece."""
    found = defaultdict(list)
    with open_store(url) as store:
        for record in store.read_all():
            batch, rest = record.causation.split(":")
            found[int(batch)].append((record, rest))
    for batch, members in found.items():
        size = int(members[0][1].split("/")[1])
        assert [rest for _, rest in members] == [f"{i}/{size}" for i in range(size)], batch
        positions = [record.position for record, _ in members]
        versions = [record.version for record, _ in members]
        assert positions == list(range(positions[0], positions[0] + size)), batch
        assert versions == list(range(versions[0], versions[0] + size)), batch
    return found


def test_a_killed_writer_loses_no_acknowledged_batch_and_leaves_no_partial_one(store_url, tmp_path):
    rng = random.Random(20240917)
    acks = tmp_path / "acks"
    next_batch = 0
    acknowledged: set[int] = set()
    for kill in range(50):
        writer = FORK.Process(target=_crash_writer, args=(store_url, acks, next_batch, kill))
        writer.start()
        _wait_for(acks, f"ready{next_batch}", writer)
        time.sleep(rng.uniform(0, 0.05))
        writer.kill()  # SIGKILL: no cleanup, no rollback by the writer
        writer.join()
        acknowledged |= {int(line) for line in _acks(acks) if line.isdigit()}
        present = _batches(store_url)  # a fresh open, as after a restart
        missing = acknowledged - set(present)
        assert not missing, f"after kill {kill}: acknowledged batches lost: {sorted(missing)}"
        with open_store(store_url) as store:
            assert store.verify().ok, f"chain broken after kill {kill}"
        next_batch = max(present, default=-1) + 1
    assert len(acknowledged) >= 25, "the writers were mostly killed before they wrote anything"
    # Writing goes on after the last kill.
    with open_store(store_url) as store:
        before = store.version("crash")
        store.append("crash", [statement(f"{next_batch}:0/1")], causation=[f"{next_batch}:0/1"])
        assert store.version("crash") == before + 1
        assert store.verify().ok


# --- concurrency ---------------------------------------------------------------------------------


def _contender(url: str, acks: Path, who: int, count: int, start) -> None:
    rng = random.Random(who)
    store = open_store(url)
    start.wait()
    done = 0
    while done < count:
        size = rng.randint(1, 3)
        labels = [f"{who}.{done}.{i}" for i in range(size)]
        version = store.version("shared")
        try:
            store.append(
                "shared", [statement(label) for label in labels], version, causation=labels
            )
        except ConcurrencyError:
            _ack(acks, "conflict")
            continue
        _ack(acks, ",".join(labels))
        done += 1


def test_racing_writers_with_expected_version_leave_exactly_the_acknowledged_events(
    store_url, tmp_path
):
    acks = tmp_path / "acks"
    start = FORK.Event()
    writers = [
        FORK.Process(target=_contender, args=(store_url, acks, who, 25, start)) for who in range(4)
    ]
    for writer in writers:
        writer.start()
    start.set()
    for writer in writers:
        writer.join(timeout=120)
        assert writer.exitcode == 0
    lines = _acks(acks)
    acknowledged = [label for line in lines if line != "conflict" for label in line.split(",")]
    with open_store(store_url) as store:
        records = list(store.read("shared"))
        assert [r.version for r in records] == list(range(len(records)))
        stored = [r.causation for r in records]
        assert len(stored) == len(set(stored)), "an event was stored twice"
        assert sorted(stored) == sorted(acknowledged)
        assert [r.event.text for r in records] == stored
        assert store.verify() == Verification(True, None, len(records))
    # Each writer's own batches stay in its order.
    for who in range(4):
        mine = [s for s in stored if s.startswith(f"{who}.")]
        assert mine == sorted(mine, key=lambda s: tuple(map(int, s.split(".")[1:])))


def _stream_writer(url: str, who: int, count: int, start) -> None:
    store = open_store(url)
    start.wait()
    for n in range(count):
        store.append(f"w{who}", [statement(f"{who}.{n}.{i}") for i in range(1 + n % 4)])


def test_a_reader_following_read_all_never_skips_a_record_that_commits_later(store_url):
    start = FORK.Event()
    writers = [
        FORK.Process(target=_stream_writer, args=(store_url, w, 40, start)) for w in range(3)
    ]
    for writer in writers:
        writer.start()
    seen: list[int] = []
    with open_store(store_url) as store:
        start.set()
        while True:
            running = any(w.is_alive() for w in writers)
            seen += [r.position for r in store.read_all(seen[-1] + 1 if seen else 0)]
            if not running:
                break
        total = sum(store.version(f"w{w}") for w in range(3))
    for writer in writers:
        writer.join()
        assert writer.exitcode == 0
    assert seen == list(range(total)), "the follower skipped a record"


# --- tamper --------------------------------------------------------------------------------------


class Raw:
    """Direct SQL on a store's table, behind the store's back (parameters, never formatting)."""

    def __init__(self, url: str) -> None:
        if url.startswith("sqlite:///"):
            self._db = sqlite3.connect(url[len("sqlite:///") :], isolation_level=None)
            self.mark = "?"
        else:
            import psycopg

            self._db = psycopg.connect(url, autocommit=True)
            self.mark = "%s"

    def sql(self, text: str, params: tuple = ()) -> list[tuple]:
        cursor = self._db.execute(text.replace("?", self.mark), params)
        return cursor.fetchall() if cursor.description else []

    def close(self) -> None:
        self._db.close()


COLUMNS = (
    "position", "stream", "version", "type", "schema", "occurred_at", "recorded_at",
    "causation", "payload", "hash", "metadata",
)  # fmt: skip


def _altered(value, rng: random.Random):
    """*value* with one byte changed: one character of a text, one bit of a number."""
    if isinstance(value, int):
        return value ^ (1 << rng.randrange(16, 24))  # far from any real version or position
    index = rng.randrange(len(value))
    old = value[index]
    new = rng.choice([c for c in "0123456789abcdef'x\\" if c != old])
    return value[:index] + new + value[index + 1 :]


def _filled(url: str) -> int:
    with open_store(url) as store:
        for n in range(30):
            labels = [f"{n}.{i}" for i in range(1 + n % 3)]
            events = [statement(label, n) for label in labels]
            store.append(f"s{n % 4}", events, causation=labels, metadata={"n": n})
        return store.verify().checked


@pytest.mark.parametrize("column", COLUMNS)
def test_verify_finds_a_changed_byte_in_any_column_and_names_its_position(store_url, column):
    total = _filled(store_url)
    rng = random.Random(column)
    raw = Raw(store_url)
    store = open_store(store_url)
    try:
        for position in [0, total - 1, *rng.sample(range(1, total - 1), 4)]:
            # The column name comes from the fixed list above; every value is a parameter.
            (original,) = raw.sql(f"SELECT {column} FROM events WHERE position = ?", (position,))[0]
            changed = _altered(original, rng)
            raw.sql(f"UPDATE events SET {column} = ? WHERE position = ?", (changed, position))
            assert store.verify() == Verification(False, position, position), (column, position)
            key = changed if column == "position" else position
            raw.sql(f"UPDATE events SET {column} = ? WHERE position = ?", (original, key))
            assert store.verify().ok
    finally:
        store.close()
        raw.close()


def test_verify_finds_a_deleted_a_nulled_and_a_forged_record(store_url):
    total = _filled(store_url)
    raw = Raw(store_url)
    store = open_store(store_url)
    try:
        ((cause,),) = raw.sql("SELECT causation FROM events WHERE position = ?", (7,))
        raw.sql("UPDATE events SET causation = NULL WHERE position = ?", (7,))
        assert store.verify() == Verification(False, 7, 7)
        raw.sql("UPDATE events SET causation = ? WHERE position = ?", (cause, 7))
        assert store.verify().ok

        row = raw.sql("SELECT * FROM events WHERE position = ?", (11,))[0]
        raw.sql("DELETE FROM events WHERE position = ?", (11,))
        assert store.verify() == Verification(False, 11, 11)
        raw.sql("INSERT INTO events VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", row)
        assert store.verify().ok

        last = raw.sql("SELECT * FROM events WHERE position = ?", (total - 1,))[0]
        forged = (total, last[1], last[2] + 1, *last[3:9], "f" * 64, last[10], "forged")
        raw.sql("INSERT INTO events VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", forged)
        assert store.verify() == Verification(False, total, total)
    finally:
        store.close()
        raw.close()


# --- bad input -----------------------------------------------------------------------------------

HOSTILE = (
    "it's",
    'say "no"',
    "'; DROP TABLE events; --",
    '"); DELETE FROM meta; --',
    "back\\slash\\",
    "%s %(x)s {0} ? $1 :name",
    "new\nline\ttab\rreturn",
    "\x01\x1f\x7f control",
    "accents é ß ж 中 🕊️",
    "\u202eright-to-left",
    "x" * 200,
)


def test_hostile_stream_names_are_stored_exactly(store_url):
    with open_store(store_url) as store:
        for n, name in enumerate(HOSTILE):
            assert store.append(name, [statement(name)], expected_version=0) == [n]
            assert store.version(name) == 1
            (record,) = store.read(name)
            assert record.stream == name and record.event.text == name
        assert store.streams() == sorted(HOSTILE)
        assert list(store.read_all(types=list(HOSTILE))) == []
        assert store.verify() == Verification(True, None, len(HOSTILE))


BAD_STREAMS = ("", "x" * 201, "a\x00b", "\x00", "lone \ud800 surrogate", "\udfff", None, 5, b"s")


@pytest.mark.parametrize("name", BAD_STREAMS, ids=repr)
def test_unusable_stream_names_are_refused_with_a_store_error(store_url, name):
    with open_store(store_url) as store:
        with pytest.raises(StoreError, match="stream name"):
            store.append(name, [statement("x")])
        with pytest.raises(StoreError, match="stream name"):
            list(store.read(name))
        assert store.verify().checked == 0


PAYLOADS = (
    'it\'s "quoted"',
    "NUL \x00 inside",
    "\x00",
    "\\u0000 and \\x00 as text",
    "\\",
    "'; DROP TABLE events; --",
    "🕊️ " * 1000,
    "y" * (8 * 1024 * 1024),  # 8 MB
)


def test_hostile_and_huge_payloads_are_stored_exactly(store_url):
    with open_store(store_url) as store:
        written = [statement(str(n), text=text) for n, text in enumerate(PAYLOADS)]
        store.append("payloads", written[:4])
        store.append("payloads", written[4:])
        assert [r.event for r in store.read("payloads")] == written
        assert store.verify().ok


def test_a_huge_batch_is_stored_whole(store_url):
    written = [statement(f"{n}", n // 100) for n in range(20_000)]
    with open_store(store_url) as store:
        store.append("first", [statement("before")])
        assert store.append("big", written, expected_version=0) == list(range(1, 20_001))
        assert [r.event for r in store.read("big")] == written
        assert store.verify() == Verification(True, None, 20_001)


@pytest.mark.parametrize("text", ["lone \ud800", "\udc80 low", "ok", "x\ud83dy"], ids=repr)
def test_text_that_is_not_unicode_is_refused_and_nothing_is_written(store_url, text):
    with open_store(store_url) as store:
        store.append("s", [statement("first")])
        batch = [statement("a"), statement("b", text=text), statement("c")]
        if text == "ok":
            store.append("s", batch)
            assert store.version("s") == 4
            return
        with pytest.raises(StoreError, match="Unicode"):
            store.append("s", batch)
        with pytest.raises(StoreError, match="Unicode"):
            store.append("s", [statement("a")], causation=[text])
        assert store.version("s") == 1
        assert store.verify() == Verification(True, None, 1)


@pytest.mark.parametrize("cause", ["it's", "NUL\x00", "\\", "'; --", "z" * 100_000], ids=repr)
def test_causations_are_stored_exactly_or_refused_clearly(store_url, cause):
    with open_store(store_url) as store:
        try:
            store.append("s", [statement("x")], causation=[cause])
        except StoreError as exc:
            assert "causation" in str(exc) and "\n" not in str(exc)
            assert store.version("s") == 0
        else:
            (record,) = store.read("s")
            assert record.causation == cause
        assert store.verify().ok


# --- no SQL is built from user values ------------------------------------------------------------

BACKENDS = Path(__file__).resolve().parent.parent / "simulator" / "store"
SQL_CALLS = {"execute", "executemany", "executescript", "copy", "_query"}


def _assignments(tree: ast.Module) -> dict[str, ast.expr]:
    return {
        target.id: node.value
        for node in tree.body
        if isinstance(node, ast.Assign)
        for target in node.targets
        if isinstance(target, ast.Name)
    }


SCHEMA = _assignments(ast.parse((BACKENDS / "schema.py").read_text()))


def _static(node: ast.expr, module: dict, local: dict) -> bool:
    """Whether *node* is text built only from literals and constants, never from arguments."""
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, ast.JoinedStr):
        return all(
            _static(part.value if isinstance(part, ast.FormattedValue) else part, module, local)
            for part in node.values
        )
    if isinstance(node, ast.BinOp):
        return _static(node.left, module, local) and _static(node.right, module, local)
    if isinstance(node, ast.Tuple):
        return all(_static(element, module, local) for element in node.elts)
    if isinstance(node, ast.Starred | ast.Subscript):  # (*NAMES[:10], ...) of constant names
        return _static(node.value, module, local)
    if isinstance(node, ast.Name):
        if node.id in local:
            return _static(local[node.id], module, local)
        return node.id in module and _static(module[node.id], module, {})
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "len":
        return True  # a count of placeholders
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
        if node.value.id == "schema":  # the table's definition, a module of constants
            return node.attr in SCHEMA and _static(SCHEMA[node.attr], SCHEMA, {})
        return False
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id == "schema"
    ):
        return node.func.attr in ("tables", "steps", "selected_at")  # built from constants
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "format"
        and isinstance(node.func.value, ast.Call)
        and getattr(node.func.value.func, "attr", "") == "SQL"
    ):
        # psycopg.sql.SQL(constant).format(Identifier(...)): the driver quotes each name
        return _static(node.func.value.args[0], module, local) and all(
            getattr(arg, "func", None) is not None and getattr(arg.func, "attr", "") == "Identifier"
            for arg in node.args
        )
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in ("join", "replace")
    ):
        # "sep".join(static) and "text".replace(static, static)
        return _static(node.func.value, module, local) and all(
            _static(arg, module, local) for arg in node.args
        )
    return False


@pytest.mark.parametrize("name", ["sqlite.py", "postgres.py"])
def test_backends_pass_every_user_value_as_a_parameter(name):
    tree = ast.parse((BACKENDS / name).read_text())
    module = {
        target.id: node.value
        for node in tree.body
        if isinstance(node, ast.Assign)
        for target in node.targets
        if isinstance(target, ast.Name)
    }
    checked = 0
    for function in ast.walk(tree):
        if not isinstance(function, ast.FunctionDef):
            continue
        local = {
            target.id: node.value
            for node in ast.walk(function)
            if isinstance(node, ast.Assign)
            for target in node.targets
            if isinstance(target, ast.Name)
        }
        # Names bound by a loop: `for sql in schema.steps(...)`, `for sql, params in opening`.
        loops = {}
        for node in ast.walk(function):
            if isinstance(node, ast.For | ast.comprehension):
                target = node.target.elts[0] if isinstance(node.target, ast.Tuple) else node.target
                if isinstance(target, ast.Name):
                    loops[target.id] = node.iter
        for call in ast.walk(function):
            if isinstance(call, ast.Call) and getattr(call.func, "attr", "") == "_transaction":
                for statements in call.args[1:]:  # (sql, params) pairs run by the helper
                    assert _statements(statements, module, local), f"{name}:{call.lineno}"
                    checked += 1
            if (
                isinstance(call, ast.Call)
                and isinstance(call.func, ast.Attribute)
                and call.func.attr in SQL_CALLS
                and call.args
            ):
                sql = call.args[0]
                if isinstance(sql, ast.Name) and sql.id in function_args(function):
                    # a helper taking its SQL as an argument: its callers are checked instead
                    continue
                if isinstance(sql, ast.Name) and sql.id in loops:
                    source = loops[sql.id]
                    if isinstance(source, ast.Name) and source.id in function_args(function):
                        continue  # statements a helper is given: its callers are checked
                    assert _static(source, module, local), f"{name}:{call.lineno}: {sql.id}"
                    checked += 1
                    continue
                assert _static(sql, module, local), (
                    f"{name}:{call.lineno}: SQL built from a value that is not a constant"
                )
                checked += 1
    assert checked >= 5


def test_the_source_check_catches_sql_formatted_from_a_value():
    source = (
        "TABLE = 'events'\n"
        "def page(db, stream, types):\n"
        "    marks = ','.join('?' * len(types))\n"
        "    db.execute(f'SELECT * FROM {TABLE} WHERE type IN ({marks})', types)\n"
        "    db.execute(f'SELECT * FROM events WHERE stream = {stream!r}')\n"
        "    db.execute('SELECT * FROM events WHERE stream = ' + stream)\n"
        "    db.execute('SELECT * FROM events WHERE stream = %s' % (stream,))\n"
    )
    tree = ast.parse(source)
    module = {"TABLE": tree.body[0].value}
    function = tree.body[1]
    local = {"marks": function.body[0].value}
    verdicts = [_static(call.value.args[0], module, local) for call in function.body[1:]]
    assert verdicts == [True, False, False, False]


def _statements(node: ast.expr, module: dict, local: dict) -> bool:
    """Whether *node* is `(sql, params)` pairs (or a name, or a tuple of them) with static SQL."""
    if isinstance(node, ast.Starred):
        return _statements(node.value, module, local)
    if isinstance(node, ast.Name) and node.id in local:
        return _statements(local[node.id], module, local)
    if not isinstance(node, ast.Tuple) or not node.elts:
        return False
    if isinstance(node.elts[0], ast.Tuple):
        return all(_statements(element, module, local) for element in node.elts)
    return _static(node.elts[0], module, local)


def function_args(function: ast.FunctionDef) -> set[str]:
    given = function.args
    return {arg.arg for arg in (*given.args, *given.kwonlyargs, given.vararg) if arg is not None}
