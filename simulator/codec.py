"""Event <-> stored record: canonical JSON, schema versions and upcasting (cattrs underneath).

A record's payload is the event's fields as canonical JSON (sorted keys, no spaces, fields at
their default left out), so the same event has the same bytes on any machine. The `type` and
`schema` travel beside the payload. A record written under an older schema version is upcast
on read by the registered upcasters, one version at a time; the stored bytes never change.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from datetime import date
from types import NoneType, UnionType
from typing import Any

import attrs
import cattrs
from cattrs.gen import make_dict_structure_fn, make_dict_unstructure_fn

from simulator import events
from simulator.errors import CodecError, EventError

Upcaster = Callable[[dict[str, Any]], dict[str, Any]]

_UPCASTERS: dict[tuple[str, int], Upcaster] = {}

_converter = cattrs.Converter(forbid_extra_keys=True)


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _structure_date(value: Any, _type: type) -> date:
    if type(value) is date:
        return value
    if isinstance(value, str) and _ISO_DATE.fullmatch(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise ValueError(f"'occurred_at' must be a date YYYY-MM-DD (got {value!r})")


def _as_given(value: Any, _type: type) -> Any:
    # cattrs would coerce (5 -> "5", 1.5 -> 1, "12" -> 12); the event's validators judge instead.
    return value


_converter.register_unstructure_hook(date, date.isoformat)
_converter.register_structure_hook(date, _structure_date)
for _primitive in (str, int, float):
    _converter.register_structure_hook(_primitive, _as_given)
_converter.register_structure_hook_func(lambda t: t == tuple[str, ...], _as_given)

_unstructurers: dict[type, Callable[[Any], dict[str, Any]]] = {}
_structurers: dict[type, Callable[[Mapping[str, Any], type], Any]] = {}


def _hooks(cls: type) -> None:
    # Generated once per type: cattrs writes a specialised function, as fast as a hand-written one.
    _unstructurers[cls] = make_dict_unstructure_fn(cls, _converter, _cattrs_omit_if_default=True)
    _structurers[cls] = make_dict_structure_fn(
        cls, _converter, _cattrs_forbid_extra_keys=True, _cattrs_detailed_validation=False
    )


_ENCODER = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
)
# The C encoder, made once: `json.dumps` builds an encoder object on every call, which is most
# of the cost of encoding a small record (append and the hash chain call this twice an event).
_c_encode = (
    None
    if json.encoder.c_make_encoder is None
    else json.encoder.c_make_encoder(
        None, _ENCODER.default, json.encoder.encode_basestring, None, ":", ",", True, False, False
    )
)


# A str as a JSON string, exactly as the encoder writes it (the C function when there is one).
quote = json.encoder.encode_basestring


def dumps(value: Any) -> str:
    """Canonical JSON: sorted keys, no whitespace, UTF-8 kept, no NaN."""
    if _c_encode is None:
        return _ENCODER.encode(value)
    return "".join(_c_encode(value, 0))


def register_upcaster(type_name: str, from_schema: int, upcaster: Upcaster) -> None:
    """Register *upcaster*, turning a payload of *type_name* at *from_schema* into the next one."""
    _UPCASTERS[(type_name, from_schema)] = upcaster


def to_fields(event: events.Event) -> dict[str, Any]:
    """The event's fields as JSON-ready values, defaults left out."""
    cls = type(event)
    if cls not in _unstructurers:
        _hooks(cls)
    return _unstructurers[cls](event)


def encode(event: events.Event) -> tuple[str, int, str]:
    """The `(type, schema, payload)` of a stored record for *event*."""
    cls = type(event)
    write = _WRITERS.get(cls)
    if write is None:
        write = _WRITERS[cls] = _writer(cls)
    return cls.__name__, cls.SCHEMA, write(event)


def from_fields(
    type_name: str, fields: Mapping[str, Any], schema: int | None = None
) -> events.Event:
    """Build the event of *type_name* from *fields*, upcasting from *schema* when it is older."""
    cls = events.event_type(type_name)
    if schema is not None and schema != cls.SCHEMA:
        fields = _upcast(type_name, schema, cls.SCHEMA, dict(fields))
    if cls not in _structurers:
        _hooks(cls)
    try:
        return _structurers[cls](fields, cls)
    except EventError:
        raise
    except (
        KeyError,
        TypeError,
        ValueError,
        cattrs.BaseValidationError,
        cattrs.errors.ForbiddenExtraKeysError,
    ) as exc:
        raise CodecError(f"{type_name}: {_explain(cls, fields, exc)}") from None


def decode(type_name: str, schema: int, payload: str) -> events.Event:
    """The event stored as (*type_name*, *schema*, *payload*)."""
    try:
        fields = json.loads(payload)
    except ValueError as exc:
        raise CodecError(f"{type_name}: payload is not JSON ({exc})") from None
    if not isinstance(fields, dict):
        raise CodecError(f"{type_name}: payload is not a JSON object (got {payload[:40]!r})")
    return from_fields(type_name, fields, schema)


def decode_trusted(type_name: str, schema: int, payload: str) -> events.Event:
    """The event stored as (*type_name*, *schema*, *payload*), without re-running validators.

    For the store's read path only: every stored event was validated when it was appended, and
    `verify()` finds any change since. Building the object directly is several times faster
    than the validating path, which matters on a ten-million-event replay. Older schemas,
    unknown types and payloads that do not fit take the validating path (and its errors).
    """
    cls = events.REGISTRY.get(type_name)
    if cls is None or schema != cls.SCHEMA:
        return decode(type_name, schema, payload)
    built = _BUILDERS.get(type_name)
    if built is None or built[0] is not cls:  # first use, or the name was registered anew
        built = _BUILDERS[type_name] = (cls, _builder(cls))
    try:
        return built[1](payload)
    except (KeyError, TypeError, ValueError, AttributeError, StopIteration):
        return decode(type_name, schema, payload)


def to_dict(event: events.Event) -> dict[str, Any]:
    """The event as one JSON Lines object: `type` plus its fields."""
    return {"type": type(event).__name__, **to_fields(event)}


def from_dict(data: Mapping[str, Any]) -> events.Event:
    """The event written as `{"type": ..., **fields}` (JSON Lines, TOML tables)."""
    if not isinstance(data, Mapping):
        raise CodecError(f"expected an object with a 'type' (got {type(data).__name__})")
    fields = dict(data)
    name = fields.pop("type", None)
    if not isinstance(name, str):
        raise CodecError("missing 'type' (the event type's name, e.g. 'Offensive')")
    return from_fields(name, fields)


def _builder(cls: type) -> Callable[[str], events.Event]:
    """A function building *cls* from its payload with no validation, written for that type.

    Generated source, one `object.__setattr__` per field, because a generic loop over a merged
    dict costs twice as much on the read path.
    """
    lines = [
        "def build(payload):",
        "    values, end = scan(payload, 0)",
        "    if end != len(payload) or not values.keys() <= names:",
        "        raise ValueError('not a canonical payload of this type')",
        "    event = new(cls)",
    ]
    namespace: dict[str, Any] = {
        # The C scanner itself: json.loads adds two whitespace scans a canonical payload lacks.
        "scan": json.decoder.JSONDecoder().scan_once,
        "new": object.__new__,
        "setattr": object.__setattr__,
        "fromisoformat": date.fromisoformat,
        "cls": cls,
        "names": frozenset(a.name for a in attrs.fields(cls)),
    }
    for index, field in enumerate(attrs.fields(cls)):
        name = field.name
        if field.default is attrs.NOTHING:
            value = f"values[{name!r}]"
        else:
            namespace[f"default{index}"] = field.default
            value = f"values.get({name!r}, default{index})"
        if name == "occurred_at":
            value = f"fromisoformat({value})"
        elif field.converter is events._to_tuple:
            value = f"tuple({value})"
        lines.append(f"    setattr(event, {name!r}, {value})")
    lines.append("    return event")
    exec("\n".join(lines), namespace)  # noqa: S102 - source built above from field names
    return namespace["build"]


_BUILDERS: dict[str, tuple[type, Callable[[str], events.Event]]] = {}


def _reference_payload(event: events.Event) -> str:
    """The canonical payload by the general path: the definition `_writer` must match."""
    return dumps(to_fields(event))


# How `_writer` writes a value of each declared field type: (source of the check that the value
# is of that exact type, source of its JSON text). Strings need no check: `quote` refuses any
# other value (TypeError) and writes a str subclass as the encoder would.
_KINDS: dict[Any, tuple[str | None, str]] = {
    str: (None, "quote(value)"),
    int: ("type(value) is int", "repr(value)"),
    # value - value is 0.0 for a finite float only: NaN and infinities take the general path,
    # which refuses them.
    float: ("type(value) is float and value - value == 0.0", "repr(value)"),
    date: ("type(value) is date", "'\"' + value.isoformat() + '\"'"),
    tuple[str, ...]: ("type(value) is tuple", "'[' + ','.join(map(quote, value)) + ']'"),
}


def _writer(cls: type) -> Callable[[events.Event], str]:
    """A function writing the canonical payload of a *cls* event, written for that type.

    For speed (append encodes every event; this is about twice as fast as building the
    dict for `dumps`): generated source that joins the JSON text of each field in sorted key
    order, a field at its default left out, exactly as `dumps(to_fields(event))` would write
    it. A value not of its field's declared type, and a type with a field of any other kind,
    take that general path, so the bytes and the errors are always its own.
    """
    try:
        fields = attrs.fields(attrs.resolve_types(cls))
    except (NameError, TypeError):
        return _reference_payload
    lines = [
        "def write(event):",
        "    parts = []",
        "    try:",
    ]
    for field in sorted(fields, key=lambda f: f.name):
        kind, default = field.type, field.default
        if default is None and type(kind) is UnionType and len(kind.__args__) == 2:
            kind = next((k for k in kind.__args__ if k is not NoneType), None)
            when = "value is not None"
        elif default is attrs.NOTHING:
            when = None
        elif type(default) in (str, int):
            when = f"value != {default!r}"
        else:
            return _reference_payload
        if kind not in _KINDS:
            return _reference_payload
        check, text = _KINDS[kind]
        lines.append(f"        value = event.{field.name}")
        indent = "        "
        if when is not None:
            lines.append(f"        if {when}:")
            indent += "    "
        if check is not None:
            lines.append(f"{indent}if not ({check}):")
            lines.append(f"{indent}    return reference(event)")
        lines.append(f"{indent}parts.append({quote(field.name) + ':'!r} + {text})")
    lines += [
        "    except TypeError:",
        "        return reference(event)",
        "    return '{' + ','.join(parts) + '}'",
    ]
    namespace: dict[str, Any] = {
        "quote": quote,
        "date": date,
        "reference": _reference_payload,
    }
    exec("\n".join(lines), namespace)  # noqa: S102 - source built above from field names
    return namespace["write"]


_WRITERS: dict[type, Callable[[events.Event], str]] = {}


def _upcast(type_name: str, schema: int, target: int, fields: dict[str, Any]) -> dict[str, Any]:
    if schema > target:
        raise CodecError(
            f"{type_name}: schema {schema} is newer than this version knows ({target})"
        )
    while schema < target:
        try:
            fields = _UPCASTERS[(type_name, schema)](fields)
        except KeyError:
            raise CodecError(f"{type_name}: no upcaster from schema {schema}") from None
        schema += 1
    return fields


def _explain(cls: type, fields: Mapping[str, Any], exc: Exception) -> str:
    """One line saying which field is wrong and what was expected."""
    names = {a.name for a in attrs.fields(cls)}
    extra = sorted(set(fields) - names)
    if extra:
        return f"unknown field {extra[0]!r} (fields: {', '.join(sorted(names))})"
    required = [a.name for a in attrs.fields(cls) if a.default is attrs.NOTHING]
    missing = [name for name in required if name not in fields]
    if missing:
        return f"missing field {missing[0]!r}"
    return str(exc) or type(exc).__name__
