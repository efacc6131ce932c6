"""Tamper evidence against someone who can write the database, on SQLite and PostgreSQL.

Each case changes a signed log behind diplosim's back, the way a holder of the database's
write access could (with hashes recomputed wherever that helps the forger), and checks that
`verify` finds it: alone where the chain can show it, with the checkpoint where only a head
kept elsewhere can (truncation, a rewrite from some record on, a record forged at the end).
"""

from __future__ import annotations

import json
import sqlite3

import pytest

from simulator import codec
from simulator.cli import main
from simulator.errors import StoreError
from simulator.store import checkpoint, open_store
from simulator.store.chain import GENESIS, hashed, record_hash
from simulator.store.schema import COLUMNS
from tests.store_contract import offensive

RECORDS = 10


class Raw:
    """SQL on the store's table behind its back (`?` placeholders on both backends)."""

    def __init__(self, url: str) -> None:
        self.postgres = url.startswith("postgresql")
        if self.postgres:
            import psycopg

            self.db = psycopg.connect(url, autocommit=True)
        else:
            self.db = sqlite3.connect(url[len("sqlite:///") :], isolation_level=None)

    def run(self, sql: str, *params) -> list[tuple]:
        if self.postgres:
            sql = sql.replace("?", "%s")
        cursor = self.db.execute(sql, params)
        return cursor.fetchall() if cursor.description else []

    def rows(self) -> list[tuple]:
        return self.run(f"SELECT {', '.join(COLUMNS)} FROM events ORDER BY position")

    def insert(self, row: tuple) -> None:
        marks = ",".join("?" * len(COLUMNS))
        self.run(f"INSERT INTO events ({', '.join(COLUMNS)}) VALUES ({marks})", *row)

    def rechain(self, rows: list[tuple], start: int) -> None:
        """Write *rows* back from *start* on with hashes recomputed, as a forger would."""
        previous = GENESIS if start == 0 else rows[start - 1][9]
        for row in rows[start:]:
            row = (*row[:9], record_hash(previous, hashed(row)), *row[10:])
            self.run(
                "UPDATE events SET payload = ?, hash = ? WHERE position = ?",
                *(row[8], row[9], row[0]),
            )
            previous = row[9]

    def close(self) -> None:
        self.db.close()


def forged(previous: tuple, position: int, **changes) -> tuple:
    """A record after *previous* with a valid hash, as anyone who can insert rows can make."""
    event = offensive(28, troops=999)
    type_name, schema, payload = codec.encode(event)
    row = {
        "position": position, "stream": previous[1], "version": previous[2] + 1,
        "type": type_name, "schema": schema, "occurred_at": "2020-09-28",
        "recorded_at": previous[6], "causation": None, "payload": payload, "hash": "",
        "metadata": None, "event_id": f"forged-{position}",
    }  # fmt: skip
    row.update(changes)
    values = tuple(row[name] for name in COLUMNS)
    return (*values[:9], record_hash(previous[9], hashed(values)), *values[10:])


@pytest.fixture(params=["sqlite", "postgres"])
def url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'log.db'}"
    return request.getfixturevalue("pg_url")


@pytest.fixture
def signed(url, tmp_path):
    """A log of ten records with a checkpoint of it, signed with a key kept apart."""
    with open_store(url) as store:
        store.append("history", [offensive(day) for day in range(1, RECORDS + 1)])
    key_path = tmp_path / "custodian.key"
    checkpoint.write_key_pair(key_path)
    with open_store(url) as store:
        head = checkpoint.sign(store, checkpoint.load_private_key(key_path))
    path = tmp_path / "head.json"
    checkpoint.save(head, path)
    raw = Raw(url)
    yield raw, head, checkpoint.load_public_key(f"{key_path}.pub"), path
    raw.close()


def verified(url, head, key):
    with open_store(url, create=False) as store:
        return store.verify(), checkpoint.verify(store, head, key, "custodian.key.pub")


def test_an_untouched_log_extends_its_checkpoint(url, signed):
    _, head, key, _ = signed
    alone, against = verified(url, head, key)
    assert alone.ok and against.ok and (against.checked, against.after_checkpoint) == (10, 0)


def test_records_removed_from_the_end_are_found_only_with_the_checkpoint(url, signed):
    raw, head, key, _ = signed
    raw.run("DELETE FROM events WHERE position >= ?", 7)
    alone, against = verified(url, head, key)
    assert alone.ok  # the chain cannot show its own end gone
    assert (against.ok, against.first_bad_position) == (False, 7)
    assert "removed from its end" in against.reason


def test_a_log_rewritten_from_a_record_on_is_found_only_with_the_checkpoint(url, signed):
    raw, head, key, _ = signed
    rows = raw.rows()
    changed = codec.encode(offensive(4, troops=5))[2]
    rows[3] = (*rows[3][:8], changed, *rows[3][9:])
    raw.rechain(rows, 3)
    alone, against = verified(url, head, key)
    assert alone.ok  # a valid chain: every hash recomputed from the change on
    assert (against.ok, against.first_bad_position) == (False, RECORDS - 1)
    assert "rewritten at or before this position" in against.reason


def test_a_record_forged_at_the_end_is_not_covered_by_the_checkpoint(url, signed, capsys):
    raw, head, key, path = signed
    raw.insert(forged(raw.rows()[-1], RECORDS))
    alone, against = verified(url, head, key)
    assert alone.ok and against.ok and against.after_checkpoint == 1
    public = f"{path.parent / 'custodian.key'}.pub"
    command = ["events", "verify", "--store", url, "--checkpoint", str(path)]
    assert main([*command, "--public-key", public]) == 0
    assert "1 records after it are not covered by it" in capsys.readouterr().out
    # A log whose every append is followed by a checkpoint holds no record outside one.
    assert main([*command, "--public-key", public, "--exact"]) == 1
    assert "1 records after the checkpoint are covered by no signature" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"payload": '{"attacker":"AAA","occurred_at":"2020-09-28"}'}, "payload: Offensive"),
        ({"payload": codec.encode(offensive(28))[2].replace(":100", ":-5")}, "payload: "),
        ({"type": "Teleport"}, "unknown event type 'Teleport'"),
        ({"payload": codec.encode(offensive(28))[2].replace(",", ", ")}, "canonical form"),
        ({"occurred_at": "2020-09-29"}, "occurred_at differs from the payload"),
        ({"recorded_at": "yesterday"}, "recorded_at is not a UTC time"),
        ({"metadata": '{"b":1, "a":2}'}, "metadata is not a small flat JSON object"),
    ],
    ids=[
        "missing-field",
        "invalid-value",
        "unknown-type",
        "not-canonical",
        "date",
        "stamp",
        "meta",
    ],
)
def test_a_record_with_a_valid_hash_and_a_bad_body_is_found_by_verify(url, signed, changes, reason):
    raw, head, key, _ = signed
    raw.insert(forged(raw.rows()[-1], RECORDS, **changes))
    alone, _ = verified(url, head, key)
    assert (alone.ok, alone.first_bad_position) == (False, RECORDS)
    assert reason in alone.reason


def test_a_column_whose_type_was_changed_is_found(url, signed):
    raw, head, key, _ = signed
    if raw.postgres:
        raw.run("ALTER TABLE events ALTER COLUMN schema TYPE bigint")
    else:  # SQLite cannot alter a column: the table is made again with another affinity
        ddl = raw.run("SELECT sql FROM sqlite_master WHERE name = 'events'")[0][0]
        raw.run("ALTER TABLE events RENAME TO old_events")
        raw.run(ddl.replace("schema INTEGER", "schema NUMERIC"))
        raw.run("INSERT INTO events SELECT * FROM old_events")
        raw.run("DROP TABLE old_events")
    alone, against = verified(url, head, key)
    assert not alone.ok and not against.ok
    assert "schema column is" in alone.reason and "its type was changed" in alone.reason


def test_a_row_inserted_far_ahead_stops_appends_with_a_message_until_removed(url, signed):
    raw, head, key, _ = signed
    raw.insert(forged(raw.rows()[-1], 1_000_000))
    alone, _ = verified(url, head, key)
    assert (alone.ok, alone.first_bad_position) == (False, RECORDS)
    assert "position 1000000 where 10 was due" in alone.reason
    with (
        open_store(url) as store,
        pytest.raises(StoreError, match="does not follow the one before it"),
    ):
        store.append("history", [offensive(29)])
    raw.run("DELETE FROM events WHERE position = ?", 1_000_000)  # the owner's repair
    with open_store(url) as store:
        assert store.append("history", [offensive(29)]) == [RECORDS]
        assert checkpoint.verify(store, head, key, "key").ok


def test_a_changed_or_foreign_checkpoint_is_refused(url, signed, tmp_path, capsys):
    _, head, key, path = signed
    data = json.loads(path.read_text())
    data["count"] = 3  # claim a shorter log, which a truncation would then pass
    path.write_text(json.dumps(data))
    public = f"{path.parent / 'custodian.key'}.pub"
    command = ["events", "verify", "--store", url, "--checkpoint", str(path)]
    assert main([*command, "--public-key", public]) == 1
    assert "signature does not verify" in capsys.readouterr().out
    checkpoint.write_key_pair(tmp_path / "other.key")
    checkpoint.save(head, path)
    assert main([*command, "--public-key", str(tmp_path / "other.key.pub")]) == 1
    assert "signed with another key" in capsys.readouterr().out
