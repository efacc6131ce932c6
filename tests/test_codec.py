"""The codec: canonical JSON, round trips for every event type, clear errors, upcasting."""

from __future__ import annotations

import json
from datetime import date, datetime

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator import codec, events
from simulator.errors import CodecError, DiplosimError, StoreError
from simulator.store import open_store
from simulator.store.chain import GENESIS, chain, record_hash
from tests.strategies import event_of

ALL_TYPES = sorted(events.REGISTRY.items())

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)


@pytest.mark.parametrize(("name", "cls"), ALL_TYPES)
@settings(max_examples=15)
@given(data=st.data())
def test_every_event_type_round_trips_through_every_path(name, cls, data):
    event = data.draw(event_of(cls))
    type_name, schema, payload = codec.encode(event)
    assert (type_name, schema) == (name, cls.SCHEMA)
    assert codec.decode(type_name, schema, payload) == event
    assert codec.decode_trusted(type_name, schema, payload) == event
    assert codec.from_dict(json.loads(codec.dumps(codec.to_dict(event)))) == event
    assert codec.encode(codec.decode(type_name, schema, payload))[2] == payload


@pytest.mark.parametrize(("name", "cls"), ALL_TYPES)
@settings(max_examples=60)
@given(data=st.data())
def test_the_generated_payload_writer_gives_the_bytes_of_the_general_path(name, cls, data):
    event = data.draw(event_of(cls))
    assert codec.encode(event)[2] == codec.dumps(codec.to_fields(event))


class _Text(str):
    pass


class _Count(int):
    pass


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("attacker", _Text("AZE")),  # written as the encoder writes any str
        ("attacker", 'Ünïcode "quoted" \\ \n \x00 \u2028'),
        ("troops", True),  # a bool is JSON true, not 1
        ("troops", _Count(7)),
        ("troops", 1.5),
        ("troops", "12"),
        ("casualties", 2**70),
        ("source", ""),
        ("occurred_at", datetime(2023, 9, 19, 12, 30)),
        ("region", None),
    ],
)
def test_values_not_of_their_declared_type_are_written_as_the_general_path_writes_them(
    field, value
):
    event = events.Offensive(**_plain(offensive_fields(troops=5)))
    object.__setattr__(event, field, value)  # past the validators, as no caller should
    assert codec.encode(event)[2] == codec.dumps(codec.to_fields(event))


@pytest.mark.parametrize(("field", "value"), [("usd", float("nan")), ("tonnes", float("inf"))])
def test_the_payload_writer_refuses_what_the_general_path_refuses(field, value):
    event = events.AidPledge(
        occurred_at=date(2023, 9, 19), donor="EU", recipient="ARM", region="NK", kind="food"
    )
    object.__setattr__(event, field, value)
    with pytest.raises(ValueError):
        codec.dumps(codec.to_fields(event))
    with pytest.raises(ValueError):
        codec.encode(event)


def test_a_parties_tuple_with_a_non_text_member_is_written_as_by_the_general_path():
    event = events.Ceasefire(occurred_at=date(2023, 9, 19), parties=("AZE", "ARM"))
    object.__setattr__(event, "parties", ("AZE", 5))
    assert codec.encode(event)[2] == codec.dumps(codec.to_fields(event))


@settings(max_examples=100)
@given(value=json_values)
def test_canonical_json_is_sorted_compact_and_equal_to_the_standard_library(value):
    expected = json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )
    assert codec.dumps(value) == expected


def test_payload_leaves_out_defaults_and_writes_dates_as_iso():
    event = events.Statement(occurred_at=date(2023, 9, 19), speaker="AZE", kind="comment")
    assert codec.encode(event) == (
        "Statement",
        1,
        '{"kind":"comment","occurred_at":"2023-09-19","speaker":"AZE"}',
    )


def test_canonical_json_refuses_nan():
    with pytest.raises(ValueError):
        codec.dumps({"x": float("nan")})


def offensive_fields(**changes):
    fields = {
        "type": "Offensive",
        "occurred_at": "2023-09-19",
        "attacker": "AZE",
        "defender": "ARM",
        "region": "NK",
    }
    return {**fields, **changes}


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        (offensive_fields(type="Invasion"), "unknown event type 'Invasion' \\(known: Agreement"),
        ({"occurred_at": "2023-09-19"}, "missing 'type'"),
        (offensive_fields(tanks=3), "Offensive: unknown field 'tanks'"),
        ({"type": "Offensive", "occurred_at": "2023-09-19"}, "missing field 'attacker'"),
        (offensive_fields(occurred_at="19/09/2023"), "'occurred_at' must be a date YYYY-MM-DD"),
        (offensive_fields(occurred_at="2023-W38-2"), "'occurred_at' must be a date YYYY-MM-DD"),
        (
            offensive_fields(troops=1.5),
            "'troops' must be a whole number from 0 to 1e\\+11 \\(got 1.5\\)",
        ),
        (
            offensive_fields(troops="12"),
            "'troops' must be a whole number from 0 to 1e\\+11 \\(got '12'\\)",
        ),
        (offensive_fields(attacker=5), "'attacker' must be a non-empty actor id"),
        (
            {"type": "Agreement", "occurred_at": "2023-09-19", "parties": "AB", "kind": "peace"},
            "'parties' must be at least 2 actor ids \\(got 'AB'\\)",
        ),
    ],
)
def test_bad_fields_are_one_clear_error_never_coerced(fields, message):
    with pytest.raises(DiplosimError, match=message):
        codec.from_dict(fields)


def test_whole_numbers_are_accepted_where_amounts_are_asked():
    event = codec.from_dict(
        {
            "type": "AidPledge",
            "occurred_at": "2023-09-19",
            "donor": "EU",
            "recipient": "ARM",
            "region": "NK",
            "kind": "food",
            "usd": 5,
        }
    )
    assert event.usd == 5.0 and type(event.usd) is float


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ("{", "Offensive: payload is not JSON"),
        ("[1]", "Offensive: payload is not a JSON object"),
        ('{"occurred_at":"2023-09-19"}', "Offensive: missing field 'attacker'"),
    ],
)
def test_a_damaged_payload_is_a_codec_error_on_both_read_paths(payload, message):
    for decode in (codec.decode, codec.decode_trusted):
        with pytest.raises(CodecError, match=message):
            decode("Offensive", 1, payload)


def test_trusted_decoding_of_a_payload_with_an_extra_field_still_refuses_it():
    payload = codec.encode(events.Offensive(**_plain(offensive_fields())))[2][:-1] + ',"x":1}'
    with pytest.raises(CodecError, match="unknown field 'x'"):
        codec.decode_trusted("Offensive", 1, payload)


def _plain(fields):
    fields = dict(fields)
    fields.pop("type")
    fields["occurred_at"] = date.fromisoformat(fields["occurred_at"])
    return fields


# --- upcasting: a test-only type whose schema 1 had `count`, schema 2 has `total` and `unit`


def _tally_v1():
    @attrs.frozen(kw_only=True)
    class Tally(events.Event):
        SCHEMA = 1
        count: int

    return Tally


def _tally_v2():
    @attrs.frozen(kw_only=True)
    class Tally(events.Event):  # the type is stored by its name: both versions are `Tally`
        SCHEMA = 2
        total: int
        unit: str

    return Tally


TallyV1, TallyV2 = _tally_v1(), _tally_v2()


def _tally_1_to_2(fields):
    fields = dict(fields)
    fields["total"] = fields.pop("count")
    fields["unit"] = "head"
    return fields


@pytest.fixture
def tally(monkeypatch):
    """Registers `Tally` at schema 1; `upgrade()` re-registers it at schema 2 with an upcaster."""

    def upgrade(with_upcaster=True):
        monkeypatch.setitem(events.REGISTRY, "Tally", TallyV2)
        if with_upcaster:
            monkeypatch.setitem(codec._UPCASTERS, ("Tally", 1), _tally_1_to_2)

    monkeypatch.setitem(events.REGISTRY, "Tally", TallyV1)
    return upgrade


@pytest.mark.parametrize("url", ["memory://", "sqlite"])
def test_a_record_stored_at_an_old_schema_is_read_upcast_and_its_bytes_stay(url, tally, tmp_path):
    store = open_store(f"sqlite:///{tmp_path / 'up.db'}" if url == "sqlite" else url)
    store.append("s", [TallyV1(occurred_at=date(2021, 5, 1), count=3)], expected_version=0)
    (stored,) = store.read("s")
    tally()
    (record,) = store.read("s")
    assert record.event == TallyV2(occurred_at=date(2021, 5, 1), total=3, unit="head")
    assert (record.schema, record.payload, record.hash) == (1, stored.payload, stored.hash)
    assert record.payload == '{"count":3,"occurred_at":"2021-05-01"}'
    assert store.verify().ok
    store.close()


def test_an_old_schema_without_an_upcaster_is_a_clear_error(tally):
    payload = codec.encode(TallyV1(occurred_at=date(2021, 5, 1), count=3))[2]
    tally(with_upcaster=False)
    with pytest.raises(CodecError, match="Tally: no upcaster from schema 1"):
        codec.decode_trusted("Tally", 1, payload)


def test_a_schema_newer_than_the_code_is_a_clear_error():
    with pytest.raises(CodecError, match="Offensive: schema 3 is newer than this version knows"):
        codec.decode(
            "Offensive", 3, codec.encode(events.Offensive(**_plain(offensive_fields())))[2]
        )


def test_register_upcaster_makes_the_upcaster_apply(tally, monkeypatch):
    monkeypatch.setitem(events.REGISTRY, "Tally", TallyV2)
    monkeypatch.setattr(codec, "_UPCASTERS", dict(codec._UPCASTERS))
    codec.register_upcaster("Tally", 1, _tally_1_to_2)
    event = codec.decode("Tally", 1, '{"count":7,"occurred_at":"2021-05-01"}')
    assert (event.total, event.unit) == (7, "head")


# --- the hash chain writes each row's canonical JSON itself: the same bytes as `record_hash`

# Any code point, lone surrogates (no valid Unicode) included.
row_text = st.text(st.characters(exclude_categories=()), max_size=20)


@settings(max_examples=100)
@given(
    stream=row_text.filter(bool),
    start=st.integers(min_value=0, max_value=2**40),
    prepared=st.lists(
        st.tuples(
            row_text,
            st.integers(min_value=0, max_value=9) | st.booleans(),
            row_text,
            st.none() | row_text,
            row_text,
            st.just(None),
        ),
        max_size=5,
    ),
    previous=st.sampled_from([GENESIS, "f" * 64, "née"]),
)
def test_chain_hashes_each_row_as_record_hash_does(stream, start, prepared, previous):
    recorded_at = "2024-05-01T12:00:00.000000+00:00"
    try:
        rows = chain(stream, start, start + 7, previous, prepared, recorded_at)
    except StoreError:  # text that is no valid Unicode: record_hash cannot encode it either
        with pytest.raises(UnicodeEncodeError):
            _reference_chain(previous, stream, start, prepared, recorded_at)
        return
    assert rows == _reference_chain(previous, stream, start, prepared, recorded_at)


def _reference_chain(previous, stream, start, prepared, recorded_at):
    rows = []
    for offset, (type_name, schema, occurred_at, cause, payload, _) in enumerate(prepared):
        row = (start + 7 + offset, stream, start + offset, type_name, schema, occurred_at)
        row += (recorded_at, cause, payload)
        previous = record_hash(previous, row)
        rows.append((*row, previous, None))
    return rows
