"""Mapping: catalogue events to the columns of stored rows and back, apart from where rows live.

A backend (the recording side: rows in, rows out) never encodes or decodes; the store composes
the two. This module checks what an append is given (stream names, metadata, event ids),
encodes events a slice at a time, and judges a stored row for `verify` (does it decode to a
valid event that encodes back to the same bytes?).

An event's id is given with the append or derived from its content and stream: the sha256 of
the stream, type, schema and payload, and how many identical events came before it in the same
append (so an append holding one event twice stores both, and the same append made again
stores neither).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence

from simulator import codec, events
from simulator.errors import CodecError, EventError, StoreError
from simulator.events import Event

SLICE = 1000  # events encoded and chained at a time by an append
MAX_STREAM_LENGTH = 200
MAX_ID_LENGTH = 128
MAX_METADATA_KEYS = 32
MAX_METADATA_KEY_LENGTH = 64
MAX_METADATA_BYTES = 4096  # of its canonical JSON, in UTF-8

Scalar = str | int | float | bool | None

_RECORDED_AT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}\+00:00")


def check_stream(stream: object) -> str:
    return _name(stream, "stream name", MAX_STREAM_LENGTH, printable=False)


def check_id(event_id: object) -> str | None:
    """*event_id* if it is a usable id (printable text of 1..128 characters), None for none."""
    return None if event_id is None else _name(event_id, "event id", MAX_ID_LENGTH)


def _name(value: object, what: str, longest: int, printable: bool = True) -> str:
    """*value* if it is text of 1..*longest* characters that UTF-8 can hold, without NUL
    (nor, when *printable*, any control character)."""
    if not isinstance(value, str) or not 1 <= len(value) <= longest:
        raise StoreError(f"{what} must be text of 1..{longest} characters (got {value!r:.80})")
    if "\x00" in value or (printable and not value.isprintable()):
        raise StoreError(f"{what} {value!r:.80} holds a control character")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise StoreError(f"{what} {value!r:.80} is not valid Unicode") from None
    return value


def derived_id(stream: str, type_name: str, schema: int, payload: str, repeat: int) -> str:
    """The id of an event given none: its content and stream, and *repeat*, the number of
    identical events before it in the same append: the first 32 hex digits of the sha256 of
    them joined by NUL (which none of them can hold: a stream name refuses it, JSON escapes
    it), as UTF-8."""
    text = f"{stream}\x00{type_name}\x00{schema}\x00{repeat}\x00{payload}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def metadata_text(metadata: object) -> str | None:
    """*metadata* as canonical JSON, None for none (or an empty mapping); refused unless it is
    a small flat mapping of names to JSON scalars, so every record can carry it cheaply."""
    if metadata is None:
        return None
    if not isinstance(metadata, Mapping):
        kind = type(metadata).__name__
        raise StoreError(f"metadata must be a mapping of names to values (got {kind})")
    if len(metadata) > MAX_METADATA_KEYS:
        raise StoreError(f"metadata has {len(metadata)} keys, more than {MAX_METADATA_KEYS}")
    for key, value in metadata.items():
        if not isinstance(key, str) or not 1 <= len(key) <= MAX_METADATA_KEY_LENGTH:
            raise StoreError(
                f"metadata keys must be text of 1..{MAX_METADATA_KEY_LENGTH} characters "
                f"(got {key!r:.80})"
            )
        if value is not None and not isinstance(value, str | int | float):
            raise StoreError(
                f"metadata {key!r} must be text, a number, true, false or null "
                f"(got {type(value).__name__})"
            )
    if not metadata:
        return None
    try:
        text = codec.dumps(dict(metadata))
        size = len(text.encode("utf-8"))
    except UnicodeEncodeError:
        raise StoreError("metadata is not valid Unicode") from None
    except ValueError as exc:  # NaN, infinity, an integer too long to write
        raise StoreError(f"metadata cannot be written as JSON: {exc}") from None
    if size > MAX_METADATA_BYTES:
        raise StoreError(f"metadata is {size} bytes as JSON, more than {MAX_METADATA_BYTES}")
    return text


def prepare(
    events: Iterable[Event],
    causation: Sequence[str | None] | None,
    start: int = 0,
    stream: str = "",
    ids: Sequence[str | None] | None = None,
    repeats: dict | None = None,
) -> list[tuple]:
    """Encode *events*: `(type, schema, occurred_at, causation, payload, id)` (an append's
    first slice before any lock, the rest as the transaction reads them). An event without a
    given id (in *ids*) gets `derived_id` in *stream*, counting identical events in *repeats*
    (kept across the slices of one append). Messages number the events from *start*."""
    events = list(events)
    if causation is None:
        causation = (None,) * len(events)
    elif len(causation) != len(events):
        raise StoreError(f"{len(causation)} causations for {len(events)} events")
    if ids is None:
        ids = (None,) * len(events)
    elif len(ids) != len(events):
        raise StoreError(f"{len(ids)} ids for {len(events)} events")
    if repeats is None:
        repeats = {}
    encode = codec.encode
    prepared = []
    for index, (event, cause, given) in enumerate(
        zip(events, causation, ids, strict=True), start=start
    ):
        if not isinstance(event, Event):
            raise StoreError(f"event {index}: not a catalogue event ({type(event).__name__})")
        if cause is not None and not isinstance(cause, str):
            raise StoreError(f"event {index}: causation must be text or None (got {cause!r})")
        type_name, schema, payload = encode(event)
        if given is None:
            try:
                event_id = derived_id(stream, type_name, schema, payload, 0)
            except UnicodeEncodeError:
                raise StoreError(f"event {index}: text is not valid Unicode") from None
            # Keyed by 64 bits of the first id, not by the content: an int a distinct event,
            # so a long append holds a small number per event rather than its payload.
            key = int(event_id[:16], 16)
            repeat = repeats.get(key, 0)
            repeats[key] = repeat + 1
            if repeat:
                event_id = derived_id(stream, type_name, schema, payload, repeat)
        else:
            try:
                event_id = check_id(given)
            except StoreError as exc:
                raise StoreError(f"event {index}: {exc}") from None
        day = event.occurred_at.isoformat()
        prepared.append((type_name, schema, day, cause, payload, event_id))
    return prepared


def prepared_slices(
    events: Iterable[Event],
    causation: Sequence[str | None] | None,
    size: int = SLICE,
    stream: str = "",
    ids: Sequence[str | None] | None = None,
) -> Iterator[list[tuple]]:
    """*events* prepared *size* at a time, read lazily: a batch of a million events from a
    generator is held one slice at a time, however long it is (causations and ids come with
    the events of a run, which are held anyway)."""
    for name, given in (("causations", causation), ("ids", ids)):
        if given is not None:
            events = list(events)
            if len(given) != len(events):
                raise StoreError(f"{len(given)} {name} for {len(events)} events")
    iterator = iter(events)
    repeats: dict = {}
    start = 0
    while batch := list(itertools.islice(iterator, size)):
        end = start + len(batch)
        causes = None if causation is None else causation[start:end]
        given = None if ids is None else ids[start:end]
        yield prepare(batch, causes, start, stream, given, repeats)
        start = end


def row_problem(row: Sequence) -> str | None:
    """What is wrong with the stored *row* (all the Record columns) that its hash cannot show:
    a value of the wrong kind, or a payload that is no valid event of its type and schema, or
    not in the canonical form an append writes; None when nothing is."""
    kinds = (int, str, int, str, int, str, str, (str, type(None)), str, str)
    for value, kind, name in zip(row, kinds, _NAMES, strict=False):
        if not isinstance(value, kind) or isinstance(value, bool):
            return f"{name} is a {type(value).__name__}"
    if row[10] is not None and (not isinstance(row[10], str) or _metadata_problem(row[10])):
        return "metadata is not a small flat JSON object in canonical form"
    if row[11] is not None:
        try:
            check_id(row[11])
        except StoreError as exc:
            return str(exc)
    if not _RECORDED_AT.fullmatch(row[6]):
        return "recorded_at is not a UTC time as an append writes it"
    if row[3] not in events.REGISTRY:
        return f"unknown event type {row[3]!r}"
    try:
        event = codec.decode(row[3], row[4], row[8])
    except (CodecError, EventError) as exc:
        return f"payload: {exc}"
    if event.occurred_at.isoformat() != row[5]:
        return "occurred_at differs from the payload's"
    if row[4] == events.REGISTRY[row[3]].SCHEMA and codec.encode(event)[2] != row[8]:
        return "payload is not in the canonical form an append writes"
    return None


_NAMES = (
    "position", "stream", "version", "type", "schema", "occurred_at", "recorded_at",
    "causation", "payload", "hash",
)  # fmt: skip


def _metadata_problem(text: str) -> bool:
    try:
        return metadata_text(json.loads(text)) != text
    except (ValueError, StoreError):
        return True
