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
from datetime import date

import attrs

from simulator.errors import DiplosimError
from simulator.ingest.countries import ISO3

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
