"""The event store contract, as one test suite every backend runs.

To run it against a backend, its test module calls `make_contract_tests` and puts the classes
it returns at module level, where pytest collects them:

    from tests.store_contract import make_contract_tests

    def fresh():                      # a new, empty store (called once per test / example)
        return open_store(...)

    def reopen(store):                # close *store*, open the same data again (optional)
        store.close()
        return open_store(store.url)

    def tamper(store, position, column, value):
        # overwrite one column (a Record field name) of the record at *position*,
        # behind the store's back, e.g. UPDATE events SET <column> = ? WHERE position = ?
        ...

    globals().update(make_contract_tests("Postgres", fresh, tamper=tamper, reopen=reopen))

`discard(store)` (optional) runs after each test to drop what `fresh` created (the default
closes the store). The state machine also reopens the store mid-run when `reopen` is given.
"""

from __future__ import annotations

import threading
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
from simulator.store import EventStore
from tests.strategies import event_lists, events_any

Factory = Callable[[], EventStore]
Tamper = Callable[[EventStore, int, str, object], None]

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
)

small_batches = st.lists(events_any(), min_size=1, max_size=4)
batch_sizes = st.integers(min_value=1, max_value=5) | st.just(1000)
causes = st.none() | st.text(max_size=12)


def offensive(day: int = 1, troops: int = 100) -> events.Offensive:
    return events.Offensive(
        occurred_at=date(2020, 9, day), attacker="AAA", defender="BBB", region="R1", troops=troops
    )


def make_contract_tests(
    name: str,
    fresh: Factory,
    *,
    tamper: Tamper,
    reopen: Callable[[EventStore], EventStore] | None = None,
    discard: Callable[[EventStore], None] | None = None,
) -> dict[str, type]:
    """Test classes running the contract on the backend *name*; put them in a test module."""
    dispose = discard or (lambda store: store.close())

    @contextmanager
    def opened():
        store = fresh()
        try:
            yield store
        finally:
            dispose(store)

    class Contract(StoreContract):
        pass

    Contract.opened = staticmethod(opened)
    Contract.tamper = staticmethod(tamper)

    class Machine(StoreMachine):
        pass

    Machine.fresh = staticmethod(fresh)
    Machine.dispose = staticmethod(dispose)
    Machine.reopen_store = staticmethod(reopen)
    machine_case = Machine.TestCase
    machine_case.settings = settings(
        max_examples=25,
        stateful_step_count=25,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    return {
        f"Test{name}StoreContract": type(f"Test{name}StoreContract", (Contract,), {}),
        f"Test{name}StoreMachine": type(f"Test{name}StoreMachine", (machine_case,), {}),
    }


class StoreContract:
    """What every backend guarantees; `make_contract_tests` binds `opened` and `tamper`."""

    opened: Callable
    tamper: Tamper

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
            assert [r.version for r in store.read("a")] == [0]
            assert store.append("a", [offensive(2)], expected_version=1) == [1]
            assert store.verify().ok

    def test_a_long_batch_from_a_generator_is_read_lazily_and_written_whole_or_not_at_all(self):
        from simulator.store.base import SLICE

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
            store.append("b", rest, causation=["cause"] * len(rest))
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
    """Drives a store against a plain list of `(stream, event, causation)` in position order."""

    fresh: Factory
    dispose: Callable[[EventStore], None]
    reopen_store: Callable[[EventStore], EventStore] | None

    def __init__(self):
        super().__init__()
        self.store = self.fresh()
        self.model: list[tuple[str, events.Event, str | None]] = []

    def teardown(self):
        self.dispose(self.store)

    def version(self, stream: str) -> int:
        return sum(1 for s, _, _ in self.model if s == stream)

    @initialize()
    def starts_empty(self):
        assert list(self.store.read_all()) == []
        assert self.store.streams() == []

    @rule(stream=st.sampled_from(STREAMS), batch=small_batches, cause=causes)
    def append_at_the_right_version(self, stream, batch, cause):
        positions = self.store.append(
            stream, batch, expected_version=self.version(stream), causation=[cause] * len(batch)
        )
        assert positions == list(range(len(self.model), len(self.model) + len(batch)))
        self.model += [(stream, event, cause) for event in batch]

    @rule(stream=st.sampled_from(STREAMS), batch=small_batches)
    def append_without_a_version_check(self, stream, batch):
        positions = self.store.append(stream, batch)
        assert positions == list(range(len(self.model), len(self.model) + len(batch)))
        self.model += [(stream, event, None) for event in batch]

    @rule(stream=st.sampled_from(STREAMS), batch=small_batches, off=st.integers(-3, 3))
    def append_at_a_wrong_version_writes_nothing(self, stream, batch, off):
        assume(off != 0)
        with pytest.raises(ConcurrencyError):
            self.store.append(stream, batch, expected_version=self.version(stream) + off)

    @rule(stream=st.sampled_from(STREAMS), start=st.integers(0, 12), size=batch_sizes)
    def read_a_stream(self, stream, start, size):
        expected = [(p, s, e, c) for p, (s, e, c) in enumerate(self.model) if s == stream]
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
            (p, s, e, c)
            for p, (s, e, c) in enumerate(self.model)
            if p >= start and (types is None or type(e).__name__ in types)
        ]
        self.check(list(self.store.read_all(start, types=types, batch_size=size)), expected)

    @precondition(lambda self: self.reopen_store is not None)
    @rule()
    def reopen(self):
        self.store = self.reopen_store(self.store)

    @invariant()
    def versions_and_streams_match(self):
        streams = sorted({s for s, _, _ in self.model})
        assert self.store.streams() == streams
        for stream in STREAMS:
            assert self.store.version(stream) == self.version(stream)

    @invariant()
    def chain_verifies(self):
        result = self.store.verify()
        assert (result.ok, result.checked) == (True, len(self.model))

    def check(self, records, expected):
        assert len(records) == len(expected)
        for record, (position, stream, event, cause) in zip(records, expected, strict=True):
            assert (record.position, record.stream, record.causation) == (position, stream, cause)
            assert record.version == sum(1 for s, _, _ in self.model[:position] if s == stream)
            assert (record.type, record.schema) == (type(event).__name__, type(event).SCHEMA)
            assert record.occurred_at == event.occurred_at.isoformat()
            assert record.event == event
