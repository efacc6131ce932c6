"""The store contract on the in-memory backend, plus the hash chain's fast path with metadata."""

from hypothesis import given, settings
from hypothesis import strategies as st

from simulator.store import Record, open_store
from simulator.store.chain import GENESIS, chain, record_hash
from tests.store_contract import MACHINE_SETTINGS, StoreContract, StoreMachine


def fresh():
    return open_store("memory://")


def tamper(store, position, column, value):
    rows = store._rows_list
    row = list(rows[position])
    row[Record._fields.index(column)] = value
    rows[position] = tuple(row)


class TestMemoryStoreContract(StoreContract):
    fresh = staticmethod(fresh)
    tamper = staticmethod(tamper)


class MemoryStoreMachine(StoreMachine):
    fresh = staticmethod(fresh)


class TestMemoryStoreMachine(MemoryStoreMachine.TestCase):
    settings = MACHINE_SETTINGS


text = st.text(st.characters(exclude_categories=("Cs",)), max_size=12)


@settings(max_examples=100)
@given(
    # A schema that is a bool takes the slow path (record_hash), an int the fast one.
    prepared=st.lists(
        st.tuples(
            text, st.integers(0, 9) | st.booleans(), text, st.none() | text, text, st.none() | text
        ),
        max_size=4,
    ),
    metadata=st.none() | text,
    previous=st.sampled_from([GENESIS, "f" * 64]),
)
def test_chain_hashes_the_metadata_and_id_as_more_columns_as_record_hash_does(
    prepared, metadata, previous
):
    # test_codec checks the fast path without metadata or ids; this one, with them.
    recorded_at = "2024-05-01T12:00:00.000000+00:00"
    rows = chain("s", 3, 10, previous, prepared, recorded_at, metadata=metadata)
    for row in rows:
        if row[10] is not None:
            body = (*row[:9], metadata, row[10])
        else:
            body = row[:9] if metadata is None else (*row[:9], metadata)
        assert row[9] == record_hash(previous, body)
        previous = row[9]
