"""Writing: a `Scenario` as TOML text that loads back equal, and any plain data as TOML."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any

import attrs

from simulator import codec
from simulator.calibration.uncertainties import Uncertainties
from simulator.dynamics import Parameters
from simulator.scenario.value import Ensemble, Scenario

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


def toml_key(key: str) -> str:
    return key if _BARE.fullmatch(key) else toml_value(key)


def toml_value(value: Any) -> str:
    """*value* as a TOML value (inline tables for mappings)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        chars = (
            _ESCAPES.get(c, f"\\u{ord(c):04x}" if ord(c) < 0x20 or c == "\x7f" else c)
            for c in value
        )
        return '"' + "".join(chars) + '"'
    if isinstance(value, float):
        if value != value:
            return "nan"
        if value in (float("inf"), float("-inf")):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, int):
        return repr(value)
    if isinstance(value, date):  # dates, and date-times (a subclass)
        return value.isoformat()
    if hasattr(value, "isoformat"):  # a time of day
        return value.isoformat()
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{toml_key(k)} = {toml_value(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"cannot write {value!r} as TOML")


def _is_tables(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)


def toml_document(data: Mapping[str, Any], prefix: str = "") -> str:
    """Plain TOML data (as `tomllib` gives it) as TOML text: tables as `[headers]`, arrays of
    tables as `[[headers]]`, the rest as `key = value` lines."""
    lines: list[str] = []
    nested: list[tuple[str, Any]] = []
    for key, value in data.items():
        if isinstance(value, dict) or _is_tables(value):
            nested.append((key, value))
        else:
            lines.append(f"{toml_key(key)} = {toml_value(value)}")
    for key, value in nested:
        name = f"{prefix}.{toml_key(key)}" if prefix else toml_key(key)
        items = value if isinstance(value, list) else [value]
        for item in items:
            header = f"[[{name}]]" if isinstance(value, list) else f"[{name}]"
            lines += ["", header, toml_document(item, name)]
    return "\n".join(lines).strip("\n") + "\n"


def dump_scenario(scenario: Scenario) -> str:
    """*scenario*, resolved (no `extends`), as TOML text that `parse_scenario` reads back to
    an equal scenario. Tables at their defaults are left out, so the text stays close to what
    a person would write."""
    head = {"name": scenario.name, "description": scenario.description}
    head |= {"start": scenario.start, "horizon": scenario.horizon}
    data: dict[str, Any] = {"scenario": head}
    data["actors"] = {k: _actor(v) for k, v in scenario.actors.items()}
    data["regions"] = dict(scenario.regions)
    if scenario.groups:
        data["groups"] = {
            k: {f: v for f, v in attrs.asdict(g).items() if v not in (None, ())}
            for k, g in scenario.groups.items()
        }
        for g in data["groups"].values():
            if "sides" in g:
                g["sides"] = list(g["sides"])
    if scenario.alignments:
        data["alignments"] = [
            {f: v for f, v in attrs.asdict(a).items() if v is not None} for a in scenario.alignments
        ]
    branch: dict[str, Any] = {}
    if scenario.branch_at is not None:
        branch["at"] = scenario.branch_at
    if scenario.keep_record:
        branch["keep_record"] = True
    if branch:
        data["branch"] = branch
    dynamics = _changed(scenario.dynamics, Parameters())
    dynamics.pop("_by_rule", None)
    values = dynamics.pop("values", None)
    for name, value in sorted((values or {}).items()):
        rule, key = name.split(".", 1)
        dynamics.setdefault(rule, {})[key] = value
    if dynamics:
        data["dynamics"] = dynamics
    uncertainties = _uncertainties(scenario.uncertainties)
    if uncertainties:
        data["uncertainties"] = uncertainties
    ensemble = _changed(scenario.ensemble, Ensemble())
    if ensemble:
        data["ensemble"] = ensemble
    outputs: dict[str, Any] = {}
    if scenario.outputs:
        outputs["metrics"] = list(scenario.outputs)
    focus = scenario.focus_given
    if focus.region:
        outputs["region"] = focus.region
    if focus.holder:
        outputs["holder"] = focus.holder
    if focus.parties:
        outputs["parties"] = list(focus.parties)
    if outputs:
        data["outputs"] = outputs
    if scenario.events:
        data["events"] = [_event(e) for e in scenario.events]
    if scenario.interventions:
        data["interventions"] = [_intervention(i) for i in scenario.interventions]
    if scenario.questions:
        data["questions"] = [
            {
                k: (list(v) if isinstance(v, tuple) else v)
                for k, v in attrs.asdict(q).items()
                if v is not None and v != ()
            }
            for q in scenario.questions
        ]
    return toml_document(data)


def _uncertainties(given: Uncertainties) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if given.source is not None:
        out["from"] = str(Path(given.source).resolve())
    for key, default in (("draws", "laplace"), ("design", "lhs"), ("runs_per_set", 10)):
        if getattr(given, key) != default:
            out[key] = getattr(given, key)
    if given:  # written out: the dynamics are written whole, fitted values and assumptions alike
        out["fixed"] = list(given.fixed)
    for d in given.distributions:
        if "." in d.name:
            rule, key = d.name.split(".", 1)
            out.setdefault(rule, {})[key] = d.as_table()
        else:
            out[d.name] = d.as_table()
    return out


def _actor(actor) -> dict[str, Any] | str:
    if actor.kind == "organisation" and actor.troops is None and not actor.missions:
        return actor.name
    out: dict[str, Any] = {"name": actor.name, "kind": actor.kind}
    if actor.troops is not None:
        out["troops"] = actor.troops
    if actor.missions:
        out["missions"] = list(actor.missions)
    return out


def _changed(value: Any, default: Any) -> dict[str, Any]:
    return {
        f.name: getattr(value, f.name)
        for f in attrs.fields(type(value))
        if f.init and getattr(value, f.name) != getattr(default, f.name)
    }


def _event(event) -> dict[str, Any]:
    fields = {"type": type(event).__name__, **codec.to_fields(event)}
    fields["occurred_at"] = event.occurred_at
    return fields


def _intervention(intervention) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if intervention.name:
        out["name"] = intervention.name
    out["action"] = intervention.action
    if intervention.match is not None:
        out["match"] = intervention.match.to_toml()
    if intervention.set:
        out["set"] = {
            k: list(v) if isinstance(v, tuple) else v for k, v in intervention.set.items()
        }
    if intervention.events:
        out["events"] = [_event(e) for e in intervention.events]
    return out
