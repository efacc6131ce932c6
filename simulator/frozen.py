"""`FrozenMap`: the read-only mapping the frozen values hold their tables in.

A frozen attrs class only stops its attributes being rebound: a plain dict it holds can still be
changed in place, and a `Scenario` changed that way keeps a `content_hash` that no longer
describes it. So every table a scenario holds is a `FrozenMap`; a changed scenario is a new
one (`attrs.evolve` with a new mapping), checked and hashed afresh. Unlike
`types.MappingProxyType` it pickles, as scenarios go to process-pool and Dask workers.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any, NoReturn, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class FrozenMap(Mapping[K, V]):
    """A mapping that cannot be changed: equal to any mapping with the same items, plain dicts
    included, and hashable when its values are.

    The engine reads the cast in its inner loops, so `get`, `keys`, `values` and `items` are
    the wrapped dict's own (read-only) methods, bound per instance: a call costs what it costs
    on the dict, not a Python call on top.
    """

    __slots__ = ("_data", "_hash", "get", "keys", "values", "items")

    def __init__(self, items: Mapping[K, V] | Iterable[tuple[K, V]] = (), /) -> None:
        data = dict(items)
        put = object.__setattr__  # its own attributes are read-only too
        put(self, "_data", data)
        put(self, "_hash", None)
        for name in ("get", "keys", "values", "items"):
            put(self, name, getattr(data, name))

    def __getitem__(self, key: K) -> V:
        return self._data[key]

    def __contains__(self, key: object) -> bool:
        return key in self._data

    def __iter__(self) -> Iterator[K]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, FrozenMap):
            return self._data == other._data
        if isinstance(other, dict):
            return self._data == other
        if isinstance(other, Mapping):
            return self._data == dict(other.items())
        return NotImplemented

    def __hash__(self) -> int:
        if self._hash is None:
            object.__setattr__(self, "_hash", hash(frozenset(self._data.items())))
        return self._hash

    def __or__(self, other: Mapping[K, V]) -> FrozenMap[K, V]:
        """A new map with *other*'s items added (as `dict |` does): this one is unchanged."""
        if not isinstance(other, Mapping):
            return NotImplemented
        return FrozenMap({**self._data, **other})

    def __reduce__(self) -> tuple[type, tuple[dict[K, V]]]:
        return (FrozenMap, (self._data,))

    def __repr__(self) -> str:
        return f"FrozenMap({self._data!r})"

    def _read_only(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise TypeError(
            "a FrozenMap cannot be changed: build a new mapping "
            "(for a frozen value, attrs.evolve(value, field=new_mapping))"
        )

    __setitem__ = __delitem__ = __setattr__ = __delattr__ = _read_only
    clear = pop = popitem = setdefault = update = _read_only


def frozen_map(value: Any) -> Any:
    """*value* as a FrozenMap if it is a mapping (a FrozenMap as it is); anything else as
    given, for the value's own checks to report (the attrs converter of frozen tables)."""
    if isinstance(value, FrozenMap):
        return value
    return FrozenMap(value) if isinstance(value, Mapping) else value
