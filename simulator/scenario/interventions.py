"""Interventions: what a scenario changes in the schedule of events after its branch point.

The schedule is what the run writes at fixed dates from the branch point on: the rest of the
record when `[branch] keep_record = true`, else nothing. Each intervention acts on the
schedule the ones before it left: `drop` removes the events a `Match` selects, `insert` adds
events, `change` sets fields of the events a `Match` selects. One that matches nothing is an
error: it would silently change nothing.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Mapping, Sequence
from datetime import date
from typing import Any

import attrs

from simulator import codec, events
from simulator.errors import CodecError, EventError
from simulator.frozen import FrozenMap
from simulator.scenario.problems import Invalid, KeyPath

ACTIONS = ("drop", "insert", "change")


def _to_tuple(value: Any) -> Any:
    if isinstance(value, str):
        return (value,)
    return tuple(value) if isinstance(value, list | tuple) else value


@attrs.frozen(kw_only=True)
class Match:
    """Selects events: all the criteria given must hold (an event type among `types`, dated
    `on` or within [`first`, `last`], naming every actor of `actors`, in `region`)."""

    types: tuple[str, ...] = attrs.field(default=(), converter=_to_tuple)
    on: date | None = None
    first: date | None = None
    last: date | None = None
    actors: tuple[str, ...] = attrs.field(default=(), converter=_to_tuple)
    region: str | None = None

    def __call__(self, event: events.Event) -> bool:
        day = event.occurred_at
        if self.types and type(event).__name__ not in self.types:
            return False
        if self.on is not None and day != self.on:
            return False
        if self.first is not None and day < self.first:
            return False
        if self.last is not None and day > self.last:
            return False
        if self.actors and not set(self.actors) <= set(event.actors()):
            return False
        return self.region is None or getattr(event, "region", None) == self.region

    def describe(self) -> str:
        """`Offensive AZE+NKR 2023-01-01..2023-12-31` (what a person would say)."""
        parts = ["/".join(self.types) or "any event"]
        if self.actors:
            parts.append("+".join(self.actors))
        if self.region:
            parts.append(f"in {self.region}")
        if self.on:
            parts.append(f"on {self.on}")
        elif self.first or self.last:
            parts.append(f"{self.first or '...'}..{self.last or '...'}")
        return " ".join(parts)

    def to_toml(self) -> dict[str, Any]:
        """The `match` table as written in a file (`date`, `from`, `to` for the dates)."""
        keys = (
            ("type", list(self.types) if len(self.types) != 1 else self.types[0]),
            ("date", self.on),
            ("from", self.first),
            ("to", self.last),
            ("actors", list(self.actors)),
            ("region", self.region),
        )
        return {k: v for k, v in keys if v not in (None, [], ())}


def _frozen_set(value: Any) -> FrozenMap[str, Any]:
    items = dict(value).items()
    return FrozenMap({k: _to_tuple(v) if isinstance(v, list) else v for k, v in items})


@attrs.frozen(kw_only=True)
class Intervention:
    """One change of the schedule: `action` is drop, insert or change; `name` labels it."""

    action: str
    name: str = ""
    match: Match | None = None
    events: tuple[events.Event, ...] = attrs.field(default=(), converter=tuple)
    set: FrozenMap[str, Any] = attrs.field(factory=FrozenMap, converter=_frozen_set, hash=False)

    def label(self, index: int) -> str:
        return repr(self.name) if self.name else f"interventions[{index}]"

    def describe(self) -> str:
        """One phrase: `drop Offensive AZE+NKR 2023-01-01..2023-12-31`."""
        if self.action == "insert":
            kinds = sorted({type(e).__name__ for e in self.events})
            return f"insert {len(self.events)} event(s) ({', '.join(kinds)})"
        what = self.match.describe() if self.match else "?"
        if self.action == "change":
            sets = ", ".join(f"{k}={_show(v)}" for k, v in self.set.items())
            return f"change {what}: {sets}"
        return f"drop {what}"

    def canonical(self) -> dict[str, Any]:
        """JSON-ready values, part of the scenario's content hash."""
        return {
            "action": self.action,
            "name": self.name,
            "match": None if self.match is None else _json(self.match.to_toml()),
            "events": [codec.to_dict(e) for e in self.events],
            "set": _json(self.set),
        }


def _show(value: Any) -> str:
    if isinstance(value, tuple):
        return "[" + ",".join(map(str, value)) + "]"
    return str(value)


def _json(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json(v) for v in value]
    if type(value) is date:
        return value.isoformat()
    return value


def apply(
    schedule: Sequence[events.Event],
    interventions: Sequence[Intervention],
    check: Callable[[KeyPath, events.Event], None],
) -> tuple[list[events.Event], list[tuple[KeyPath, str]]]:
    """The schedule after *interventions*, in order, and the problems found on the way;
    *check* sees every changed event (at the path of its `set`).

    Inserted events go after the events already scheduled on their day, in the order given;
    a changed event keeps its place among the events of its (possibly new) day.
    """
    result = list(schedule)
    problems: list[tuple[KeyPath, str]] = []
    for index, intervention in enumerate(interventions):
        path: KeyPath = ("interventions", index)
        if intervention.action == "insert":
            for event in intervention.events:
                days = [e.occurred_at for e in result]
                result.insert(bisect.bisect_right(days, event.occurred_at), event)
            continue
        match = intervention.match
        chosen = [i for i, e in enumerate(result) if match is not None and match(e)]
        if not chosen:
            days = f"{result[0].occurred_at}..{result[-1].occurred_at}" if result else "empty"
            problems.append(
                (
                    path + ("match",),
                    f"intervention {intervention.label(index)} matches no scheduled event "
                    f"({match.describe() if match else '?'}; the schedule: {len(result)} events, "
                    f"{days}; an event dated on or after the branch point expected)",
                )
            )
            continue
        if intervention.action == "drop":
            dropped = set(chosen)
            result = [e for i, e in enumerate(result) if i not in dropped]
            continue
        try:
            changed = {i: change(result[i], intervention.set, path) for i in chosen}
        except Invalid as exc:
            problems.extend(exc.problems)
            continue
        for event in changed.values():
            check(path + ("set",), event)
        kept = [e for i, e in enumerate(result) if i not in changed]
        for i in chosen:
            days = [e.occurred_at for e in kept]
            kept.insert(bisect.bisect_right(days, changed[i].occurred_at), changed[i])
        result = kept
    return result, problems


def change(event: events.Event, values: Mapping[str, Any], path: KeyPath) -> events.Event:
    """*event* with the fields *values*; Invalid names the `set` key that does not fit."""
    cls = type(event)
    names = [f.name for f in attrs.fields(cls)]
    for key in values:
        if key not in names:
            raise Invalid(
                path + ("set", key),
                f"{key!r} is not a field of the matched {cls.__name__} "
                f"(one of {', '.join(names)} expected)",
            )
    fields = {**codec.to_fields(event), "occurred_at": event.occurred_at}
    fields.update({k: list(v) if isinstance(v, tuple) else v for k, v in values.items()})
    try:
        return codec.from_dict({"type": cls.__name__, **fields})
    except (EventError, CodecError, TypeError, ValueError) as exc:
        message = str(exc).removeprefix(f"{cls.__name__}: ")
        key = next((k for k in values if f"'{k}'" in message), None)
        raise Invalid(path + ("set",) + ((key,) if key else ()), message) from None
