"""The event store contract, as abstract test classes every backend subclasses.

A backend's test module writes, e.g. for SQLite:

    class TestSQLiteStoreContract(StoreContract):
        fresh = staticmethod(fresh)        # a new, empty store
        tamper = staticmethod(tamper)      # change a column of a record behind its back
        discard = staticmethod(discard)    # optional: drop what fresh made

    class SQLiteStoreMachine(StoreMachine):
        fresh = staticmethod(fresh)
        dispose = staticmethod(discard)
        reopen_store = staticmethod(reopen)   # optional: close, open the same data again

    class TestSQLiteStoreMachine(SQLiteStoreMachine.TestCase):
        settings = MACHINE_SETTINGS
"""

from __future__ import annotations

import abc
import itertools
import math
import multiprocessing
import threading
import time
from collections.abc import Callable
from contextlib import contextmanager
from datetime import date, datetime

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from simulator import codec, events
from simulator.errors import ConcurrencyError, StoreError
from simulator.store import EventStore, StreamWrite, open_store
from simulator.store.chain import GENESIS, record_hash
from simulator.store.mapping import SLICE, derived_id
from tests.strategies import event_lists, events_any

STREAMS = ("history", "run/a/1", "run/b/2")
TYPE_NAMES = sorted(events.REGISTRY)
COLUMNS = (
    "position",
    "stream",
    "version",
    "type",
    "schema",
    "occurred_at",
    "recorded_at",
    "causation",
    "payload",
    "hash",
    "metadata",
    "event_id",
)

small_batches = st.lists(events_any(), min_size=1, max_size=4)
batch_sizes = st.integers(min_value=1, max_value=5) | st.just(1000)
causes = st.none() | st.text(max_size=12)
metadatas = st.none() | st.dictionaries(
    st.text(min_size=1, max_size=8),
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8),
    max_size=3,
)


def offensive(day: int = 1, troops: int = 100) -> events.Offensive:
    return events.Offensive(
        occurred_at=date(2020, 9, day), attacker="AAA", defender="BBB", region="R1", troops=troops
    )


def _statement(day: int) -> events.Statement:
    return events.Statement(
        occurred_at=date(2020, 9, day), speaker="AAA", kind="condemnation", target="BBB", text="x"
    )


def v1_ddl(integer: str) -> str:
    """The tables as schema version 1 made them (with the backend's *integer* type), written
    out here rather than taken from the code, for the tests of the migration to version 2."""
    return f"""
CREATE TABLE events (
    position {integer} PRIMARY KEY,
    stream TEXT NOT NULL,
    version {integer} NOT NULL,
    type TEXT NOT NULL,
    schema INTEGER NOT NULL,
    occurred_at TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    causation TEXT,
    payload TEXT NOT NULL,
    hash TEXT NOT NULL,
    UNIQUE (stream, version)
);
CREATE INDEX events_by_type ON events (type, position);
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
INSERT INTO meta VALUES ('schema_version', '1');
"""


def at_once(target: Callable, url: str, processes: int = 4) -> list:
    """What *target(url, start, queue)* puts on the queue in each of *processes* forked
    processes released together (for races on first opens and migrations)."""
    context = multiprocessing.get_context("fork")
    start, queue = context.Event(), context.Queue()
    workers = [context.Process(target=target, args=(url, start, queue)) for _ in range(processes)]
    for worker in workers:
        worker.start()
    start.set()
    for worker in workers:
        worker.join(30)
        assert worker.exitcode == 0
    return [queue.get(timeout=5) for _ in workers]


def open_and_count(url: str, start, queue) -> None:
    """Open the store when released and report how many records `verify` checked."""
    start.wait()
    with open_store(url) as store:
        queue.put(store.verify().checked)


MACHINE_SETTINGS = settings(
    max_examples=25,
    stateful_step_count=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


class StoreContract(abc.ABC):
    """What every backend guarantees. A backend's test module subclasses it as
    `Test<Backend>StoreContract` and implements `fresh` and `tamper` (and `discard` when
    closing the store is not enough to drop what `fresh` made)."""

    @abc.abstractmethod
    def fresh(self) -> EventStore:
        """A new, empty store (called once per test or example)."""

    @abc.abstractmethod
    def tamper(self, store: EventStore, position: int, column: str, value: object) -> None:
        """Overwrite one column (a Record field name) of the record at *position*, behind the
        store's back, e.g. UPDATE events SET <column> = ? WHERE position = ?."""

    def discard(self, store: EventStore) -> None:
        """Drop what `fresh` made, after each test."""
        store.close()

    @contextmanager
    def opened(self):
        store = self.fresh()
        try:
            yield store
        finally:
            self.discard(store)

    def test_append_returns_consecutive_positions_across_streams(self):
        with self.opened() as store:
            assert store.append("a", [offensive(1), offensive(2)], expected_version=0) == [0, 1]
            assert store.append("b", [offensive(3)], expected_version=0) == [2]
            assert store.append("a", [offensive(4)], expected_version=2) == [3]
            assert (store.version("a"), store.version("b"), store.version("c")) == (3, 1, 0)
            assert store.streams() == ["a", "b"]

    def test_read_gives_back_each_record_with_its_place_and_event(self):
        with self.opened() as store:
            before = datetime.now().astimezone()
            store.append("a", [offensive(1)], causation=["rule:attack"])
            store.append("b", [offensive(2, troops=5)])
            (record,) = store.read("b")
            assert (record.position, record.stream, record.version) == (1, "b", 0)
            assert (record.type, record.schema, record.occurred_at) == (
                "Offensive",
                1,
                "2020-09-02",
            )
            assert record.payload == codec.encode(offensive(2, troops=5))[2]
            assert record.event == offensive(2, troops=5)
            assert record.causation is None
            assert datetime.fromisoformat(record.recorded_at) >= before.replace(microsecond=0)
            assert next(store.read("a")).causation == "rule:attack"

    def test_wrong_expected_version_raises_and_writes_nothing(self):
        with self.opened() as store:
            store.append("a", [offensive(1)], expected_version=0)
            for wrong in (0, 2, 7):
                with pytest.raises(ConcurrencyError, match="'a' is at version 1, not"):
                    store.append("a", [offensive(2), offensive(3)], expected_version=wrong)
            with pytest.raises(ConcurrencyError):
                store.append("new", [offensive(2)], expected_version=1)
            with pytest.raises(ConcurrencyError):
                store.append("a", [], expected_version=3)
            assert [r.position for r in store.read_all()] == [0]
            assert store.streams() == ["a"]
            assert store.verify().ok

    def test_no_expected_version_appends_at_the_end(self):
        with self.opened() as store:
            store.append("a", [offensive(1)])
            assert store.append("a", [offensive(2)]) == [1]
            assert [r.version for r in store.read("a")] == [0, 1]

    def test_a_bad_event_in_a_batch_writes_none_of_it(self):
        bad_text = events.Statement(
            occurred_at=date(2020, 1, 1), speaker="AAA", kind="comment", text="\ud800"
        )
        with self.opened() as store:
            store.append("a", [offensive(1)])
            with pytest.raises(StoreError, match="event 1: not a catalogue event"):
                store.append("a", [offensive(2), {"type": "Offensive"}, offensive(3)])
            with pytest.raises(StoreError, match="event 1: text is not valid Unicode"):
                store.append("a", [offensive(2), bad_text])
            with pytest.raises(StoreError, match="2 causations for 1 events"):
                store.append("a", [offensive(2)], causation=["x", "y"])
            with pytest.raises(StoreError, match="^stream 'a': event 1: not a catalogue event"):
                store.append_many({"b": ([offensive(2)], 0), "a": ([offensive(2), 5], 1)})
            assert [r.version for r in store.read("a")] == [0]
            assert store.append("a", [offensive(2)], expected_version=1) == [1]
            assert store.verify().ok

    def test_a_long_batch_from_a_generator_is_read_lazily_and_written_whole_or_not_at_all(self):
        drawn = []

        def lazily(count: int, bad_at: int | None = None):
            for index in range(count):
                drawn.append(index)
                if index == bad_at:
                    yield events.Statement(
                        occurred_at=date(2020, 1, 1), speaker="AAA", kind="comment", text="\ud800"
                    )
                else:
                    yield offensive(1 + index % 28)

        with self.opened() as store:
            bad_at = 2 * SLICE + 7  # in the third slice: two are written before it fails
            with pytest.raises(StoreError, match=f"event {bad_at}: text is not valid Unicode"):
                store.append("a", lazily(3 * SLICE, bad_at))
            assert store.version("a") == 0 and list(store.read_all()) == []
            drawn.clear()
            positions = store.append("a", lazily(2 * SLICE + 3), expected_version=0)
            assert positions == list(range(2 * SLICE + 3)) and len(drawn) == 2 * SLICE + 3
            assert store.version("a") == 2 * SLICE + 3 and store.verify().ok

    def test_bad_arguments_are_refused_with_a_store_error(self):
        with self.opened() as store:
            for stream in ("", "x" * 201, "a\x00b", 5):
                with pytest.raises(StoreError, match="stream name"):
                    store.append(stream, [offensive(1)])
            with pytest.raises(StoreError, match="expected_version"):
                store.append("a", [offensive(1)], expected_version="0")
            with pytest.raises(StoreError, match="batch_size"):
                list(store.read_all(batch_size=0))
            with pytest.raises(StoreError, match="from_position"):
                list(store.read_all(from_position=-1))
            with pytest.raises(StoreError, match="from_version"):
                list(store.read("a", from_version=-1))
            assert list(store.read_all()) == []

    def test_reads_fetch_one_batch_at_a_time(self):
        with self.opened() as store:
            store.append("a", [offensive(d) for d in range(1, 26)])
            limits = []
            page = store._page

            def spy(stream, start, types, limit):
                rows = page(stream, start, types, limit)
                limits.append((start, limit, len(rows)))
                return rows

            store._page = spy
            records = store.read_all(batch_size=10)
            assert limits == []  # nothing fetched before the first record is asked for
            next(records)
            assert limits == [(0, 10, 10)]
            assert len(list(records)) == 24
            assert limits == [(0, 10, 10), (10, 10, 10), (20, 10, 5)]

    def test_type_filter_and_start_combine(self):
        with self.opened() as store:
            store.append(
                "a",
                [
                    offensive(1),
                    events.Ceasefire(occurred_at=date(2020, 9, 2), parties=("AAA", "BBB")),
                    offensive(3),
                ],
            )
            assert [r.position for r in store.read_all(types=["Offensive"])] == [0, 2]
            assert [r.position for r in store.read_all(types="Ceasefire")] == [1]
            assert [r.position for r in store.read_all(2, types=["Offensive"])] == [2]
            assert list(store.read_all(types=[])) == []
            assert [r.version for r in store.read("a", from_version=1)] == [1, 2]
            assert list(store.read("a", from_version=3)) == []

    def test_concurrent_appends_with_the_same_expected_version_let_exactly_one_win(self):
        with self.opened() as store:
            outcomes = []

            def writer(day):
                try:
                    store.append("a", [offensive(day), offensive(day)], expected_version=0)
                    outcomes.append("won")
                except ConcurrencyError:
                    outcomes.append("lost")

            threads = [threading.Thread(target=writer, args=(d,)) for d in range(1, 9)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            assert sorted(outcomes) == ["lost"] * 7 + ["won"]
            assert [r.version for r in store.read("a")] == [0, 1]
            assert store.verify().ok

    # --- metadata -----------------------------------------------------------------------------

    def test_metadata_is_stored_with_every_record_of_its_batch_as_canonical_json(self):
        meta = {"seed": 7, "scenario": "Nagorno-Karabakh é", "ok": True, "share": 0.25, "n": None}
        with self.opened() as store:
            store.append("a", [offensive(1), offensive(2)], metadata=meta)
            store.append("b", [offensive(3)])
            store.append("c", [offensive(4)], metadata={})  # empty: the same as none
            records = list(store.read_all())
            text = '{"n":null,"ok":true,"scenario":"Nagorno-Karabakh é","seed":7,"share":0.25}'
            assert [r.metadata for r in records] == [text, text, None, None]
            assert [r.meta for r in records] == [meta, meta, {}, {}]
            assert [r.meta for r in store.read("a", from_version=1)] == [meta]
            assert store.verify().ok

    def test_the_hash_covers_the_metadata_and_the_event_id(self):
        with self.opened() as store:
            store.append("a", [offensive(1)])
            store.append("a", [offensive(2)], metadata={"run": 1}, ids=["mine"])
            first, second = store.read_all()
            assert first.hash == record_hash(GENESIS, (*first[:9], None, first.event_id))
            assert second.hash == record_hash(first.hash, (*second[:9], '{"run":1}', "mine"))

    def test_an_event_without_an_id_gets_one_from_its_stream_content_and_repeat(self):
        with self.opened() as store:
            store.append("a", [offensive(1), offensive(1)])
            store.append("b", [offensive(1)])
            a0, a1, b0 = store.read_all()
            payload = codec.encode(offensive(1))[2]
            assert a0.event_id == derived_id("a", "Offensive", 1, payload, 0)
            assert a1.event_id == derived_id("a", "Offensive", 1, payload, 1)
            assert b0.event_id == derived_id("b", "Offensive", 1, payload, 0)
            assert len({a0.event_id, a1.event_id, b0.event_id}) == 3

    def test_appending_the_same_events_again_adds_nothing_and_returns_their_positions(self):
        with self.opened() as store:
            batch = [offensive(1), offensive(2), offensive(1)]
            assert store.append("a", batch) == [0, 1, 2]
            store.append("b", [offensive(5)])
            assert store.append("a", batch) == [0, 1, 2]
            assert store.append("a", batch, expected_version=0) == [0, 1, 2]  # a retry
            # One more identical event is a new one: the third of its kind in this append.
            assert store.append("a", [*batch, offensive(1), offensive(3)]) == [0, 1, 2, 4, 5]
            assert store.version("a") == 5 and store.verify().ok
            with pytest.raises(ConcurrencyError):  # not a retry: one event is new
                store.append("a", [offensive(1), offensive(9)], expected_version=0)

    def test_given_ids_make_an_event_known_whatever_its_content(self):
        with self.opened() as store:
            assert store.append("a", [offensive(1), offensive(2)], ids=["x", None]) == [0, 1]
            assert store.append("a", [offensive(7), offensive(8)], ids=["x", "y"]) == [0, 2]
            assert store.append("a", [offensive(8), offensive(9)], ids=["z", "z"]) == [3, 3]
            assert store.append("b", [offensive(7)], ids=["x"]) == [4]  # ids are per stream
            assert [r.event_id for r in store.read("a")][::2] == ["x", "y"]
            written = store.append_many(
                [StreamWrite("a", [offensive(1)], ids=["x"]), StreamWrite("c", [offensive(1)])]
            )
            assert written == {"a": [0], "c": [5]}

    @pytest.mark.parametrize(
        ("ids", "message"),
        [
            (["x"], "1 ids for 2 events"),
            (["", None], "event 0: event id must be text of 1..128 characters"),
            ([None, "k" * 129], "event 1: event id must be text of 1..128 characters"),
            (["a\x00b", None], "event 0: event id 'a.x00b' holds a control character"),
            ([1, None], "event 0: event id must be text"),
        ],
    )
    def test_bad_ids_are_refused_naming_the_event_and_nothing_is_written(self, ids, message):
        with self.opened() as store:
            with pytest.raises(StoreError, match=f"^stream 'a': {message}"):
                store.append("a", [offensive(1), offensive(2)], ids=ids)
            assert store.version("a") == 0

    @pytest.mark.parametrize(
        ("metadata", "message"),
        [
            (["run", 1], "metadata must be a mapping of names to values \\(got list\\)"),
            ({1: "x"}, "metadata keys must be text of 1..64 characters \\(got 1\\)"),
            ({"": "x"}, "metadata keys must be text of 1..64 characters"),
            ({"k" * 65: "x"}, "metadata keys must be text of 1..64 characters"),
            ({f"k{n}": n for n in range(33)}, "metadata has 33 keys, more than 32"),
            ({"nested": {"a": 1}}, "metadata 'nested' must be text, a number, .* \\(got dict\\)"),
            ({"list": [1]}, "metadata 'list' must be text, a number"),
            ({"nan": math.nan}, "metadata cannot be written as JSON"),
            ({"big": "x" * 4090}, "metadata is 4100 bytes as JSON, more than 4096"),
            ({"bad": "\ud800"}, "metadata is not valid Unicode"),
        ],
        ids=lambda value: type(value).__name__,
    )
    def test_bad_metadata_is_refused_naming_its_stream_and_nothing_is_written(
        self, metadata, message
    ):
        with self.opened() as store:
            with pytest.raises(StoreError, match=f"^stream 'a': {message}"):
                store.append("a", [offensive(1)], metadata=metadata)
            with pytest.raises(StoreError, match=f"^stream 'b': {message}"):
                store.append_many(
                    [StreamWrite("a", [offensive(1)]), StreamWrite("b", [], metadata=metadata)]
                )
            assert list(store.read_all()) == [] and store.streams() == []
            store.append("a", [offensive(1)], metadata={"k" * 64: "x" * 4000})  # the limits
            assert store.verify().ok

    # --- append_many ----------------------------------------------------------------------------

    def test_append_many_returns_consecutive_positions_across_streams_in_written_order(self):
        with self.opened() as store:
            store.append("z", [offensive(1)])
            written = store.append_many(
                {"b": ([offensive(2), offensive(3)], 0), "a": ([offensive(4)], None), "e": ([], 0)}
            )
            assert written == {"b": [1, 2], "a": [3], "e": []}
            assert list(written) == ["b", "a", "e"]
            written = store.append_many(
                [
                    StreamWrite("a", [offensive(5)], 1, causation=["c"], metadata={"run": 0}),
                    StreamWrite("z", (offensive(d) for d in (6, 7)), expected_version=1),
                ]
            )
            assert written == {"a": [4], "z": [5, 6]}
            assert store.append_many({}) == {} and store.append_many(iter(())) == {}
            assert [(r.stream, r.version) for r in store.read_all()] == [
                ("z", 0), ("b", 0), ("b", 1), ("a", 0), ("a", 1), ("z", 1), ("z", 2),
            ]  # fmt: skip
            assert [(r.causation, r.meta) for r in store.read("a")] == [
                (None, {}),
                ("c", {"run": 0}),
            ]
            assert store.streams() == ["a", "b", "z"] and store.verify().ok

    def test_append_many_with_a_wrong_version_in_its_last_stream_writes_none_of_them(self):
        with self.opened() as store:
            store.append("a", [offensive(1)])
            for wrong in (0, 2):
                with pytest.raises(ConcurrencyError, match=f"'a' is at version 1, not {wrong}"):
                    store.append_many(
                        {
                            "b": ([offensive(2)] * (2 * SLICE + 1), 0),
                            "c": ([offensive(3)], None),
                            "a": ([offensive(4)], wrong),
                        }
                    )
            with pytest.raises(ConcurrencyError, match="'a' is at version 1, not 5"):
                store.append_many({"b": ([offensive(2)], 0), "a": ([], 5)})
            assert [r.position for r in store.read_all()] == [0]
            assert store.streams() == ["a"] and store.verify().ok
            assert store.append("b", [offensive(2)], expected_version=0) == [1]

    def test_append_many_with_a_bad_event_or_write_anywhere_writes_nothing(self):
        bad_text = events.Statement(
            occurred_at=date(2020, 1, 1), speaker="AAA", kind="comment", text="\ud800"
        )
        good = StreamWrite("a", [offensive(1), offensive(2)], expected_version=0)
        with self.opened() as store:
            cases = [
                ([good, StreamWrite("b", [offensive(3), bad_text])], "stream 'b': event 1: text"),
                ([good, StreamWrite("b", [offensive(3), None])], "stream 'b': event 1: not a"),
                (
                    [good, StreamWrite("b", [offensive(3)], causation=[])],
                    "stream 'b': 0 causations",
                ),
                (
                    [good, StreamWrite("b", [], expected_version="0")],
                    "stream 'b': expected_version",
                ),
                ([good, StreamWrite("", [offensive(3)])], "stream name must be"),
                ([good, StreamWrite("a", [offensive(3)])], "stream 'a' is named twice"),
                ([good, ("b", [offensive(3)], 0)], "takes StreamWrite objects \\(got tuple\\)"),
                ({"a": ([offensive(1)], 0), "b": [offensive(3)]}, "'b' needs \\(events, expected"),
            ]
            for writes, message in cases:
                with pytest.raises(StoreError, match=message):
                    store.append_many(writes)
                assert list(store.read_all()) == [] and store.streams() == []
            assert store.append_many([good]) == {"a": [0, 1]} and store.verify().ok

    def test_append_many_reads_a_generator_of_writes_one_write_and_slice_at_a_time(self):
        drawn = []

        def run(index: int, count: int):
            for n in range(count):
                drawn.append((index, n))
                yield offensive(1 + n % 28)

        def writes(bad_at: int | None = None):
            for index in range(4):
                drawn.append(("write", index))
                count = 2 * SLICE + 1 if index == 1 else 3
                events_of = itertools.chain(run(index, count), [None] if index == bad_at else [])
                yield StreamWrite(f"run/{index}", events_of, 0, metadata={"run": index})

        with self.opened() as store:
            with pytest.raises(StoreError, match="^stream 'run/2': event 3: not a catalogue"):
                store.append_many(writes(bad_at=2))
            assert list(store.read_all()) == [] and store.streams() == []
            assert ("write", 3) not in drawn  # nothing read past the bad write
            drawn.clear()
            written = store.append_many(writes())
            # Each write is drawn only once the one before has been read to its end.
            starts = [drawn.index(("write", k)) for k in range(4)]
            ends = [drawn.index((0, 2)), drawn.index((1, 2 * SLICE)), drawn.index((2, 2))]
            assert starts[0] < ends[0] < starts[1] < ends[1] < starts[2] < ends[2] < starts[3]
            sizes = [3, 2 * SLICE + 1, 3, 3]
            bounds = list(itertools.accumulate(sizes, initial=0))
            assert written == {f"run/{k}": list(range(bounds[k], bounds[k + 1])) for k in range(4)}
            assert [store.version(f"run/{k}") for k in range(4)] == sizes
            assert next(store.read("run/3")).meta == {"run": 3} and store.verify().ok

    def test_concurrent_append_manys_with_the_same_expected_versions_let_exactly_one_win(self):
        with self.opened() as store:
            outcomes = []

            def writer(day):
                try:
                    store.append_many({"a": ([offensive(day)], 0), "b": ([offensive(day)], 0)})
                    outcomes.append("won")
                except ConcurrencyError:
                    outcomes.append("lost")

            threads = [threading.Thread(target=writer, args=(d,)) for d in range(1, 7)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            assert sorted(outcomes) == ["lost"] * 5 + ["won"]
            assert [r.stream for r in store.read_all()] == ["a", "b"] and store.verify().ok

    def test_subscribe_catches_up_then_follows_new_records_in_order(self):
        with self.opened() as store:
            store.append("a", [offensive(1), offensive(2), offensive(3)])
            records = store.subscribe(1, poll_interval=0.05, idle_timeout=10)
            assert [next(records).position for _ in range(2)] == [1, 2]  # the catch-up
            later = threading.Timer(0.2, store.append, ("b", [offensive(4), offensive(5)]))
            later.start()
            assert [(r.position, r.stream) for r in itertools.islice(records, 2)] == [
                (3, "b"),
                (4, "b"),
            ]
            later.join()
            records.close()

    def test_subscribe_filters_by_type_and_ends_after_the_idle_timeout(self):
        with self.opened() as store:
            store.append("a", [offensive(1), _statement(2), offensive(3), _statement(4)])
            started = time.monotonic()
            records = list(
                store.subscribe(types=["Statement"], poll_interval=0.05, idle_timeout=0.3)
            )
            assert [r.position for r in records] == [1, 3]
            assert 0.3 <= time.monotonic() - started < 5

    def test_subscribe_batches_gives_each_burst_once_and_the_catch_up_even_if_empty(self):
        with self.opened() as store:
            batches = store.subscribe_batches(poll_interval=0.05, idle_timeout=10, batch_size=2)
            assert next(batches) == []
            store.append("a", [offensive(1), offensive(2), offensive(3)])
            assert [[r.position for r in next(batches)] for _ in range(2)] == [[0, 1], [2]]
            batches.close()
            with pytest.raises(StoreError, match="poll_interval must be > 0"):
                store.subscribe(poll_interval=0)

    def test_verify_passes_on_an_untouched_store(self):
        with self.opened() as store:
            assert store.verify() == type(store.verify())(True, None, 0)
            store.append("a", [offensive(1), offensive(2)])
            result = store.verify()
            assert (result.ok, result.first_bad_position, result.checked) == (True, None, 2)

    @pytest.mark.parametrize("column", COLUMNS)
    @settings(max_examples=6, deadline=None, suppress_health_check=list(HealthCheck))
    @given(history=event_lists(max_size=8).filter(bool), data=st.data())
    def test_changing_any_byte_of_any_stored_record_is_reported_at_that_position(
        self, column, history, data
    ):
        with self.opened() as store:
            store.append("a", history[: len(history) // 2])
            rest = history[len(history) // 2 :]
            store.append("b", rest, causation=["cause"] * len(rest), metadata={"run": 7, "x": ""})
            records = list(store.read_all())
            target = data.draw(st.sampled_from(records), label="record")
            changed = data.draw(_changed(getattr(target, column)), label="new value")
            pairs = {(r.stream, r.version) for r in records}
            if column == "position":  # positions are unique: only a free one can be written
                assume(changed < 0 or changed >= len(records))
            if column == "stream":  # and so are (stream, version) pairs
                assume((changed, target.version) not in pairs)
            if column == "version":
                assume((target.stream, changed) not in pairs)
            self.tamper(store, target.position, column, changed)
            result = store.verify()
            assert (result.ok, result.first_bad_position) == (False, target.position)


def _changed(value: object) -> st.SearchStrategy:
    """A value differing from *value* in one byte (one digit or one character; None -> text)."""
    if value is None:
        return st.sampled_from(["", "x"])
    if isinstance(value, int):
        text = str(value)
        return (
            st.tuples(st.integers(0, len(text) - 1), st.sampled_from("0123456789"))
            .map(lambda c: int(text[: c[0]] + c[1] + text[c[0] + 1 :]))
            .filter(lambda v: v != value)
        )
    return (
        st.tuples(
            st.integers(0, max(len(value) - 1, 0)),
            st.characters(min_codepoint=32, max_codepoint=126),
        )
        .map(lambda c: value[: c[0]] + c[1] + value[c[0] + 1 :])
        .filter(lambda v: v != value)
    )


class StoreMachine(RuleBasedStateMachine):
    """Drives a store against a plain list of `(stream, event, causation, metadata, key)` in
    position order. A backend subclasses it with `fresh` and `discard` (and `reopen_store`
    to close and open the same data again mid-run), then runs its `TestCase` with
    `MACHINE_SETTINGS`."""

    reopen_store: Callable[[EventStore], EventStore] | None = None

    def fresh(self) -> EventStore:
        raise NotImplementedError("a backend's machine says how to make a store")

    def dispose(self, store: EventStore) -> None:
        store.close()

    def __init__(self):
        super().__init__()
        self.store = self.fresh()
        self.model: list[tuple[str, events.Event, str | None, dict, tuple]] = []

    def teardown(self):
        self.dispose(self.store)

    def version(self, stream: str) -> int:
        return sum(1 for entry in self.model if entry[0] == stream)

    def expect(self, stream: str, batch, cause=None, meta=None) -> list[int]:
        """Model an append of *batch* to *stream*: an event is known by its type, payload
        and how many identical ones come before it in the batch; a known event is not added
        again and keeps its position. Returns the positions the append should give."""
        known = {entry[4]: p for p, entry in enumerate(self.model) if entry[0] == stream}
        repeats: dict = {}
        positions = []
        for event in batch:
            content = (type(event).__name__, codec.encode(event)[2])
            key = (*content, repeats.get(content, 0))
            repeats[content] = key[2] + 1
            if key not in known:
                known[key] = len(self.model)
                self.model.append((stream, event, cause, meta or {}, key))
            positions.append(known[key])
        return positions

    def all_known(self, stream: str, batch) -> bool:
        size = len(self.model)
        positions = self.expect(stream, batch)
        del self.model[size:]
        return all(p < size for p in positions) and bool(batch)

    @initialize()
    def starts_empty(self):
        assert list(self.store.read_all()) == []
        assert self.store.streams() == []

    @rule(stream=st.sampled_from(STREAMS), batch=small_batches, cause=causes, meta=metadatas)
    def append_at_the_right_version(self, stream, batch, cause, meta):
        positions = self.store.append(
            stream,
            batch,
            expected_version=self.version(stream),
            causation=[cause] * len(batch),
            metadata=meta,
        )
        assert positions == self.expect(stream, batch, cause, meta)

    @rule(stream=st.sampled_from(STREAMS), batch=small_batches)
    def append_without_a_version_check(self, stream, batch):
        positions = self.store.append(stream, batch)
        assert positions == self.expect(stream, batch)

    @rule(stream=st.sampled_from(STREAMS), batch=small_batches, off=st.integers(-3, 3))
    def append_at_a_wrong_version_writes_nothing(self, stream, batch, off):
        assume(off != 0 and not self.all_known(stream, batch))  # else it is a retry
        with pytest.raises(ConcurrencyError):
            self.store.append(stream, batch, expected_version=self.version(stream) + off)

    @rule(
        writes=st.lists(
            st.tuples(st.sampled_from(STREAMS), st.lists(events_any(), max_size=3), metadatas),
            min_size=1,
            max_size=3,
            unique_by=lambda write: write[0],
        ),
        checked=st.booleans(),
    )
    def append_many_at_the_right_versions(self, writes, checked):
        written = self.store.append_many(
            StreamWrite(stream, batch, self.version(stream) if checked else None, metadata=meta)
            for stream, batch, meta in writes
        )
        assert list(written) == [stream for stream, _, _ in writes]
        for stream, batch, meta in writes:
            assert written[stream] == self.expect(stream, batch, meta=meta)

    @rule(
        streams=st.lists(st.sampled_from(STREAMS), min_size=1, max_size=3, unique=True),
        batch=small_batches,
        wrong=st.data(),
    )
    def append_many_with_one_wrong_version_writes_nothing(self, streams, batch, wrong):
        bad = wrong.draw(st.sampled_from(streams), label="wrong stream")
        assume(not self.all_known(bad, batch))  # else it is a retry
        versions = {stream: self.version(stream) + (stream == bad) for stream in streams}
        with pytest.raises(ConcurrencyError):
            self.store.append_many({stream: (batch, versions[stream]) for stream in streams})

    @rule(stream=st.sampled_from(STREAMS), start=st.integers(0, 12), size=batch_sizes)
    def read_a_stream(self, stream, start, size):
        expected = [(p, *entry) for p, entry in enumerate(self.model) if entry[0] == stream]
        got = list(self.store.read(stream, from_version=start, batch_size=size))
        self.check(got, expected[start:])
        assert [r.version for r in got] == list(range(start, start + len(got)))

    @rule(
        start=st.integers(0, 30),
        types=st.none() | st.lists(st.sampled_from(TYPE_NAMES), max_size=3),
        size=batch_sizes,
    )
    def read_the_log(self, start, types, size):
        expected = [
            (p, *entry)
            for p, entry in enumerate(self.model)
            if p >= start and (types is None or type(entry[1]).__name__ in types)
        ]
        self.check(list(self.store.read_all(start, types=types, batch_size=size)), expected)

    @precondition(lambda self: self.reopen_store is not None)
    @rule()
    def reopen(self):
        self.store = self.reopen_store(self.store)

    @invariant()
    def versions_and_streams_match(self):
        streams = sorted({entry[0] for entry in self.model})
        assert self.store.streams() == streams
        for stream in STREAMS:
            assert self.store.version(stream) == self.version(stream)

    @invariant()
    def chain_verifies(self):
        result = self.store.verify()
        assert (result.ok, result.checked) == (True, len(self.model))

    def check(self, records, expected):
        assert len(records) == len(expected)
        for record, (position, stream, event, cause, meta, _) in zip(
            records, expected, strict=True
        ):
            assert (record.position, record.stream, record.causation) == (position, stream, cause)
            assert record.version == sum(1 for e in self.model[:position] if e[0] == stream)
            assert (record.type, record.schema) == (type(event).__name__, type(event).SCHEMA)
            assert record.occurred_at == event.occurred_at.isoformat()
            assert record.event == event
            assert record.meta == meta
            assert record.metadata == (codec.dumps(meta) if meta else None)
