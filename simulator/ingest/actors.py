"""The actors table: which scenario actor (and region) id each name or code in the data means.

A TOML file with two tables, each id to its aliases (codes or names, matched ignoring case
and repeated spaces; an id is always an alias of itself):

    [actors]
    AAA = ["AAAGOV", "AAAMIL", "Republic of Aaa", "Aaa President"]
    [regions]
    R1 = ["North Province", "XX05"]

An actor not in the table gets a default id (see each layout); that default is itself looked
up in the table, so `X = ["AZE"]` renames every actor whose default is AZE.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping, Sequence

from simulator.errors import DiplosimError
from simulator.ingest.countries import normal
from simulator.inputs import InputError, read_whole


class ActorsTableError(DiplosimError):
    """The actors table file is unreadable or malformed."""


def _aliases(path: str, section: str, table: object) -> dict[str, str]:
    if not isinstance(table, Mapping):
        raise ActorsTableError(f"{path}: [{section}] must be a table of id = [aliases]")
    found: dict[str, str] = {}
    for ident, names in table.items():
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise ActorsTableError(
                f"{path}: [{section}] {ident} must be a list of names or codes (got {names!r})"
            )
        if not ident.strip() or ident != ident.strip():
            raise ActorsTableError(f"{path}: [{section}] id {ident!r} has surrounding spaces")
        for name in (ident, *names):
            key = normal(name)
            if key in found and found[key] != ident:
                raise ActorsTableError(
                    f"{path}: [{section}] {name!r} is an alias of both {found[key]} and {ident}"
                )
            found[key] = ident
    return found


class ActorTable:
    """Aliases of actor ids and region ids; `ActorTable()` is the empty table (defaults only)."""

    def __init__(
        self,
        actors: Mapping[str, Sequence[str]] | None = None,
        regions: Mapping[str, Sequence[str]] | None = None,
        path: str = "actors table",
    ) -> None:
        self.path = path
        self._actors = _aliases(path, "actors", actors or {})
        self._regions = _aliases(path, "regions", regions or {})

    @classmethod
    def load(cls, path: str) -> ActorTable:
        """The table in the TOML file at *path*; ActorsTableError naming the file if unusable."""
        try:
            data = tomllib.loads(read_whole(path).decode("utf-8"))
        except InputError as exc:
            raise ActorsTableError(f"actors table {exc}") from None
        except UnicodeDecodeError as exc:
            raise ActorsTableError(f"{path}: not UTF-8 (byte {exc.start + 1})") from None
        except RecursionError:
            raise ActorsTableError(f"{path}: nested too deeply (valid TOML expected)") from None
        except tomllib.TOMLDecodeError as exc:
            raise ActorsTableError(f"{path}: not valid TOML: {exc}") from None
        unknown = sorted(set(data) - {"actors", "regions"})
        if unknown:
            raise ActorsTableError(
                f"{path}: unknown table [{unknown[0]}] (expected actors, regions)"
            )
        return cls(data.get("actors"), data.get("regions"), path)

    def actor(self, names: Iterable[str], default: str | None) -> str | None:
        """The id of the first of *names* in the table, else *default* (renamed by the table)."""
        return _resolve(self._actors, names, default)

    def region(self, names: Iterable[str], default: str | None) -> str | None:
        """The id of the first of the place *names* in the regions table, else *default*."""
        return _resolve(self._regions, names, default)


def _resolve(aliases: dict[str, str], names: Iterable[str], default: str | None) -> str | None:
    if aliases:
        for name in names:
            if name:
                found = aliases.get(normal(name))
                if found is not None:
                    return found
        if default is not None:
            return aliases.get(normal(default), default)
    return default
