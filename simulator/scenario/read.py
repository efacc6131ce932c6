"""The shape of each table: parsed TOML -> the arguments of `Scenario`, or its problems.

One reader per top-level table in `TABLES`, in the order they are read; a new table of the
format is a new entry there. Readers check keys and types; the meaning of the whole (dates in
range, declared actors, interventions that match) is `Scenario`'s to check.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from typing import Any

import attrs

from simulator import codec, events, questions
from simulator.calibration import uncertainties
from simulator.calibration.estimates import Fit
from simulator.cast import Actor, Alignment, Group
from simulator.dynamics import DEFAULTS, Parameters
from simulator.errors import CodecError, EventError
from simulator.metrics import Focus
from simulator.scenario.interventions import ACTIONS, Intervention, Match
from simulator.scenario.problems import Collector, Invalid, KeyPath, listing, render_path, suggest
from simulator.scenario.value import Ensemble

Reader = Callable[[Any, dict[str, Any], Collector], None]

DATE = "a TOML date like 2020-09-27, without quotes"


def kind_of(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, dict):
        return "table"
    if type(value) is date:
        return "date"
    names = {str: "string", int: "integer", float: "float", list: "array"}
    return names.get(type(value), "date-time" if hasattr(value, "hour") else "value")


def a(noun: str) -> str:
    return f"an {noun}" if noun[0] in "aeiou" else f"a {noun}"


def table(value: Any, path: KeyPath) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise Invalid(path, f"is {a(kind_of(value))} (a table [{render_path(path)}] expected)")
    return value


def known_keys(found: Collector, table: dict[str, Any], path: KeyPath, allowed, what: str) -> None:
    for key in table:
        if key not in allowed:
            found.add(
                path + (key,),
                f"unknown {what} ({suggest(key, allowed)}expected one of: {listing(allowed)})",
            )


def required(table: dict[str, Any], path: KeyPath, key: str) -> Any:
    if key not in table:
        raise Invalid(path + (key,), f"missing (required in [{render_path(path)}])")
    return table[key]


def typed(value: Any, path: KeyPath, kind: type, expected: str) -> Any:
    ok = isinstance(value, kind) and not (kind is int and isinstance(value, bool))
    if kind is date:
        ok = type(value) is date
    if not ok:
        raise Invalid(path, f"{value!r} is {a(kind_of(value))} ({expected} expected)")
    return value


def _strings(value: Any, path: KeyPath, expected: str) -> tuple[str, ...]:
    """A string or an array of strings, as a tuple."""
    if isinstance(value, str):
        return (value,)
    if not isinstance(value, list):
        raise Invalid(path, f"{value!r} is {a(kind_of(value))} ({expected} expected)")
    for index, item in enumerate(value):
        typed(item, path + (index,), str, "a string")
    return tuple(value)


# --- the tables ------------------------------------------------------------------------------


def read_scenario(value: Any, out: dict[str, Any], found: Collector) -> None:
    path: KeyPath = ("scenario",)
    head = table(value, path)
    known_keys(found, head, path, ("name", "description", "start", "horizon"), "key")
    checks = (
        ("name", lambda: typed(required(head, path, "name"), path + ("name",), str, "a string")),
        (
            "description",
            lambda: typed(head.get("description", ""), path + ("description",), str, "a string"),
        ),
        ("start", lambda: typed(required(head, path, "start"), path + ("start",), date, DATE)),
        (
            "horizon",
            lambda: typed(required(head, path, "horizon"), path + ("horizon",), date, DATE),
        ),
    )
    for key, check in checks:
        got = found.run(check)
        if got is not None:
            out[key] = got


def read_regions(value: Any, out: dict[str, Any], found: Collector) -> None:
    ids = table(value, ("regions",))
    for key, name in ids.items():
        found.run(typed, name, ("regions", key), str, f'a display name, {key} = "Name"')
    out["regions"] = dict(ids)


def _only(entry: dict[str, Any], path: KeyPath, allowed: tuple[str, ...]) -> None:
    """Invalid at the first key of *entry* that is not in *allowed*."""
    bad = [k for k in entry if k not in allowed]
    if bad:
        raise Invalid(
            path + (bad[0],),
            f"unknown key ({suggest(bad[0], allowed)}expected one of: {listing(allowed)})",
        )


_ACTOR_KEYS = ("name", "kind", "troops", "missions")


def read_actors(value: Any, out: dict[str, Any], found: Collector) -> None:
    ids = table(value, ("actors",))
    actors = {}
    for key, entry in ids.items():
        path: KeyPath = ("actors", key)
        if isinstance(entry, str):  # a name alone: an organisation
            actors[key] = Actor(name=entry)
            continue
        got = found.run(_actor, entry, path)
        if got is not None:
            actors[key] = got
    out["actors"] = actors


def _actor(entry: Any, path: KeyPath) -> Actor:
    if not isinstance(entry, dict):
        raise Invalid(
            path,
            f"is {a(kind_of(entry))} (a name, or a table like "
            '{ name = "...", kind = "state" } expected)',
        )
    _only(entry, path, _ACTOR_KEYS)
    name = typed(required(entry, path, "name"), path + ("name",), str, "a display name")
    kind = typed(entry.get("kind", "organisation"), path + ("kind",), str, "an actor kind")
    troops = entry.get("troops")
    if troops is not None:
        typed(troops, path + ("troops",), int, "a whole number of troops >= 0")
    missions = _strings(
        entry.get("missions", []), path + ("missions",), "an array of mission kinds"
    )
    return Actor(name=name, kind=kind, troops=troops, missions=missions)


_ALIGNMENT_KEYS = ("backer", "ally", "commitment", "source")


def read_alignments(value: Any, out: dict[str, Any], found: Collector) -> None:
    if not isinstance(value, list):
        raise Invalid(("alignments",), "is not an array of tables ([[alignments]] expected)")
    found_all = []
    for index, item in enumerate(value):
        got = found.run(_alignment, item, ("alignments", index))
        if got is not None:
            found_all.append(got)
    out["alignments"] = tuple(found_all)


def _alignment(item: Any, path: KeyPath) -> Alignment:
    entry = table(item, path)
    _only(entry, path, _ALIGNMENT_KEYS)
    backer = typed(required(entry, path, "backer"), path + ("backer",), str, "an actor id")
    ally = typed(required(entry, path, "ally"), path + ("ally",), str, "an actor id")
    commitment = _number(required(entry, path, "commitment"), path + ("commitment",))
    source = entry.get("source")
    if source is not None:
        typed(source, path + ("source",), str, "text")
    return Alignment(backer=backer, ally=ally, commitment=commitment, source=source)


_GROUP_KEYS = ("name", "sides", "host")


def read_groups(value: Any, out: dict[str, Any], found: Collector) -> None:
    ids = table(value, ("groups",))
    groups = {}
    for key, entry in ids.items():
        got = found.run(_group, entry, ("groups", key))
        if got is not None:
            groups[key] = got
    out["groups"] = groups


def _group(item: Any, path: KeyPath) -> Group:
    entry = table(item, path)
    _only(entry, path, _GROUP_KEYS)
    name = typed(required(entry, path, "name"), path + ("name",), str, "a display name")
    sides = _strings(entry.get("sides", []), path + ("sides",), "an array of actor ids")
    host = entry.get("host")
    if host is not None:
        typed(host, path + ("host",), str, "an actor id")
    return Group(name=name, sides=sides, host=host)


def read_events(value: Any, out: dict[str, Any], found: Collector) -> None:
    out["events"] = read_event_list(value, ("events",), found)


def read_event_list(value: Any, path: KeyPath, found: Collector) -> tuple[events.Event, ...]:
    if not isinstance(value, list):
        what = f"[[{render_path(path)}]]"
        raise Invalid(path, f"is {a(kind_of(value))} (an array of tables {what} expected)")
    read = (found.run(read_event, path + (index,), item) for index, item in enumerate(value))
    return tuple(event for event in read if event is not None)


def read_event(path: KeyPath, item: Any) -> events.Event:
    entry = table(item, path)
    name = typed(required(entry, path, "type"), path + ("type",), str, "an event type name")
    if name not in events.REGISTRY:
        raise Invalid(
            path + ("type",),
            f"unknown event type {name!r} ({suggest(name, events.REGISTRY)}"
            f"known: {listing(sorted(events.REGISTRY), 20)})",
        )
    fields = attrs.fields(events.REGISTRY[name])
    names = [f.name for f in fields]
    found = Collector()
    known_keys(found, {k: v for k, v in entry.items() if k != "type"}, path, names, f"{name} field")
    for field in fields:
        if field.default is attrs.NOTHING:
            found.run(required, entry, path, field.name)
    found.raise_any()
    try:
        return codec.from_dict(entry)
    except (EventError, CodecError) as exc:
        message = str(exc).removeprefix(f"{name}: ")
        named = re.search(r"'(\w+)'", message)
        field = named.group(1) if named and named.group(1) in names else None
        raise Invalid(path + ((field,) if field else ()), message) from None


def read_branch(value: Any, out: dict[str, Any], found: Collector) -> None:
    path: KeyPath = ("branch",)
    branch = table(value, path)
    known_keys(found, branch, path, ("at", "keep_record"), "key")
    if "at" in branch:
        out["branch_at"] = found.run(typed, branch["at"], path + ("at",), date, DATE)
    if "keep_record" in branch:
        keep = found.run(
            typed, branch["keep_record"], path + ("keep_record",), bool, "true or false"
        )
        out["keep_record"] = bool(keep)


_MATCH_KEYS = ("type", "date", "from", "to", "actors", "region")
_INTERVENTION_KEYS = ("name", "action", "match", "events", "set")


def read_interventions(value: Any, out: dict[str, Any], found: Collector) -> None:
    if not isinstance(value, list):
        raise Invalid(
            ("interventions",),
            f"is {a(kind_of(value))} (an array of tables [[interventions]] expected)",
        )
    read = (
        found.run(_read_intervention, ("interventions", i), item) for i, item in enumerate(value)
    )
    out["interventions"] = tuple(x for x in read if x is not None)


def _read_intervention(path: KeyPath, item: Any) -> Intervention:
    entry = table(item, path)
    found = Collector()
    known_keys(found, entry, path, _INTERVENTION_KEYS, "intervention key")
    action = found.run(
        typed, required(entry, path, "action"), path + ("action",), str, "drop, insert or change"
    )
    if action is not None and action not in ACTIONS:
        found.add(
            path + ("action",),
            f"unknown action {action!r} ({suggest(action, ACTIONS)}"
            "drop, insert or change expected)",
        )
        action = None
    name = found.run(typed, entry.get("name", ""), path + ("name",), str, "a string")
    wanted = {"drop": ("match",), "insert": ("events",), "change": ("match", "set")}.get(action, ())
    for key in ("match", "events", "set"):
        if action is not None and key in entry and key not in wanted:
            found.add(
                path + (key,), f"not used by {action} ({a(action)} takes {' and '.join(wanted)})"
            )
        elif key in wanted and key not in entry:
            found.add(path + (key,), f"missing ({a(action)} needs {' and '.join(wanted)})")
    match = (
        found.run(_read_match, path + ("match",), entry["match"])
        if "match" in wanted and "match" in entry
        else None
    )
    inserted: tuple[events.Event, ...] = ()
    if "events" in wanted and "events" in entry:
        inserted = found.run(read_event_list, entry["events"], path + ("events",), found) or ()
    values = (
        found.run(table, entry["set"], path + ("set",))
        if "set" in wanted and "set" in entry
        else {}
    )
    if values is not None:
        if "type" in values:
            found.add(
                path + ("set", "type"),
                "the type of an event cannot change (drop it and insert another)",
            )
        if "set" in wanted and not values and "set" in entry:
            found.add(path + ("set",), "empty (one or more fields to set expected)")
    found.raise_any()
    return Intervention(action=action, name=name, match=match, events=inserted, set=values or {})


def _read_match(path: KeyPath, value: Any) -> Match:
    entry = table(value, path)
    found = Collector()
    known_keys(found, entry, path, _MATCH_KEYS, "match key")
    dates = {}
    for key in ("date", "from", "to"):
        if key in entry:
            dates[key] = found.run(typed, entry[key], path + (key,), date, DATE)
    types = found.run(
        _strings, entry.get("type", []), path + ("type",), "an event type or an array of them"
    )
    actors = found.run(
        _strings, entry.get("actors", []), path + ("actors",), "an array of actor ids"
    )
    region = (
        found.run(typed, entry["region"], path + ("region",), str, "a region id")
        if "region" in entry
        else None
    )
    found.raise_any()
    return Match(
        types=types,
        on=dates.get("date"),
        first=dates.get("from"),
        last=dates.get("to"),
        actors=actors,
        region=region,
    )


_SETTINGS = ("enabled", "relations_half_life_days", "recheck_days", "free", "from")


def read_dynamics(value: Any, out: dict[str, Any], found: Collector) -> None:
    """`[dynamics]`: the settings, then one sub-table per rule (`[dynamics.attack]`, ...)
    whose keys are that rule's parameters (`base`, a covariate's name, a mark's)."""
    entry = table(value, ("dynamics",))
    rules = sorted({name.split(".")[0] for name in DEFAULTS})
    known_keys(found, entry, ("dynamics",), (*_SETTINGS, *rules), "setting or rule")
    settings: dict[str, Any] = {}
    for key, kind, expected in (
        ("enabled", bool, "true or false"),
        ("relations_half_life_days", float, "a number of days > 0"),
        ("recheck_days", int, "a whole number of days >= 1"),
    ):
        if key in entry:
            given = entry[key]
            if kind is float and type(given) is int:
                given = float(given)
            checked = found.run(typed, given, ("dynamics", key), kind, expected)
            if checked is not None:
                settings[key] = checked
    if "free" in entry:
        free = found.run(_strings, entry["free"], ("dynamics", "free"), "an array of parameters")
        if free is not None:
            settings["free"] = free
    values: dict[str, float] = {}
    if "from" in entry:
        fitted = found.run(_fitted, entry["from"], ("dynamics", "from"))
        if fitted is not None:
            values.update(fitted.values(out.get("name")))
            settings.setdefault("relations_half_life_days", fitted.relations_half_life_days)
            settings.setdefault("recheck_days", fitted.recheck_days)
    for rule in rules:
        if rule not in entry:
            continue
        path: KeyPath = ("dynamics", rule)
        sub = found.run(table, entry[rule], path)
        if sub is None:
            continue
        names = [n.split(".", 1)[1] for n in DEFAULTS if n.startswith(rule + ".")]
        known_keys(found, sub, path, names, f"parameter of rule {rule}")
        for key, given in sub.items():
            if key in names:
                checked = found.run(_number, given, path + (key,))
                if checked is not None:
                    values[f"{rule}.{key}"] = checked
    if found.problems:
        return
    try:
        out["dynamics"] = Parameters(**settings, values=values)
    except (TypeError, ValueError) as exc:
        named = re.search(r"'([\w.]+)'", str(exc))
        where: KeyPath = ("dynamics",)
        if named and "." in named.group(1):
            where += tuple(named.group(1).split(".", 1))
        elif named and named.group(1) in entry:
            where += (named.group(1),)
        raise Invalid(where, str(exc)) from None


def _fitted(value: Any, path: KeyPath) -> Fit:
    """The fit file that `from` names (its path relative to the scenario naming it)."""
    from simulator.calibration.fitfile import FitFileError, read_fit

    if not isinstance(value, str) or not value.strip():
        raise Invalid(path, f"{value!r} is {a(kind_of(value))} (the path of a fit file expected)")
    try:
        return read_fit(value)
    except FitFileError as exc:
        raise Invalid(path, f"{exc} (a file written by `diplosim fit` expected)") from None


def _number(value: Any, path: KeyPath) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise Invalid(path, f"{value!r} is {a(kind_of(value))} (a number expected)")
    return float(value)


_QUESTION_KEYS = {
    "event": ("event", "actors", "region"),
    "agreement": ("agreement", "actors"),
    "count": ("count", "region", "group"),
    "control": ("region", "actor", "above"),
    "mission": ("region", "mission"),
}
_QUESTION_REQUIRED = {
    "event": ("event",),
    "agreement": ("agreement",),
    "count": ("count",),
    "control": ("region", "actor", "above"),
    "mission": ("region", "mission"),
}


def read_questions(value: Any, out: dict[str, Any], found: Collector) -> None:
    """`[[questions]]`: what a forecast is asked (`simulator.questions`)."""
    if not isinstance(value, list):
        raise Invalid(
            ("questions",), f"is {a(kind_of(value))} (an array of tables [[questions]] expected)"
        )
    read = (found.run(_read_question, ("questions", i), item) for i, item in enumerate(value))
    out["questions"] = tuple(x for x in read if x is not None)


def _read_question(path: KeyPath, item: Any) -> questions.Question:
    entry = table(item, path)
    found = Collector()
    kind = found.run(typed, required(entry, path, "kind"), path + ("kind",), str, "a kind")
    if kind is not None and kind not in questions.KINDS:
        found.add(
            path + ("kind",),
            f"unknown kind {kind!r} ({suggest(kind, questions.KINDS)}expected one of: "
            f"{listing(questions.KINDS)})",
        )
        kind = None
    allowed = ("name", "text", "kind", "by", "outcome", "source", *_QUESTION_KEYS.get(kind, ()))
    if kind is not None:
        known_keys(found, entry, path, allowed, f"key of a {kind} question")
    values: dict[str, Any] = {"kind": kind}
    for key in ("name", "text"):
        values[key] = found.run(typed, required(entry, path, key), path + (key,), str, "a string")
    values["by"] = found.run(typed, required(entry, path, "by"), path + ("by",), date, "a date")
    for key in _QUESTION_REQUIRED.get(kind, ()):
        if key not in entry:
            found.add(path + (key,), f"missing (a {kind} question needs {key})")
    choices = {
        "event": tuple(questions.EVENT_TYPES),
        "agreement": questions.AGREEMENTS,
        "count": questions.COUNTS,
        "mission": events.MISSION_KINDS,
    }
    for key in ("event", "region", "actor", "agreement", "count", "group", "mission", "source"):
        if key in entry and key in allowed:
            got = found.run(typed, entry[key], path + (key,), str, "a string")
            if got is not None and key in choices and got not in choices[key]:
                found.add(
                    path + (key,),
                    f"{got!r} ({suggest(got, choices[key])}expected one of: "
                    f"{listing(choices[key])})",
                )
            values[key] = got
    if "actors" in entry and "actors" in allowed:
        values["actors"] = found.run(_strings, entry["actors"], path + ("actors",), "actor ids")
    if "above" in entry and "above" in allowed:
        got = found.run(_number, entry["above"], path + ("above",))
        if got is not None and not 0.0 <= got < 1.0:
            found.add(path + ("above",), f"{got} (a share in [0, 1) expected)")
        values["above"] = got
    if "outcome" in entry:
        got = entry["outcome"]
        wanted = (int, float) if kind == "count" else bool
        if isinstance(got, bool) != (wanted is bool) or not isinstance(got, wanted):
            found.add(
                path + ("outcome",),
                f"{got!r} ({'a number' if kind == 'count' else 'true or false'} expected)",
            )
        else:
            values["outcome"] = float(got) if kind == "count" else got
    if values["name"] is not None and not re.fullmatch(r"[A-Za-z0-9_.-]+", values["name"]):
        found.add(
            path + ("name",), f"{values['name']!r} (an id of letters, digits, _ . - expected)"
        )
    found.raise_any()
    return questions.Question(**{k: v for k, v in values.items() if v is not None})


_UNCERTAINTY_SETTINGS = ("from", "draws", "design", "runs_per_set", "fixed")


def read_uncertainties(value: Any, out: dict[str, Any], found: Collector) -> None:
    """`[uncertainties]`: `from` a fit file, how to draw (`draws`, `design`, `runs_per_set`),
    a distribution for the half-life, and one sub-table per rule whose keys are its
    parameters, each `{ distribution = "uniform", low = .., high = .. }` or the like."""
    path: KeyPath = ("uncertainties",)
    entry = table(value, path)
    rules = sorted({name.split(".")[0] for name in DEFAULTS})
    allowed = (*_UNCERTAINTY_SETTINGS, *uncertainties.SETTINGS, *rules)
    known_keys(found, entry, path, allowed, "setting or rule")
    settings: dict[str, Any] = {}
    if "from" in entry:
        fitted = found.run(_fitted, entry["from"], path + ("from",))
        if fitted is not None:
            settings["fit"], settings["source"] = fitted, entry["from"]
    for key, choices in (("draws", uncertainties.DRAWS), ("design", uncertainties.DESIGNS)):
        if key in entry:
            got = found.run(typed, entry[key], path + (key,), str, " or ".join(choices))
            if got is not None and got not in choices:
                found.add(path + (key,), f"{got!r} ({' or '.join(choices)} expected)")
            elif got is not None:
                settings[key] = got
    if "runs_per_set" in entry:
        got = found.run(
            typed, entry["runs_per_set"], path + ("runs_per_set",), int, "a whole number >= 1"
        )
        if got is not None and got < 1:
            found.add(path + ("runs_per_set",), f"{got} (a whole number >= 1 expected)")
        elif got is not None:
            settings["runs_per_set"] = got
    if "fixed" in entry:
        got = found.run(_strings, entry["fixed"], path + ("fixed",), "an array of parameters")
        if got is not None:
            settings["fixed"] = got
    given: list[uncertainties.Distribution] = []
    for name in uncertainties.SETTINGS:
        if name in entry:
            got = found.run(_distribution, entry[name], path + (name,), name)
            if got is not None:
                given.append(got)
    for rule in rules:
        if rule not in entry:
            continue
        sub = found.run(table, entry[rule], path + (rule,))
        if sub is None:
            continue
        names = [n.split(".", 1)[1] for n in DEFAULTS if n.startswith(rule + ".")]
        known_keys(found, sub, path + (rule,), names, f"parameter of rule {rule}")
        for key in sub:
            if key in names:
                got = found.run(_distribution, sub[key], path + (rule, key), f"{rule}.{key}")
                if got is not None:
                    given.append(got)
    if found.problems:
        return
    try:
        out["uncertainties"] = uncertainties.Uncertainties(distributions=given, **settings)
    except ValueError as exc:
        raise Invalid(path, str(exc)) from None


def _distribution(value: Any, path: KeyPath, name: str) -> uncertainties.Distribution:
    kinds = uncertainties.KINDS
    entry = table(value, path)
    kind = typed(required(entry, path, "distribution"), path + ("distribution",), str, "a name")
    if kind not in kinds:
        raise Invalid(
            path + ("distribution",),
            f"{kind!r} ({suggest(kind, kinds)}expected one of: {listing(kinds)})",
        )
    keys = kinds[kind]
    extra = [k for k in entry if k not in ("distribution", *keys)]
    if extra:
        raise Invalid(
            path + (extra[0],),
            f"not a number of a {kind} distribution ({', '.join(keys)} expected)",
        )
    numbers = tuple(_number(required(entry, path, k), path + (k,)) for k in keys)
    try:
        return uncertainties.Distribution(name, kind, numbers)
    except ValueError as exc:
        raise Invalid(path, f"{exc} (a valid {kind} distribution expected)") from None


def read_ensemble(value: Any, out: dict[str, Any], found: Collector) -> None:
    path: KeyPath = ("ensemble",)
    entry = table(value, path)
    known_keys(found, entry, path, ("runs", "seed"), "key")
    values = {}
    for key, low in (("runs", 1), ("seed", 0)):
        if key not in entry:
            continue
        given = found.run(typed, entry[key], path + (key,), int, f"a whole number >= {low}")
        if given is not None and given < low:
            found.add(path + (key,), f"{given} is too small (a whole number >= {low} expected)")
        elif given is not None:
            values[key] = given
    out["ensemble"] = Ensemble(**values)


def read_outputs(value: Any, out: dict[str, Any], found: Collector) -> None:
    path: KeyPath = ("outputs",)
    entry = table(value, path)
    known_keys(found, entry, path, ("metrics", "region", "holder", "parties"), "key")
    focus = {}
    for key in ("region", "holder"):
        if key in entry:
            got = found.run(typed, entry[key], path + (key,), str, "an id")
            if got is not None:
                focus[key] = got
    if "parties" in entry:
        got = found.run(_strings, entry["parties"], path + ("parties",), "an array of actor ids")
        if got is not None:
            focus["parties"] = got
    if focus:
        out["focus_given"] = Focus(**focus)
    if "metrics" in entry:
        metrics = found.run(
            _strings, entry["metrics"], path + ("metrics",), "an array of metric names"
        )
        if metrics is not None:
            out["outputs"] = metrics


TABLES: dict[str, Reader] = {
    "scenario": read_scenario,
    "actors": read_actors,
    "regions": read_regions,
    "groups": read_groups,
    "alignments": read_alignments,
    "events": read_events,
    "branch": read_branch,
    "interventions": read_interventions,
    "dynamics": read_dynamics,
    "uncertainties": read_uncertainties,
    "questions": read_questions,
    "ensemble": read_ensemble,
    "outputs": read_outputs,
}
REQUIRED = ("scenario",)


def read(data: dict[str, Any]) -> dict[str, Any]:
    """The arguments of `Scenario` from the parsed (and merged) TOML *data*; Invalid lists
    every problem of shape found."""
    found = Collector()
    known_keys(found, data, (), TABLES, "table")
    for name in REQUIRED:
        if name not in data:
            found.add((name,), f"missing table (a [{name}] table is required)")
    values: dict[str, Any] = {}
    for name, reader in TABLES.items():
        if name in data:
            found.run(reader, data[name], values, found)
    found.raise_any()
    if "uncertainties" in values and "fixed" not in data["uncertainties"]:
        # What [dynamics.<rule>] sets is the scenario's assumption: parameter draws keep it.
        dynamics = data.get("dynamics", {})
        fixed = [
            f"{rule}.{key}"
            for rule, sub in dynamics.items()
            if isinstance(sub, dict)
            for key in sub
        ]
        values["uncertainties"] = attrs.evolve(values["uncertainties"], fixed=tuple(fixed))
    return values
