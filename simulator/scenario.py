"""Scenario files: the TOML format, its loader and validation, and the `Scenario` value.

A scenario names its actors and regions, carries the recorded events, says where the
simulation branches from the record and which dynamics parameters it runs with. Loading only
parses data (`tomllib`); nothing in a file is ever executed. Every problem becomes one
`ScenarioError` line, `file:line: key.path: what is wrong (what was expected)`.

The loader has three stages: TOML parsing, the shape of each table (one reader per top-level
table in `_TABLES`), then the meaning of the whole (checked by `Scenario` itself, so a
scenario built in Python or changed with `attrs.evolve` obeys the same rules).
"""

from __future__ import annotations

import bisect
import difflib
import hashlib
import re
import tomllib
from collections.abc import Callable, Mapping
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import attrs

from simulator import codec, events
from simulator.dynamics import Parameters
from simulator.errors import CodecError, EventError, ScenarioError

KeyPath = tuple[str | int, ...]


def render_path(path: KeyPath) -> str:
    """`("events", 12, "attacker")` -> `events[12].attacker` (indices count from 0)."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


class _Invalid(ScenarioError):
    """A problem at a key path, before the loader adds the file and line."""

    def __init__(self, path: KeyPath, what: str) -> None:
        self.path = path
        self.what = what
        super().__init__(f"{render_path(path) or '(top level)'}: {what}")


def _suggest(word: str, options: Any) -> str:
    close = difflib.get_close_matches(word, list(options), n=1, cutoff=0.6)
    return f"did you mean {close[0]!r}? " if close else ""


def _listing(options: Any, limit: int = 12) -> str:
    names = list(options)
    shown = ", ".join(names[:limit])
    return shown + (", ..." if len(names) > limit else "")


# --- the value -----------------------------------------------------------------------------


def _check_ids(kind: str, value: Any) -> None:
    for key, name in value.items():
        if not isinstance(key, str) or not re.fullmatch(r"[A-Za-z0-9_.-]+", key):
            raise _Invalid((kind, key), "bad id (letters, digits, '_', '-', '.' expected)")
        if not isinstance(name, str):
            raise _Invalid((kind, key), f"{name!r} is not a name (a string expected)")


@attrs.frozen(kw_only=True)
class Scenario:
    """A validated scenario: who and where, the record, the branch point and the dynamics.

    `content_hash` is the sha256 of `canonical()`: the same scenario gives the same hash on any
    machine, whatever the comments, key order or file it came from.
    """

    name: str
    description: str = ""
    start: date
    horizon: date
    actors: dict[str, str] = attrs.field(factory=dict, hash=False)
    regions: dict[str, str] = attrs.field(factory=dict, hash=False)
    events: tuple[events.Event, ...] = attrs.field(default=(), converter=tuple)
    branch_at: date | None = None
    keep_record: bool = False
    dynamics: Parameters = attrs.field(factory=Parameters)
    source_path: str | None = attrs.field(default=None, eq=False)
    content_hash: str = attrs.field(init=False, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        self._check()
        digest = hashlib.sha256(codec.dumps(self.canonical()).encode("utf-8")).hexdigest()
        object.__setattr__(self, "content_hash", digest)

    @property
    def branch_date(self) -> date:
        """Where simulation takes over: `branch_at`, else the day after the last recorded
        event, else `start`."""
        if self.branch_at is not None:
            return self.branch_at
        if self.events:
            return self.events[-1].occurred_at + timedelta(days=1)
        return self.start

    def recorded_prefix(self) -> tuple[events.Event, ...]:
        """The recorded events dated before `branch_date`, in order: replayed as they were."""
        return self.events[: self._split()]

    def scheduled(self) -> tuple[events.Event, ...]:
        """The recorded events the engine schedules from `branch_date` on: the rest of the
        record when `keep_record`, else none (the dynamics write the future alone)."""
        return self.events[self._split() :] if self.keep_record else ()

    def canonical(self) -> dict[str, Any]:
        """Everything that defines the scenario, as JSON-ready values (the hash's input)."""
        return {
            "name": self.name,
            "description": self.description,
            "start": self.start.isoformat(),
            "horizon": self.horizon.isoformat(),
            "actors": dict(self.actors),
            "regions": dict(self.regions),
            "events": [codec.to_dict(event) for event in self.events],
            "branch": {
                "at": None if self.branch_at is None else self.branch_at.isoformat(),
                "keep_record": self.keep_record,
            },
            "dynamics": attrs.asdict(self.dynamics),
        }

    def _split(self) -> int:
        return bisect.bisect_left([e.occurred_at for e in self.events], self.branch_date)

    def _check(self) -> None:
        for field, value in (("name", self.name), ("description", self.description)):
            if not isinstance(value, str):
                raise _Invalid(("scenario", field), f"{value!r} is not text (a string expected)")
        for field in ("start", "horizon"):
            if type(getattr(self, field)) is not date:
                raise _Invalid(("scenario", field), "not a date (a TOML date like 2020-09-27)")
        if self.horizon <= self.start:
            raise _Invalid(
                ("scenario", "horizon"),
                f"{self.horizon} is not after start {self.start} (horizon > start expected)",
            )
        _check_ids("actors", self.actors)
        _check_ids("regions", self.regions)
        for key in self.regions:
            if key in self.actors:
                raise _Invalid(
                    ("regions", key), f"{key!r} is also an actor (distinct ids expected)"
                )
        previous: date | None = None
        for index, event in enumerate(self.events):
            self._check_event(index, event)
            if previous is not None and event.occurred_at < previous:
                raise _Invalid(
                    ("events", index, "occurred_at"),
                    f"{event.occurred_at} is before the previous event's {previous} "
                    "(events in date order expected)",
                )
            previous = event.occurred_at
        if self.branch_at is not None and not self.start <= self.branch_at <= self.horizon:
            raise _Invalid(
                ("branch", "at"),
                f"{self.branch_at} is outside the scenario "
                f"(a date in [{self.start}, {self.horizon}] expected)",
            )
        if not isinstance(self.keep_record, bool):
            raise _Invalid(("branch", "keep_record"), "not true or false (a boolean expected)")
        if not isinstance(self.dynamics, Parameters):
            raise _Invalid(("dynamics",), "not a dynamics.Parameters")

    def _check_event(self, index: int, event: events.Event) -> None:
        if not isinstance(event, events.Event):
            raise _Invalid(("events", index), f"{event!r} is not a catalogue event")
        if not self.start <= event.occurred_at <= self.horizon:
            raise _Invalid(
                ("events", index, "occurred_at"),
                f"{event.occurred_at} is outside the scenario "
                f"(a date in [{self.start}, {self.horizon}] expected)",
            )
        for field in type(event).ACTOR_FIELDS:
            value = getattr(event, field)
            for actor in value if isinstance(value, tuple) else (value,):
                if actor is not None and actor not in self.actors:
                    raise _Invalid(
                        ("events", index, field),
                        f"{actor!r} is not a declared actor "
                        f"({_suggest(actor, self.actors)}declared: {_listing(self.actors)})",
                    )
        region = getattr(event, "region", None)
        if region is not None and region not in self.regions:
            raise _Invalid(
                ("events", index, "region"),
                f"{region!r} is not a declared region "
                f"({_suggest(region, self.regions)}declared: {_listing(self.regions)})",
            )


# --- finding lines ---------------------------------------------------------------------------

_HEADER = re.compile(r"\s*(\[\[?)\s*([^\[\]]+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(
    r"""\s*((?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*'))*)\s*="""
)


def _key_parts(text: str) -> tuple[str, ...]:
    parts = re.findall(r"""[A-Za-z0-9_-]+|"[^"]*"|'[^']*'""", text)
    return tuple(p[1:-1] if p[:1] in "\"'" else p for p in parts)


class Locator:
    """Maps key paths to line numbers by scanning the text (tomllib keeps no positions).

    Tables are identified as key paths, an array-of-tables element by its index:
    the 13th `[[events]]` is `("events", 12)`, and its key `attacker` is on `line(("events",
    12, "attacker"))`. A path that is not written in the file resolves to the line of the
    nearest enclosing table that is (line 1 at worst).
    """

    def __init__(self, text: str) -> None:
        self._headers: dict[KeyPath, int] = {(): 1}
        self._keys: dict[KeyPath, int] = {}
        counts: dict[KeyPath, int] = {}
        table: KeyPath = ()
        in_string: str | None = None
        for number, line in enumerate(text.splitlines(), start=1):
            if in_string is not None:  # inside a multi-line string: nothing here is structure
                if line.count(in_string) % 2 == 1:
                    in_string = None
                continue
            header = _HEADER.match(line)
            if header:
                table = self._table(_key_parts(header.group(2)), header.group(1) == "[[", counts)
                self._headers.setdefault(table, number)
                continue
            key = _KEY.match(line)
            if key:
                self._keys.setdefault(table + _key_parts(key.group(1)), number)
            for quote in ('"""', "'''"):
                if line.count(quote) % 2 == 1:
                    in_string = quote
                    break

    @staticmethod
    def _table(parts: tuple[str, ...], is_array: bool, counts: dict[KeyPath, int]) -> KeyPath:
        path: KeyPath = ()
        for part in parts[:-1]:
            path += (part,)
            if path in counts:  # a name of an array of tables means its latest element
                path += (counts[path] - 1,)
        path += (parts[-1],)
        if is_array:
            counts[path] = counts.get(path, 0) + 1
            path += (counts[path] - 1,)
        return path

    def line(self, path: KeyPath) -> int:
        """The line that best shows *path*: its key, else its table, else an enclosing one."""
        for end in range(len(path), -1, -1):
            prefix = path[:end]
            if prefix in self._keys:
                return self._keys[prefix]
            if prefix in self._headers:
                return self._headers[prefix]
        return 1


# --- reading tables --------------------------------------------------------------------------

_Reader = Callable[[Any, dict[str, Any]], None]


def _table(value: Any, path: KeyPath) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _Invalid(path, f"is {_a(_kind(value))} (a table [{render_path(path)}] expected)")
    return value


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, dict):
        return "table"
    if type(value) is date:
        return "date"
    return {str: "string", int: "integer", float: "float", list: "array"}.get(type(value), "value")


def _a(noun: str) -> str:
    return f"an {noun}" if noun[0] in "aeiou" else f"a {noun}"


def _known_keys(table: dict[str, Any], path: KeyPath, allowed: Any, what: str) -> None:
    for key in table:
        if key not in allowed:
            raise _Invalid(
                path + (key,),
                f"unknown {what} ({_suggest(key, allowed)}expected one of: {_listing(allowed)})",
            )


def _required(table: dict[str, Any], path: KeyPath, key: str) -> Any:
    if key not in table:
        raise _Invalid(path + (key,), f"missing (required in [{render_path(path)}])")
    return table[key]


def _typed(value: Any, path: KeyPath, kind: type, expected: str) -> Any:
    ok = isinstance(value, kind) and not (kind is int and isinstance(value, bool))
    if kind is date:
        ok = type(value) is date
    if not ok:
        raise _Invalid(path, f"{value!r} is {_a(_kind(value))} ({expected} expected)")
    return value


_DATE = "a TOML date like 2020-09-27, without quotes"


def _read_scenario(value: Any, out: dict[str, Any]) -> None:
    table = _table(value, ("scenario",))
    _known_keys(table, ("scenario",), ("name", "description", "start", "horizon"), "key")
    path = ("scenario",)
    out["name"] = _typed(_required(table, path, "name"), path + ("name",), str, "a string")
    out["description"] = _typed(
        table.get("description", ""), path + ("description",), str, "a string"
    )
    for key in ("start", "horizon"):
        out[key] = _typed(_required(table, path, key), path + (key,), date, _DATE)


def _read_ids(kind: str) -> _Reader:
    def read(value: Any, out: dict[str, Any]) -> None:
        table = _table(value, (kind,))
        for key, name in table.items():
            _typed(name, (kind, key), str, f'a display name, {key} = "Name"')
        out[kind] = dict(table)

    return read


def _read_events(value: Any, out: dict[str, Any]) -> None:
    if not isinstance(value, list):
        raise _Invalid(
            ("events",), f"is {_a(_kind(value))} (an array of tables [[events]] expected)"
        )
    out["events"] = tuple(_read_event(index, item) for index, item in enumerate(value))


def _read_event(index: int, item: Any) -> events.Event:
    path: KeyPath = ("events", index)
    table = _table(item, path)
    name = _typed(_required(table, path, "type"), path + ("type",), str, "an event type name")
    if name not in events.REGISTRY:
        raise _Invalid(
            path + ("type",),
            f"unknown event type {name!r} ({_suggest(name, events.REGISTRY)}"
            f"known: {_listing(sorted(events.REGISTRY), 20)})",
        )
    fields = attrs.fields(events.REGISTRY[name])
    names = [f.name for f in fields]
    _known_keys({k: v for k, v in table.items() if k != "type"}, path, names, f"{name} field")
    for field in fields:
        if field.default is attrs.NOTHING:
            _required(table, path, field.name)
    try:
        return codec.from_dict(table)
    except (EventError, CodecError) as exc:
        message = str(exc).removeprefix(f"{name}: ")
        named = re.search(r"'(\w+)'", message)
        field = named.group(1) if named and named.group(1) in names else None
        raise _Invalid(path + ((field,) if field else ()), message) from None


def _read_branch(value: Any, out: dict[str, Any]) -> None:
    table = _table(value, ("branch",))
    _known_keys(table, ("branch",), ("at", "keep_record"), "key")
    if "at" in table:
        out["branch_at"] = _typed(table["at"], ("branch", "at"), date, _DATE)
    if "keep_record" in table:
        out["keep_record"] = _typed(
            table["keep_record"], ("branch", "keep_record"), bool, "true or false"
        )


def _read_dynamics(value: Any, out: dict[str, Any]) -> None:
    table = _table(value, ("dynamics",))
    fields = {f.name: f for f in attrs.fields(Parameters)}
    _known_keys(table, ("dynamics",), fields, "parameter")
    values: dict[str, Any] = {}
    for key, given in table.items():
        default = fields[key].default
        kind = type(default) if default is not attrs.NOTHING else object
        if isinstance(default, attrs.Factory):
            kind = object
        if kind is float and type(given) is int:
            given = float(given)
        values[key] = _typed(given, ("dynamics", key), kind, _a(_kind(default)))
    try:
        out["dynamics"] = Parameters(**values)
    except (TypeError, ValueError) as exc:
        named = re.search(r"'(\w+)'", str(exc))
        key = named.group(1) if named and named.group(1) in table else None
        raise _Invalid(("dynamics",) + ((key,) if key else ()), str(exc)) from None


# One reader per top-level table, in the order they are read; a new table of the format is a
# new entry here.
_TABLES: dict[str, _Reader] = {
    "scenario": _read_scenario,
    "actors": _read_ids("actors"),
    "regions": _read_ids("regions"),
    "events": _read_events,
    "branch": _read_branch,
    "dynamics": _read_dynamics,
}
_REQUIRED = ("scenario",)


def parse_scenario(text: str, source_path: str | None = None) -> Scenario:
    """The scenario written as TOML *text*; errors name *source_path* (or `<scenario>`)."""
    where = source_path or "<scenario>"
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        found = re.search(r"\(at line (\d+), column (\d+)\)", message)
        if found:
            line, place = found.group(1), f" at column {found.group(2)}"
        else:
            line, place = str(text.count("\n") + 1), " at the end of the file"
        what = re.sub(r"\s*\(at (line \d+, column \d+|end of document)\)", "", message)
        raise ScenarioError(
            f"{where}:{line}: (syntax): {what}{place} (valid TOML expected)"
        ) from None
    try:
        return _build(data, source_path)
    except _Invalid as exc:
        line = Locator(text).line(exc.path)
        raise ScenarioError(f"{where}:{line}: {exc}") from None


def _build(data: dict[str, Any], source_path: str | None) -> Scenario:
    _known_keys(data, (), _TABLES, "table")
    for name in _REQUIRED:
        if name not in data:
            raise _Invalid((name,), f"missing table (a [{name}] table is required)")
    values: dict[str, Any] = {}
    for name, read in _TABLES.items():
        if name in data:
            read(data[name], values)
    return Scenario(**values, source_path=source_path)


def load_scenario(path: str | Path) -> Scenario:
    """Load and validate the scenario file at *path*; any problem is one `ScenarioError` line."""
    where = str(path)
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise ScenarioError(f"{where}: cannot read the file ({exc.strerror})") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ScenarioError(
            f"{where}:{line}: (encoding): not UTF-8 (a UTF-8 text file expected)"
        ) from None
    return parse_scenario(text, where)


# --- writing ---------------------------------------------------------------------------------

_BARE = re.compile(r"[A-Za-z0-9_-]+")
_ESCAPES = {
    '"': '\\"',
    "\\": "\\\\",
    "\b": "\\b",
    "\t": "\\t",
    "\n": "\\n",
    "\f": "\\f",
    "\r": "\\r",
}


def _toml_key(key: str) -> str:
    return key if _BARE.fullmatch(key) else _toml_value(key)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        chars = (
            _ESCAPES.get(c, f"\\u{ord(c):04x}" if ord(c) < 0x20 or c == "\x7f" else c)
            for c in value
        )
        return '"' + "".join(chars) + '"'
    if isinstance(value, int | float):
        return repr(value)
    if type(value) is date:
        return value.isoformat()
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {value!r} as TOML")


def _toml_table(header: str, table: Mapping[str, Any]) -> list[str]:
    return [header, *(f"{_toml_key(k)} = {_toml_value(v)}" for k, v in table.items()), ""]


def dump_scenario(scenario: Scenario) -> str:
    """*scenario* as TOML text that `parse_scenario` reads back to an equal scenario.

    Fields at their defaults are left out (events, branch, dynamics), so the text stays close
    to what a person would write.
    """
    head = {"name": scenario.name, "description": scenario.description}
    head |= {"start": scenario.start, "horizon": scenario.horizon}
    lines = _toml_table("[scenario]", head)
    lines += _toml_table("[actors]", scenario.actors)
    lines += _toml_table("[regions]", scenario.regions)
    branch: dict[str, Any] = {}
    if scenario.branch_at is not None:
        branch["at"] = scenario.branch_at
    if scenario.keep_record:
        branch["keep_record"] = True
    if branch:
        lines += _toml_table("[branch]", branch)
    defaults = Parameters()
    changed = {
        f.name: getattr(scenario.dynamics, f.name)
        for f in attrs.fields(Parameters)
        if getattr(scenario.dynamics, f.name) != getattr(defaults, f.name)
    }
    if changed:
        lines += _toml_table("[dynamics]", changed)
    for event in scenario.events:
        fields = {"type": type(event).__name__, **codec.to_fields(event)}
        fields["occurred_at"] = event.occurred_at
        lines += _toml_table("[[events]]", fields)
    return "\n".join(lines)
