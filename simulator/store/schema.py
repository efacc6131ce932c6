"""The events table, written once for every SQL backend: its columns, its definition and the
steps that bring an older store up to date.

Schema versions: 1 the table; 2 added `metadata`; 3 added `event_id`, unique within a
stream. A new store is made as version 1 and migrated like an old one, so the two cannot
differ.
"""

from __future__ import annotations

SCHEMA_VERSION = 3

# The Record fields, in order: what every read selects.
COLUMNS = (
    "position", "stream", "version", "type", "schema", "occurred_at", "recorded_at",
    "causation", "payload", "hash", "metadata", "event_id",
)  # fmt: skip
SELECTED = ", ".join(COLUMNS)
# What an append inserts: the columns up to `hash`, the id, then the metadata when any.
INSERTED = ", ".join((*COLUMNS[:10], "event_id"))
INSERTED_WITH_METADATA = f"{INSERTED}, metadata"
# The column each schema version added.
ADDED_IN = {"metadata": 2, "event_id": 3}

# Each column's kind; a backend names the SQL type of each kind.
KINDS = {
    "position": "big", "stream": "text", "version": "big", "type": "text", "schema": "int",
    "occurred_at": "text", "recorded_at": "text", "causation": "text", "payload": "text",
    "hash": "text", "metadata": "text", "event_id": "text",
}  # fmt: skip


def tables(big: str) -> str:
    """The tables as schema version 1 made them, with the backend's type *big* for positions."""
    return f"""
CREATE TABLE IF NOT EXISTS events (
    position {big} PRIMARY KEY,
    stream TEXT NOT NULL,
    version {big} NOT NULL,
    type TEXT NOT NULL,
    schema INTEGER NOT NULL,
    occurred_at TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    causation TEXT,
    payload TEXT NOT NULL,
    hash TEXT NOT NULL,
    UNIQUE (stream, version)
);
CREATE INDEX IF NOT EXISTS events_by_type ON events (type, position);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


# The statements that bring a store from the version before each key to that version.
MIGRATIONS = {
    2: ("ALTER TABLE events ADD COLUMN metadata TEXT",),
    3: (
        "ALTER TABLE events ADD COLUMN event_id TEXT",
        "CREATE UNIQUE INDEX IF NOT EXISTS events_by_id ON events (stream, event_id)",
    ),
}


def steps(version: int) -> list[str]:
    """The statements that bring a store at *version* to `SCHEMA_VERSION`, in order."""
    return [sql for target in range(version + 1, SCHEMA_VERSION + 1) for sql in MIGRATIONS[target]]


def selected_at(version: int) -> str:
    """The Record columns as a store at *version* can give them: NULL for those added since."""
    return ", ".join(
        f"NULL AS {name}" if ADDED_IN.get(name, 1) > version else name for name in COLUMNS
    )


def table_problem(
    found: dict[str, str], types: dict[str, str], version: int = SCHEMA_VERSION
) -> str | None:
    """What differs between the events table's columns *found* (name -> SQL type, as the
    database reports it) and the definition at schema *version*, with *types* naming the SQL
    type of each kind."""
    expected = [name for name in COLUMNS if ADDED_IN.get(name, 1) <= version]
    for name in expected:
        want = types[KINDS[name]]
        got = found.get(name)
        if got is None:
            return f"the events table has no {name} column"
        if got.lower() != want.lower():
            return f"the events table's {name} column is {got}, not {want}: its type was changed"
    extra = sorted(set(found) - set(expected))
    if extra:
        return f"the events table has a column it should not: {extra[0]}"
    return None
