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
from collections.abc import Callable
from datetime import date

import attrs

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


def selector(
    filters: Filters,
    day_format: str,
    day: Callable[[list[str]], str | None],
    root: Callable[[list[str]], str | None],
    keys: Callable[[list[str]], list[Key]],
    resolve: Callable[[Key], str | None],
    country: Callable[[Key], str | None],
    reach: int,
) -> Callable[[list[str]], bool]:
    """Whether a row is inside *filters*, judged from its raw fields by a layout's pieces: its
    *day* as text (compared with the bounds written in *day_format*; None: unreadable, kept
    for the mapping to refuse), its CAMEO *root* code
    (None: unknown, kept for the mapping to refuse), its actors' *keys*, each *resolve*d to
    an id and to a *country* the way the layout's mapping does (the first two fields of a key
    are its raw code or name). These read only the first *reach* fields of a row, which the
    test carries as its `reach`, so a reader may split no further to judge it."""
    low = "" if filters.start is None else filters.start.strftime(day_format)
    high = "~" if filters.end is None else filters.end.strftime(day_format)  # after any digit
    roots, countries, wanted = filters.root_codes, filters.countries, filters.actors
    wanted_raw = {normal(name) for name in wanted}
    named: dict[Key, bool] = {}

    def names(key: Key) -> bool:
        found = named.get(key)
        if found is None:
            found = resolve(key) in wanted or any(normal(raw) in wanted_raw for raw in key[:2])
            if len(named) > 100_000:
                named.clear()
            named[key] = found
        return found

    def keep(f: list[str]) -> bool:
        text = day(f)
        if text is not None and not low <= text <= high:
            return False
        if roots:
            code = root(f)
            if code is not None and code not in roots:
                return False
        if countries or wanted:
            present = [key for key in keys(f) if any(key)]
            if countries and not any(country(key) in countries for key in present):
                return False
            if wanted and not any(names(key) for key in present):
                return False
        return True

    keep.reach = reach
    return keep


def root_codes() -> Callable[[str], str | None]:
    """The root (first two digits) of a raw CAMEO code (leading zeros restored), cached; None
    for an unknown code."""
    cache: dict[str, str | None] = {}

    def root(text: str) -> str | None:
        found = cache.get(text, cache)
        if found is cache:
            try:
                found = cameo_code(text)[:2]
            except Refused:
                found = None
            cache[text] = found
        return found

    return root
