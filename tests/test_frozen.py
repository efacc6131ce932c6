"""FrozenMap: read-only, equal to the dict it was made from, and it pickles (scenarios travel to
process-pool and Dask workers in it)."""

from __future__ import annotations

import copy
import pickle

import pytest
from hypothesis import given
from hypothesis import strategies as st

from simulator.frozen import FrozenMap, frozen_map

tables = st.dictionaries(st.text(max_size=8), st.integers())


@given(tables)
def test_a_frozen_map_equals_its_dict_and_round_trips_through_pickle(data):
    frozen = FrozenMap(data)
    assert frozen == data and data == frozen
    assert (frozen != data) is False
    assert dict(frozen) == data and {**frozen} == data and list(frozen) == list(data)
    assert len(frozen) == len(data) and all(k in frozen and frozen[k] == v for k, v in data.items())
    again = pickle.loads(pickle.dumps(frozen))
    assert type(again) is FrozenMap and again == frozen and hash(again) == hash(frozen)
    assert copy.deepcopy(frozen) == frozen


@given(tables, tables)
def test_equal_maps_hash_alike_and_unequal_ones_differ(a, b):
    assert (FrozenMap(a) == FrozenMap(b)) == (a == b)
    if a == b:
        assert hash(FrozenMap(a)) == hash(FrozenMap(reversed(list(b.items()))))


@pytest.mark.parametrize(
    "change",
    [
        lambda m: m.__setitem__("x", 1),
        lambda m: m.__delitem__("a"),
        lambda m: m.update(x=1),
        lambda m: m.pop("a"),
        lambda m: m.popitem(),
        lambda m: m.setdefault("x", 1),
        lambda m: m.clear(),
        lambda m: setattr(m, "_data", {}),
        lambda m: setattr(m, "get", dict.get),
        lambda m: delattr(m, "_data"),
    ],
)
def test_every_way_of_changing_a_frozen_map_is_a_type_error(change):
    frozen = FrozenMap({"a": 1})
    with pytest.raises(TypeError, match="cannot be changed"):
        change(frozen)
    assert frozen == {"a": 1}


def test_or_gives_a_new_map_and_leaves_the_old_one():
    frozen = FrozenMap({"a": 1})
    both = frozen | {"b": 2}
    assert type(both) is FrozenMap and both == {"a": 1, "b": 2} and frozen == {"a": 1}


def test_the_converter_freezes_mappings_and_leaves_the_rest_for_the_checks():
    frozen = FrozenMap({"a": 1})
    assert frozen_map(frozen) is frozen
    assert type(frozen_map({"a": 1})) is FrozenMap
    assert frozen_map(["a"]) == ["a"] and frozen_map(None) is None
    assert repr(frozen) == "FrozenMap({'a': 1})"
