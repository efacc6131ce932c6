"""What an import keeps: rows inside the filters are mapped, encoded and stored; the rest are
counted and skipped first, from the raw fields, so a study of a few actors out of millions of
rows pays for reading them only.

Every filter given must hold (they combine with AND); within one, any value may match:

- `actors`: actor 1 or actor 2 is one of these ids (as the import names them: by the actors
  table, else the format's default id), or has one of them as its code or name;
- `countries`: actor 1 or actor 2 is of one of these ISO-3 countries;
- `start`, `end`: the row's date is within them (both days included);
- `root_codes`: the event's CAMEO root code (its first two digits) is one of these.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import date

import attrs
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from simulator.errors import DiplosimError
from simulator.ingest.countries import ISO3, normal
from simulator.ingest.mapping import Refused, cameo_code

_ROOT = re.compile(r"\d{2}")


class FilterError(DiplosimError):
    """A filter's value cannot be used."""


@attrs.frozen
class Filters:
    actors: frozenset[str] = frozenset()
    countries: frozenset[str] = frozenset()
    start: date | None = None
    end: date | None = None
    root_codes: frozenset[str] = frozenset()

    def __attrs_post_init__(self) -> None:
        if self.start is not None and self.end is not None and self.end < self.start:
            raise FilterError(f"--to {self.end} comes before --from {self.start}")
        unknown = sorted(self.countries - ISO3)
        if unknown:
            raise FilterError(f"--countries: {unknown[0]!r} is no ISO-3 country code")
        bad = sorted(code for code in self.root_codes if not _is_root(code))
        if bad:
            raise FilterError(f"--root-codes: {bad[0]!r} is no CAMEO root code (01 to 20)")

    @property
    def any(self) -> bool:
        """Whether anything is filtered out at all."""
        return bool(self.actors or self.countries or self.root_codes) or (
            self.start is not None or self.end is not None
        )


def _is_root(code: str) -> bool:
    return bool(_ROOT.fullmatch(code)) and 1 <= int(code) <= 20


def listed(text: str, upper: bool = False) -> frozenset[str]:
    """A comma-separated command-line list as a set (empty items dropped)."""
    items = (item.strip() for item in text.split(","))
    return frozenset(item.upper() if upper else item for item in items if item)


Key = tuple[str, ...]
Piece = tuple[Sequence[int | None], Callable[..., object]]  # columns read, what of their values
Keep = Callable[[Sequence[pa.Array]], np.ndarray]


def selector(
    filters: Filters,
    day_format: str,
    day: Piece,
    root: Piece,
    sides: Sequence[Sequence[int | None]],
    key: Callable[..., Key],
    resolve: Callable[[Key], str | None],
    country: Callable[[Key], str | None],
) -> Keep:
    """Which rows of a block (its columns by place) are inside *filters*, judged from their
    raw fields by a layout's pieces: the *day* as text (compared with the bounds written in
    *day_format*; None: unreadable, kept for the mapping to refuse), the CAMEO *root* code
    (None: unknown, kept for the mapping to refuse), and each actor's *key* made of one of the
    *sides*' fields, *resolve*d to an id and to a *country* the way the layout's mapping does
    (the first two fields of a key are its raw code or name). A column place None reads as
    empty. Each test runs once per distinct value in a block (its answers kept for the blocks
    after), only on the rows the tests before kept; the rows are kept or dropped by array
    operations."""
    low = "" if filters.start is None else filters.start.strftime(day_format)
    high = "~" if filters.end is None else filters.end.strftime(day_format)  # after any digit
    roots, countries, wanted = filters.root_codes, filters.countries, filters.actors
    wanted_raw = {normal(name) for name in wanted}
    day_columns, day_text = day
    root_columns, root_code = root

    def in_days(*values: str) -> bool:
        text = day_text(*values)
        return text is None or low <= text <= high

    def in_roots(*values: str) -> bool:
        code = root_code(*values)
        return code is None or code in roots

    def of_countries(*values: str) -> bool:
        found = key(*values)
        return any(found) and country(found) in countries

    def named(*values: str) -> bool:
        found = key(*values)
        return any(found) and (
            resolve(found) in wanted or any(normal(raw) in wanted_raw for raw in found[:2])
        )

    # In the order they are judged: the fewest distinct values a block first (a score of root
    # codes, a few hundred days, thousands of actors), so that each later one sees fewer rows.
    tests: list[tuple[Callable[..., bool], list[Sequence[int | None]]]] = []
    if roots:
        tests.append((_remembered(in_roots), [root_columns]))
    if filters.start is not None or filters.end is not None:
        tests.append((_remembered(in_days), [day_columns]))
    if countries:
        tests.append((_remembered(of_countries), list(sides)))
    if wanted:
        tests.append((_remembered(named), list(sides)))

    def keep(columns: Sequence[pa.Array]) -> np.ndarray:
        rows = len(columns[0])
        inside = np.ones(rows, dtype=bool)
        places = np.arange(rows)  # the rows still inside
        for test, groups in tests:  # each on the rows the ones before kept
            if not len(places):
                break
            passed = np.zeros(len(places), dtype=bool)
            for group in groups:  # a row passes a test when any of its groups does
                arrays = [_column(columns, i, rows) for i in group]
                if len(places) < rows:
                    arrays = [array.take(places) for array in arrays]
                passed |= per_distinct(arrays, test)
            inside[places[~passed]] = False
            places = places[passed]
        return inside

    return keep


def _remembered(test: Callable[..., bool]) -> Callable[..., bool]:
    """*test*, its answers kept across blocks (up to 100,000 of them): most of a block's actors
    and days were in the block before."""
    answers: dict[tuple, bool] = {}

    def remembered(*values: str) -> bool:
        found = answers.get(values)
        if found is None:
            if len(answers) >= 100_000:
                answers.clear()
            found = answers[values] = test(*values)
        return found

    return remembered


def _column(columns: Sequence[pa.Array], place: int | None, rows: int) -> pa.Array:
    return pa.nulls(rows, pa.string()).fill_null("") if place is None else columns[place]


def per_distinct(arrays: Sequence[pa.Array], test: Callable[..., bool]) -> np.ndarray:
    """`test(*values)` for each row of the equally long *arrays* of text, as booleans, called
    once for each distinct combination of values: a block of 2,500 GDELT rows holds a few
    hundred distinct actors and days."""
    encoded = pc.dictionary_encode(arrays[0])
    combos = [(value,) for value in encoded.dictionary.to_pylist()]
    combined = encoded.indices.to_numpy()  # each row's combination of the values so far
    for array in arrays[1:]:
        encoded = pc.dictionary_encode(array)
        values = encoded.dictionary.to_pylist()
        pairs = combined.astype(np.int64) * len(values) + encoded.indices.to_numpy()
        compact = pc.dictionary_encode(pa.array(pairs))  # the pairs that occur, numbered
        combos = [
            combos[pair // len(values)] + (values[pair % len(values)],)
            for pair in compact.dictionary.to_pylist()
        ]
        combined = compact.indices.to_numpy()
    results = np.fromiter((test(*combo) for combo in combos), dtype=bool, count=len(combos))
    return results[combined]


def root_code(text: str) -> str | None:
    """The root (first two digits) of a raw CAMEO code (leading zeros restored); None for an
    unknown code. (A filter remembers its answers, so this is not cached.)"""
    try:
        return cameo_code(text)[:2]
    except Refused:
        return None
