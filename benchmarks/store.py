"""Event store throughput: `append` and `read_all` + decode against plain sqlite3 + json.

    python benchmarks/store.py [--events N] [--store URL]

Appends N events (batches of 1,000) through `EventStore.append` into a fresh store, reads them
all back through `read_all` decoding each event, then does the same with plain sqlite3
`executemany` + `json` on an equivalent table (same columns, indexes and payload JSON). The
plain half runs only for SQLite URLs; for any other URL the store's own rates are printed.
Targets: append >= 50% of the plain rate; read + decode >= 50% of the plain read + json rate.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sqlite3
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from simulator import codec, events  # noqa: E402
from simulator.store import open_store  # noqa: E402
from simulator.store.sqlite import _DDL  # noqa: E402

BATCH = 1000
TARGET = 0.5
STREAM = "bench"  # the plain table's stream
ACTORS = ("ARM", "AZE", "RUS", "TUR", "UN", "EU", "ICRC", "USA")
REGIONS = ("NK", "Lachin", "Syunik")


def sample_events(count: int, seed: int = 7) -> list[events.Event]:
    """*count* varied events of the catalogue's common types, in date order."""
    rng = random.Random(seed)
    start = date(2020, 9, 27)
    made: list[events.Event] = []
    for i in range(count):
        day = start + timedelta(days=i // 20)
        a, b = rng.sample(ACTORS, 2)
        region = rng.choice(REGIONS)
        kind = i % 6
        if kind == 0:
            made.append(
                events.Offensive(
                    occurred_at=day,
                    attacker=a,
                    defender=b,
                    region=region,
                    troops=rng.randrange(100, 20_000),
                    casualties=rng.randrange(0, 500),
                )
            )
        elif kind == 1:
            made.append(events.Ceasefire(occurred_at=day, parties=(a, b), mediator="RUS"))
        elif kind == 2:
            made.append(
                events.AidDelivery(
                    occurred_at=day,
                    donor=a,
                    recipient=b,
                    region=region,
                    kind="food",
                    tonnes=round(rng.uniform(1, 500), 1),
                    source="https://example.org/sitrep",
                )
            )
        elif kind == 3:
            made.append(
                events.Statement(
                    occurred_at=day, speaker=a, kind="condemnation", target=b, text="We condemn."
                )
            )
        elif kind == 4:
            made.append(
                events.Displacement(
                    occurred_at=day, region=region, people=rng.randrange(10, 10_000), destination=b
                )
            )
        else:
            made.append(
                events.ControlChange(
                    occurred_at=day, region=region, gainer=a, loser=b, share=rng.uniform(0.01, 1)
                )
            )
    return made


def batches(pool: list, total: int):
    """Slices of *pool* (repeated as needed) adding up to *total* items, BATCH at a time."""
    done = 0
    while done < total:
        size = min(BATCH, total - done)
        start = done % len(pool)
        chunk = pool[start : start + size]
        if len(chunk) < size:
            chunk = chunk + pool[: size - len(chunk)]
        yield chunk
        done += size


def ours_append(store, pool: list[events.Event], total: int) -> tuple[float, int]:
    """Rate of `append` and the position of the first event appended."""
    stream = f"bench/{uuid.uuid4().hex}"  # a new stream: the store need not be empty
    version = 0
    first = None
    started = time.perf_counter()
    for chunk in batches(pool, total):
        positions = store.append(stream, chunk, expected_version=version)
        version += len(chunk)
        first = positions[0] if first is None else first
    return total / (time.perf_counter() - started), first


def ours_read(store, first: int, total: int) -> float:
    started = time.perf_counter()
    read = 0
    for record in store.read_all(from_position=first):
        record.event  # noqa: B018 - decoding is what is measured
        read += 1
    rate = read / (time.perf_counter() - started)
    if read < total:
        raise SystemExit(f"read {read} events back, appended {total}")
    return rate


def plain_append(db: sqlite3.Connection, pool: list[events.Event], total: int) -> float:
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.executescript(_DDL)
    # The payloads start as plain dicts (built before the clock starts): the baseline is
    # json.dumps + executemany and nothing else.
    fields = [
        (type(e).__name__, e.SCHEMA, e.occurred_at.isoformat(), codec.to_fields(e)) for e in pool
    ]
    insert = "INSERT INTO events VALUES (?,?,?,?,?,?,?,?,?,?)"
    dumps = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode
    hash_placeholder = "0" * 64
    position = 0
    started = time.perf_counter()
    for chunk in batches(fields, total):
        recorded_at = datetime.now(UTC).isoformat(timespec="microseconds")
        rows = []
        for type_name, schema, occurred_at, data in chunk:
            rows.append(
                (
                    position,
                    STREAM,
                    position,
                    type_name,
                    schema,
                    occurred_at,
                    recorded_at,
                    None,
                    dumps(data),
                    hash_placeholder,
                )
            )
            position += 1
        db.execute("BEGIN IMMEDIATE")
        db.executemany(insert, rows)
        db.execute("COMMIT")
    return total / (time.perf_counter() - started)


def plain_read(db: sqlite3.Connection) -> float:
    loads = json.loads
    started = time.perf_counter()
    read = 0
    for row in db.execute("SELECT * FROM events ORDER BY position"):
        loads(row[8])
        read += 1
    return read / (time.perf_counter() - started)


def report(name: str, append_rate: float, read_rate: float, read: str = "read+decode") -> None:
    rates = f"append {append_rate:>10,.0f} events/s   {read:<11} {read_rate:>10,.0f} events/s"
    print(f"{name:<6} {rates}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000, help="events to append")
    parser.add_argument("--store", help="store URL (default: a fresh temporary SQLite file)")
    args = parser.parse_args(argv)

    pool = sample_events(min(args.events, 10_000))
    with tempfile.TemporaryDirectory() as tmp:
        url = args.store or f"sqlite:///{os.path.join(tmp, 'ours.db')}"
        print(f"{args.events:,} events, batches of {BATCH:,}, store {url}")
        store = open_store(url)
        plain = (
            None
            if not url.startswith("sqlite:///")
            else sqlite3.connect(os.path.join(tmp, "plain.db"), isolation_level=None)
        )
        try:
            # Appends, then reads, the two halves back to back: a machine whose load changes
            # during the run skews both alike.
            ours_append_rate, first = ours_append(store, pool, args.events)
            plain_append_rate = plain and plain_append(plain, pool, args.events)
            ours_read_rate = ours_read(store, first, args.events)
            plain_read_rate = plain and plain_read(plain)
        finally:
            store.close()
            if plain is not None:
                plain.close()
    report("ours", ours_append_rate, ours_read_rate)
    if plain is None:
        print("plain sqlite3 comparison skipped: the store is not SQLite")
        return 0
    report("plain", plain_append_rate, plain_read_rate, read="read+json")
    ratios = (ours_append_rate / plain_append_rate, ours_read_rate / plain_read_rate)
    for name, ratio in zip(("append", "read+decode"), ratios, strict=True):
        verdict = "ok" if ratio >= TARGET else "BELOW TARGET"
        print(f"{name:<12} ours/plain = {ratio:6.1%}   (target >= {TARGET:.0%})  {verdict}")
    return 0 if min(ratios) >= TARGET else 1


if __name__ == "__main__":
    raise SystemExit(main())
