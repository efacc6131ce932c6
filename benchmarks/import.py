"""Import throughput: generated GDELT 2.0 rows into a fresh SQLite store.

    python benchmarks/import.py [--rows N] [--batch-size B] [--keep DIR]

Writes N rows in the documented 61-column GDELT 2.0 layout (a mix of codes, actors and places
like a daily export) to a temporary file, then times `ingest.import_file` into a new SQLite
store. Reports rows/s overall, the time spent inside `EventStore.append`, the microseconds per
row of each stage (reading + mapping, encoding, hash chain, SQLite insert + commit), and the
peak resident memory of the import (ru_maxrss); the rate at which SQLite alone inserts the
same finished rows (the ceiling of any import into the store); then a filtered import keeping
about 1% of the rows (scan rate), and a plain pyarrow read of the same file for reference.
Targets: >= 100,000 rows/s imported; >= 500,000 rows/s scanned at 1% kept; peak memory
< 300 MB.
"""

from __future__ import annotations

import argparse
import functools
import os
import random
import resource
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from simulator.ingest import Filters, gdelt, import_file  # noqa: E402
from simulator.store import base, mapping, open_store  # noqa: E402

TARGET_ROWS_PER_S = 100_000
TARGET_SCAN_PER_S = 500_000
SCAN_FILTERS = Filters(  # keeps about 1% of the generated rows
    actors=frozenset({"IRN"}),
    root_codes=frozenset({"19"}),
    start=date(2020, 1, 1),
    end=date(2020, 5, 31),
)
TARGET_PEAK_MB = 300
COUNTRIES = ("USA", "RUS", "CHN", "FRA", "DEU", "GBR", "TUR", "IRN", "IND", "BRA", "ZAF", "EGY")
ROLES = ("", "GOV", "MIL", "COP", "CVL", "OPP", "MED")
CODES = (
    ("010", 0.0), ("020", 3.0), ("036", 4.0), ("040", 1.0), ("042", 1.9), ("043", 2.8),
    ("046", 7.0), ("051", 3.4), ("057", 8.0), ("073", 7.4), ("0871", 9.0), ("111", -2.0),
    ("112", -2.0), ("130", -4.4), ("138", -7.0), ("173", -5.0), ("190", -10.0), ("193", -10.0),
    ("191", -9.5), ("0333", 5.2),
)  # fmt: skip
LAYOUT = gdelt.LAYOUTS[61]
COL = {name: i for i, name in enumerate(LAYOUT)}


def write_rows(path: str, count: int, seed: int = 11) -> None:
    """*count* GDELT 2.0 rows, tab-separated, no header, ids 1..count."""
    rng = random.Random(seed)
    actors = [c + r for c in COUNTRIES for r in ROLES] + ["IGOUNO", "REB", ""]
    with open(path, "w", encoding="utf-8", newline="") as f:
        row = [""] * len(LAYOUT)
        for n in range(1, count + 1):
            code, weight = CODES[rng.randrange(len(CODES))]
            a1, a2 = rng.choice(actors), rng.choice(actors)
            day = f"2020{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
            country = rng.choice(COUNTRIES)
            row[COL["GLOBALEVENTID"]] = str(900_000_000 + n)
            row[COL["SQLDATE"]] = day
            row[COL["MonthYear"]] = day[:6]
            row[COL["Year"]] = day[:4]
            row[COL["Actor1Code"]] = a1
            row[COL["Actor1CountryCode"]] = a1[:3] if a1[:3] in COUNTRIES else ""
            row[COL["Actor2Code"]] = a2
            row[COL["Actor2CountryCode"]] = a2[:3] if a2[:3] in COUNTRIES else ""
            row[COL["EventCode"]] = code
            row[COL["EventBaseCode"]] = code[:3]
            row[COL["EventRootCode"]] = code[:2]
            row[COL["GoldsteinScale"]] = str(weight)
            row[COL["NumMentions"]] = str(rng.randint(1, 40))
            row[COL["AvgTone"]] = f"{rng.uniform(-8, 5):.4f}"
            row[COL["ActionGeo_Type"]] = "4"
            row[COL["ActionGeo_FullName"]] = f"City {rng.randint(1, 50)}, Province {country}"
            row[COL["ActionGeo_CountryCode"]] = country[:2]
            row[COL["ActionGeo_ADM1Code"]] = f"{country[:2]}{rng.randint(1, 9):02d}"
            row[COL["DATEADDED"]] = day + "120000"
            row[COL["SOURCEURL"]] = f"https://news.example.org/{day}/story-{n}.html"
            f.write("\t".join(row))
            f.write("\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--batch-size", type=int, default=5000)
    parser.add_argument("--keep", help="write the data file and store in this directory")
    args = parser.parse_args()
    workdir = args.keep or tempfile.mkdtemp(prefix="diplosim-import-")
    os.makedirs(workdir, exist_ok=True)
    data = os.path.join(workdir, "events.export.CSV")
    db = os.path.join(workdir, "import.db")
    for stale in (db, os.path.join(workdir, "filtered.db")):
        for path in (stale, stale + "-wal", stale + "-shm"):
            if os.path.exists(path):
                os.remove(path)

    started = time.perf_counter()
    write_rows(data, args.rows)
    print(f"wrote {args.rows:,} GDELT 2.0 rows in {time.perf_counter() - started:.1f} s")

    before_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    spent = dict.fromkeys(("append", "encode", "chain"), 0.0)
    with open_store(f"sqlite:///{db}") as store:
        store.append = _timed(store.append, spent, "append")
        mapping.prepare = _timed(mapping.prepare, spent, "encode")
        base.chain = _timed(base.chain, spent, "chain")
        started = time.perf_counter()
        try:
            summary = import_file(data, "gdelt", store, "gdelt", batch_size=args.batch_size)
        finally:
            mapping.prepare, base.chain = mapping.prepare.__wrapped__, base.chain.__wrapped__
        elapsed = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    rate = summary.read / elapsed
    inside = spent["append"]
    outside = summary.read / (elapsed - inside) if elapsed > inside else float("inf")
    print(f"imported {summary.imported:,} of {summary.read:,} rows ({summary.refused} refused)")
    print("  " + ", ".join(f"{k} {v:,}" for k, v in summary.types.most_common()))
    print(f"time        {elapsed:8.1f} s, of which store.append {inside:.1f} s")
    stages = {
        "reading + mapping": elapsed - inside,
        "encoding (prepare)": spent["encode"],
        "hash chain": spent["chain"],
        "SQLite insert + commit": inside - spent["encode"] - spent["chain"],
    }
    per_row = "   ".join(f"{k} {v / summary.read * 1e6:.1f}" for k, v in stages.items())
    print(f"  us per row: {per_row}")
    ok_rate = rate >= TARGET_ROWS_PER_S
    ok_mem = peak_mb < TARGET_PEAK_MB
    print(f"rows/s      {rate:10,.0f}   target >= {TARGET_ROWS_PER_S:,}   {_verdict(ok_rate)}")
    print(f"  reading + mapping alone (outside append): {outside:,.0f} rows/s")
    print(
        f"peak memory {peak_mb:8.0f} MB   target <  {TARGET_PEAK_MB} MB   {_verdict(ok_mem)}"
        f"   (before import: {before_mb:.0f} MB)"
    )
    floor(db, workdir)
    scan(data, workdir, args.batch_size)
    return 0


def floor(db: str, workdir: str) -> None:
    """SQLite alone: the imported rows, finished (encoded, chained), inserted into a fresh
    store's table by plain `executemany` in transactions of 5,000 -- no import reaches this."""
    import sqlite3

    from simulator.store import schema

    target = os.path.join(workdir, "floor.db")
    for path in (target, target + "-wal", target + "-shm"):
        if os.path.exists(path):
            os.remove(path)
    open_store(f"sqlite:///{target}").close()  # the store's own table, indexes and pragmas
    source = sqlite3.connect(db)
    rows = source.execute(f"SELECT {schema.INSERTED} FROM events ORDER BY position")
    insert = f"INSERT INTO events ({schema.INSERTED}) VALUES ({','.join('?' * 11)})"
    into = sqlite3.connect(target, isolation_level=None)
    into.execute("PRAGMA synchronous=NORMAL")
    into.execute("PRAGMA cache_size=-65536")
    count, spent = 0, 0.0
    while chunk := rows.fetchmany(5000):
        started = time.perf_counter()
        into.execute("BEGIN IMMEDIATE")
        into.executemany(insert, chunk)
        into.execute("COMMIT")
        spent += time.perf_counter() - started
        count += len(chunk)
    into.close()
    source.close()
    print(f"  SQLite alone, the same finished rows by executemany: {count / spent:,.0f} rows/s")


def scan(data: str, workdir: str, batch_size: int) -> None:
    """The filtered import's rate (rows read a second) beside pyarrow's plain read."""
    db = os.path.join(workdir, "filtered.db")
    with open_store(f"sqlite:///{db}") as store:
        started = time.perf_counter()
        summary = import_file(
            data, "gdelt", store, "gdelt", batch_size=batch_size, filters=SCAN_FILTERS
        )
        elapsed = time.perf_counter() - started
    share = summary.imported / summary.read
    rate = summary.read / elapsed
    ok = rate >= TARGET_SCAN_PER_S
    print(
        f"filtered    {rate:10,.0f} rows/s scanned, {share:.1%} kept   "
        f"target >= {TARGET_SCAN_PER_S:,} at 1%   {_verdict(ok)}"
    )
    from pyarrow import csv as pa_csv

    started = time.perf_counter()
    table = pa_csv.read_csv(
        data,
        read_options=pa_csv.ReadOptions(autogenerate_column_names=True),
        parse_options=pa_csv.ParseOptions(delimiter="\t", quote_char=False),
        convert_options=pa_csv.ConvertOptions(
            column_types=dict.fromkeys([f"f{i}" for i in range(len(LAYOUT))], "string")
        ),
    )
    plain = table.num_rows / (time.perf_counter() - started)
    print(f"  pyarrow's read_csv of the same file, alone: {plain:,.0f} rows/s")


def _timed(function, spent: dict[str, float], name: str):
    """*function*, adding the seconds each call takes to `spent[name]`."""

    @functools.wraps(function)
    def timed(*args, **kwargs):
        started = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            spent[name] += time.perf_counter() - started

    return timed


def _verdict(ok: bool) -> str:
    return "ok" if ok else "MISSED"


if __name__ == "__main__":
    sys.exit(main())
