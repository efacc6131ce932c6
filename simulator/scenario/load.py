"""Loading: TOML text -> `Scenario`, following `extends`, every problem at its file and line.

Loading only parses data (`tomllib`); nothing in a file is ever executed, and the only files
read are the one asked for and those its `extends` chain names (relative to the file naming
them), and those only under the asked file's folder tree or a folder the caller names
(`extends_root`): a scenario from elsewhere cannot make the program read `/etc/passwd`.

A child inherits its parent's tables: its `[scenario]`, `[branch]`, `[actors]`, `[regions]`,
`[dynamics]`, `[ensemble]` and `[outputs]` keys override the parent's one by one, its
`[[events]]` join the parent's record by date (after the parent's events of the same day) and
its `[[interventions]]` follow the parent's.
"""

from __future__ import annotations

import functools
import re
import tomllib
from datetime import date
from pathlib import Path
from typing import Any

import attrs

from simulator.errors import ScenarioError
from simulator.inputs import MAX_TEXT_BYTES, InputError, read_whole
from simulator.scenario.problems import Invalid, InvalidScenario, KeyPath, Locator, render_path
from simulator.scenario.read import read
from simulator.scenario.value import Scenario

MAX_DEPTH = 16  # a longer chain of extends is a mistake, not a design
_LISTS = ("events", "interventions", "alignments", "questions")


@attrs.define
class _Source:
    """One file of the chain: where it is, its text and what it says."""

    where: str
    text: str
    data: dict[str, Any]
    _locator: Locator | None = None

    def line(self, path: KeyPath) -> int:
        if self._locator is None:
            self._locator = Locator(self.text)
        return self._locator.line(path)


@attrs.define
class _Merged:
    """The data of a chain of files merged, and which file gave each part of it."""

    data: dict[str, Any]
    sources: list[_Source]  # root first, the file asked for last
    origins: dict[str, list[tuple[_Source, int]] | None]

    def locate(self, path: KeyPath) -> tuple[_Source, KeyPath]:
        """The file and the path in that file that gave the merged *path*."""
        if len(path) >= 2 and path[0] in _LISTS and isinstance(path[1], int):
            origin = self.origins.get(str(path[0]))
            if origin is not None and path[1] < len(origin):
                source, index = origin[path[1]]
                return source, (path[0], index, *path[2:])
        for depth in (2, 1):
            for source in reversed(self.sources):
                if _holds(source.data, path[:depth]):
                    return source, path
        return self.sources[-1], path


def _holds(data: Any, path: KeyPath) -> bool:
    for part in path:
        if isinstance(data, dict) and part in data:
            data = data[part]
        else:
            return False
    return bool(path)


def parse_scenario(
    text: str,
    source_path: str | None = None,
    extends_root: str | Path | None = None,
    max_bytes: int = MAX_TEXT_BYTES,
) -> Scenario:
    """The scenario written as TOML *text*; errors name *source_path* (or `<scenario>`), and
    `extends` is read relative to it, reaching only files under its folder tree or under
    *extends_root*, each of at most *max_bytes*."""
    where = source_path or "<scenario>"
    source = _Source(where, text, _parse(text, where))
    roots = [Path(source_path).resolve().parent] if source_path else []
    if extends_root is not None:
        roots.append(Path(extends_root).resolve())
    merged = _resolve(source, source_path, [], _Reach(tuple(roots), max_bytes))
    try:
        values = read(merged.data)
        scenario = Scenario(
            **values,
            source_path=source_path,
            extends=tuple(s.where for s in reversed(merged.sources[:-1])),
        )
    except Invalid as exc:
        raise _located(merged, exc) from None
    return scenario


def load_scenario(
    path: str | Path, extends_root: str | Path | None = None, max_bytes: int = MAX_TEXT_BYTES
) -> Scenario:
    """Load and validate the scenario file at *path*; its problems are one line each. Its
    `extends` chain may reach files under its own folder tree and under *extends_root*; no
    file of the chain may be larger than *max_bytes*."""
    text = _read_text(str(path), max_bytes)
    return parse_scenario(text, str(path), extends_root, max_bytes)


@attrs.frozen
class _Reach:
    """Which files a chain of `extends` may read: under these folders, up to this size."""

    roots: tuple[Path, ...]
    max_bytes: int


def _read_text(where: str, max_bytes: int) -> str:
    try:
        raw = read_whole(where, max_bytes, raise_by="--max-size MIB")
    except InputError as exc:
        raise InvalidScenario([str(exc)]) from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InvalidScenario(
            [f"{where}:{line}: (encoding): not UTF-8 (a UTF-8 text file expected)"]
        ) from None


def _parse(text: str, where: str) -> dict[str, Any]:
    try:
        return _parsed(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        found = re.search(r"\(at line (\d+), column (\d+)\)", message)
        if found:
            line, place = found.group(1), f" at column {found.group(2)}"
        else:
            line, place = str(text.count("\n") + 1), " at the end of the file"
        what = re.sub(r"\s*\(at (line \d+, column \d+|end of document)\)", "", message)
        raise InvalidScenario(
            [f"{where}:{line}: (syntax): {what}{place} (valid TOML expected)"]
        ) from None
    except RecursionError:
        raise InvalidScenario(
            [f"{where}:1: (syntax): nested too deeply (valid TOML expected)"]
        ) from None


@functools.lru_cache(maxsize=8)
def _parsed(text: str) -> dict[str, Any]:
    # A parent is parsed once for all the children that extend it. The data is never changed
    # after parsing (merging builds new tables), so the cached value can be shared.
    return tomllib.loads(text)


def _resolve(source: _Source, source_path: str | None, chain: list[Path], reach: _Reach) -> _Merged:
    """*source* merged onto the chain of files its `extends` names."""
    data = _anchored(source.data, source_path)
    parent_name = data.pop("extends", None)
    if parent_name is None:
        return _Merged(data, [source], {k: _own(data, k, source) for k in _LISTS})

    def fail(what: str) -> InvalidScenario:
        return InvalidScenario([f"{source.where}:{source.line(('extends',))}: extends: {what}"])

    if not isinstance(parent_name, str) or not parent_name.strip():
        return_kind = type(parent_name).__name__
        raise fail(
            f"{parent_name!r} is a {return_kind} (a file name relative to this file expected)"
        )
    if source_path is None:
        raise fail("the text has no file to be relative to (load it from a file)")
    here = Path(source_path)
    parent = here.parent / parent_name
    resolved = parent.resolve()
    seen = [*chain, here.resolve()]
    if resolved in seen:
        cycle = " -> ".join(p.name for p in [*seen[seen.index(resolved) :], resolved])
        raise fail(f"a cycle: {cycle} (a chain of files that ends expected)")
    if len(seen) > MAX_DEPTH:
        raise fail(f"the chain is longer than {MAX_DEPTH} files (a shorter chain expected)")
    if not any(resolved.is_relative_to(root) for root in reach.roots):
        folders = " or ".join(str(root) for root in reach.roots)
        raise fail(
            f"{parent_name!r} is outside {folders} (a file under the scenario's folder expected;"
            " --extends-root DIR allows another folder)"
        )
    where = str(parent)
    try:
        text = _read_text(where, reach.max_bytes)
    except InvalidScenario as exc:
        raise fail(f"{parent_name!r}: {exc} (a readable scenario file expected)") from None
    try:
        parsed = _parse(text, where)
    except InvalidScenario as exc:  # not a scenario: said on the line of the file naming it
        raise fail(f"{parent_name!r} is not a scenario file: {exc}") from None
    base = _resolve(_Source(where, text, parsed), where, seen, reach)
    return _merge(base, source, data)


# Tables whose `from` names a file (a fit file), read relative to the scenario file naming it.
_FROM = ("dynamics", "uncertainties")


def _anchored(data: dict[str, Any], source_path: str | None) -> dict[str, Any]:
    """A copy of *data* whose `from` paths are relative to the working directory rather than
    to the file at *source_path* (a child may inherit them from a parent elsewhere)."""
    out = dict(data)
    for key in _FROM:
        table = out.get(key)
        if isinstance(table, dict) and isinstance(table.get("from"), str) and source_path:
            named = Path(table["from"])
            if not named.is_absolute():
                out[key] = {**table, "from": str(Path(source_path).parent / named)}
    return out


def _own(data: dict[str, Any], key: str, source: _Source) -> list[tuple[_Source, int]] | None:
    value = data.get(key, [])
    return [(source, i) for i in range(len(value))] if isinstance(value, list) else None


def _merge(base: _Merged, source: _Source, data: dict[str, Any]) -> _Merged:
    merged = dict(base.data)
    origins = dict(base.origins)
    for key, value in data.items():
        old = merged.get(key)
        if key in _LISTS and isinstance(value, list) and isinstance(old, list | None):
            mine = [(source, i) for i in range(len(value))]
            theirs = list(zip(old or [], origins.get(key) or [], strict=False))
            if len(theirs) != len(old or []):
                merged[key], origins[key] = value, None
                continue
            if key == "events":
                pairs = _by_date(theirs, list(zip(value, mine, strict=True)))
            else:
                pairs = [*theirs, *zip(value, mine, strict=True)]
            merged[key] = [item for item, _ in pairs]
            origins[key] = [origin for _, origin in pairs]
        elif isinstance(value, dict) and isinstance(old, dict):
            # One level deeper too: a child's [dynamics.attack] changes only its own keys.
            merged[key] = {
                **old,
                **{
                    k: {**old[k], **v}
                    if isinstance(v, dict) and isinstance(old.get(k), dict)
                    else v
                    for k, v in value.items()
                },
            }
        else:
            merged[key] = value
            if key in _LISTS:
                origins[key] = None
    return _Merged(merged, [*base.sources, source], origins)


def _by_date(parent: list, child: list) -> list:
    """Both lists in one, by date; on a day, the parent's first. A value that is no event
    with a date sorts last (the checks will name it)."""

    def day(pair: tuple[Any, Any]) -> date:
        item = pair[0]
        value = item.get("occurred_at") if isinstance(item, dict) else None
        return value if type(value) is date else date.max

    out, i, j = [], 0, 0
    while i < len(parent) and j < len(child):
        if day(parent[i]) <= day(child[j]):
            out.append(parent[i])
            i += 1
        else:
            out.append(child[j])
            j += 1
    return out + parent[i:] + child[j:]


def _located(merged: _Merged, exc: Invalid) -> ScenarioError:
    lines = []
    for path, what in exc.problems:
        source, local = merged.locate(path)
        lines.append((merged.sources.index(source), source.line(local), source, local, what))
    lines.sort(key=lambda x: (-x[0], x[1]))  # the file asked for first, then by line
    return InvalidScenario(
        f"{s.where}:{line}: {render_path(local) or '(top level)'}: {what}"
        for _, line, s, local, what in lines
    )
