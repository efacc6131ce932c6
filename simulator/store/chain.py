"""The hash chain: each record's hash covers the one before it, so the past cannot change
unseen.

    hash = sha256(previous hash + canonical JSON of the list of the columns before `hash`,
                  then `metadata` and `event_id` when the record has an id, or `metadata`
                  alone when it has metadata and no id)

so records written before metadata and ids existed hash as they did, and every column of a
record written since is covered.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from simulator import codec
from simulator.codec import quote
from simulator.errors import StoreError

GENESIS = "0" * 64


def record_hash(previous: str, row: Sequence) -> str:
    """The chain hash of *row* (what `hashed` picks of a record) after *previous*."""
    body = codec.dumps(list(row)).encode("utf-8")
    return hashlib.sha256(previous.encode("ascii") + body).hexdigest()


def hashed(row: Sequence) -> Sequence:
    """What the hash of the stored *row* (all the Record columns) covers."""
    metadata, event_id = row[10], row[11]
    if event_id is not None:
        return (*row[:9], metadata, event_id)
    return row[:9] if metadata is None else (*row[:9], metadata)


def head_problem(last: Sequence | None, before: Sequence | None) -> str | None:
    """Why the log's *last* row (with the row *before* it) is no head to append after: not
    numbered on from the one before, or not chained to it; None when it is (or the log is
    empty). Checked by every append, so a row a writer forged out of place stops appends with
    a message rather than being chained on."""
    if last is None:
        return None
    previous = GENESIS if before is None else before[9]
    expected = 0 if before is None else before[0] + 1
    try:
        good = last[0] == expected and record_hash(previous, hashed(last)) == last[9]
    except (TypeError, ValueError, UnicodeError):
        good = False
    if good:
        return None
    return (
        f"the log's last record (position {last[0]}) does not follow the one before it: the "
        "log was changed outside diplosim; `diplosim events verify` names the first bad record"
    )


def chain(
    stream: str,
    version: int,
    position: int,
    previous: str,
    prepared: list[tuple],
    recorded_at: str,
    start: int = 0,
    metadata: str | None = None,
) -> list[tuple]:
    """Rows `(position, ..., payload, hash, event_id)` for *prepared* (see
    `mapping.prepare`), numbered and hash-chained after *previous*, each hash covering
    *metadata* and the event's id; messages number the events from *start* (the slice's place
    in its batch)."""
    # For speed, each row's JSON is written here as text rather than by `record_hash`'s `dumps`
    # of a list (a quarter less time per row). The text is the same: whole numbers by `repr`,
    # strings by `codec.quote`; a row with a value of any other kind (and a chain resumed after
    # a hash that is not ASCII) is hashed by `record_hash` itself.
    usual = (
        type(position) is int
        and type(version) is int
        and type(stream) is str
        and type(recorded_at) is str
        and type(previous) is str
        and previous.isascii()
        and (metadata is None or type(metadata) is str)
    )
    if usual:
        stream_text, stamp_text = quote(stream), quote(recorded_at)
        meta_text = "null" if metadata is None else quote(metadata)
        no_id_end = "]" if metadata is None else f",{meta_text}]"
    sha256 = hashlib.sha256
    rows = []
    for offset, (type_name, schema, occurred_at, cause, payload, event_id) in enumerate(prepared):
        text = None
        if usual and type(schema) is int:
            try:
                end = no_id_end if event_id is None else f",{meta_text},{quote(event_id)}]"
                text = (
                    f"{previous}[{position + offset},{stream_text},{version + offset},"
                    f"{quote(type_name)},{schema},{quote(occurred_at)},{stamp_text},"
                    f"{'null' if cause is None else quote(cause)},{quote(payload)}{end}"
                )
            except TypeError:  # a value that is no str: record_hash writes it as JSON does
                text = None
        row = (
            position + offset,
            stream,
            version + offset,
            type_name,
            schema,
            occurred_at,
            recorded_at,
            cause,
            payload,
        )
        try:
            if text is None:
                previous = record_hash(previous, hashed((*row, None, metadata, event_id)))
            else:
                previous = sha256(text.encode("utf-8")).hexdigest()
        except UnicodeEncodeError:
            raise StoreError(
                f"stream {stream!r}: event {start + offset}: text is not valid Unicode"
            ) from None
        rows.append((*row, previous, event_id))
    return rows
