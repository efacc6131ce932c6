"""GDELT 1.0 and 2.0 event exports: tab-separated (or comma-separated, as R and BigQuery export
them), no header (or a header naming the columns).

A row's date is SQLDATE (GDELT 2.0's "Day"), YYYYMMDD; its identity GLOBALEVENTID; its code
EventCode; its weight GoldsteinScale. The layout is told by the column count: 57 (GDELT 1.0
back files), 58 (1.0 daily files from 2013-04-01, with SOURCEURL) or 61 (2.0, with the ADM2
codes and DATEADDED as YYYYMMDDHHMMSS); a first row starting with GLOBALEVENTID is a header.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from datetime import date

from simulator import events as ev
from simulator.ingest.actors import ActorTable
from simulator.ingest.countries import ISO3, sanitise
from simulator.ingest.filters import Filters, Keep, root_code
from simulator.ingest.filters import selector as filter_rows
from simulator.ingest.mapping import Refused, actor_pair, build, cameo_code, digits, numeric_key

NAME = "gdelt"
DIALECT = {"delimiter": "\t", "quoting": csv.QUOTE_NONE}

_ACTOR = (
    "Code",
    "Name",
    "CountryCode",
    "KnownGroupCode",
    "EthnicCode",
    "Religion1Code",
    "Religion2Code",
    "Type1Code",
    "Type2Code",
    "Type3Code",
)
_EVENT = (
    ("GLOBALEVENTID", "SQLDATE", "MonthYear", "Year", "FractionDate")
    + tuple(f"Actor{n}{f}" for n in (1, 2) for f in _ACTOR)
    + ("IsRootEvent", "EventCode", "EventBaseCode", "EventRootCode", "QuadClass")
    + ("GoldsteinScale", "NumMentions", "NumSources", "NumArticles", "AvgTone")
)


def _geo(adm2: bool) -> list[str]:
    parts = ["Type", "FullName", "CountryCode", "ADM1Code"]
    parts += ["ADM2Code"] if adm2 else []
    parts += ["Lat", "Long", "FeatureID"]
    return [f"{who}Geo_{p}" for who in ("Actor1", "Actor2", "Action") for p in parts]


# The documented column orders, by column count.
LAYOUTS: dict[int, tuple[str, ...]] = {
    57: (*_EVENT, *_geo(False), "DATEADDED"),
    58: (*_EVENT, *_geo(False), "DATEADDED", "SOURCEURL"),
    61: (*_EVENT, *_geo(True), "DATEADDED", "SOURCEURL"),
}
assert all(len(cols) == n for n, cols in LAYOUTS.items())

_ALIASES = {"day": "sqldate"}  # GDELT 2.0 names SQLDATE "Day"
_REQUIRED = (
    "GLOBALEVENTID",
    "SQLDATE",
    "Actor1Code",
    "Actor1Name",
    "Actor1CountryCode",
    "Actor2Code",
    "Actor2Name",
    "Actor2CountryCode",
    "EventCode",
    "GoldsteinScale",
)
_OPTIONAL = ("ActionGeo_FullName", "ActionGeo_CountryCode", "ActionGeo_ADM1Code", "SOURCEURL")

KEY_COLUMNS = (
    "GLOBALEVENTID",
    "SQLDATE",
    "EventCode",
    "GoldsteinScale",
    "Actor1Code",
    "Actor2Code",
)


def columns(first: list[str], where: str) -> tuple[dict[str, int], bool]:
    """The column index of each needed name, and whether *first* is a header row."""
    if first and first[0].strip().casefold() == "globaleventid":
        names = [_ALIASES.get(n.strip().casefold(), n.strip().casefold()) for n in first]
        index = {name: i for i, name in reversed(list(enumerate(names)))}
        missing = [n for n in _REQUIRED if n.casefold() not in index]
        if missing:
            raise Refused(f"{where}: the header has no column {missing[0]}")
        return {
            n: index[n.casefold()] for n in (*_REQUIRED, *_OPTIONAL) if n.casefold() in index
        }, True
    layout = LAYOUTS.get(len(first))
    if layout is None:
        raise Refused(
            f"{where}: {len(first)} columns; a GDELT event export (tab- or comma-separated) has "
            "57 or 58 (GDELT 1.0) or 61 (GDELT 2.0), or a header row starting with GLOBALEVENTID"
        )
    return {n: layout.index(n) for n in (*_REQUIRED, *_OPTIONAL) if n in layout}, False


def _day(text: str) -> date:
    if len(text) != 8 or not digits(text):
        raise Refused(f"SQLDATE must be YYYYMMDD (got {text!r})")
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        raise Refused(f"SQLDATE is not a real date (got {text!r})") from None


def default_actor(code: str, name: str, country: str) -> str | None:
    """A GDELT actor's id without a table: its country (the code's first three letters when
    they are an ISO-3 code, else Actor?CountryCode), else the code, else the name."""
    if code[:3] in ISO3:
        return code[:3]
    if country in ISO3:
        return country
    return sanitise(code) or sanitise(name) or None


def converter(
    index: dict[str, int], actors: ActorTable, known: set
) -> Callable[[list[str]], ev.Event | None]:
    """The function turning a row into its event (None: already in the stream; Refused: bad)."""
    i_id, i_day, i_code, i_weight = (
        index[n] for n in ("GLOBALEVENTID", "SQLDATE", "EventCode", "GoldsteinScale")
    )
    i_a1, i_n1, i_c1 = (index[f"Actor1{n}"] for n in ("Code", "Name", "CountryCode"))
    i_a2, i_n2, i_c2 = (index[f"Actor2{n}"] for n in ("Code", "Name", "CountryCode"))
    i_full, i_adm1, i_country = (
        index.get(n) for n in ("ActionGeo_FullName", "ActionGeo_ADM1Code", "ActionGeo_CountryCode")
    )
    i_url = index.get("SOURCEURL")
    days: dict[str, date] = {}
    codes: dict[str, str] = {}
    who: dict[tuple[str, str, str], str | None] = {}
    where: dict[tuple[str, str, str], str | None] = {}

    who_get, where_get = who.get, where.get

    def actor(key: tuple[str, str, str]) -> str | None:
        found = actors.actor(key[:2], default_actor(*key)) if any(key) else None
        if len(who) > 100_000:
            who.clear()
        who[key] = found
        return found

    def region(key: tuple[str, str, str]) -> str | None:
        full, adm1, country = key
        names = [p.strip() for p in full.split(",")] if full else []
        found = actors.region((*names, adm1, country), sanitise(adm1 or country) or None)
        if len(where) > 100_000:
            where.clear()
        where[key] = found
        return found

    def convert(f: list[str]) -> ev.Event | None:
        raw = f[i_id]
        if not digits(raw):
            raise Refused(
                f"GLOBALEVENTID must be a whole number of up to 18 digits (got {raw[:20]!r})"
            )
        key = int(raw)
        if key in known:
            return None
        text = f[i_day]
        day = days.get(text)
        if day is None:
            day = days[text] = _day(text)
        text = f[i_code]
        code = codes.get(text)
        if code is None:
            code = codes[text] = cameo_code(text)
        text = f[i_weight]
        try:
            weight = float(text) if text else None
        except ValueError:
            raise Refused(f"GoldsteinScale must be a number (got {text!r})") from None
        # The caches are looked up here, the functions called only on a miss (for speed: three
        # calls a row saved).
        a1 = who_get(key1 := (f[i_a1], f[i_n1], f[i_c1]), who)
        if a1 is who:
            a1 = actor(key1)
        a2 = who_get(key2 := (f[i_a2], f[i_n2], f[i_c2]), who)
        if a2 is who:
            a2 = actor(key2)
        key3 = (
            f[i_full] if i_full is not None else "",
            f[i_adm1] if i_adm1 is not None else "",
            f[i_country] if i_country is not None else "",
        )
        place = where_get(key3, where)
        if place is where:
            place = region(key3)
        url = f[i_url] if i_url is not None else ""
        event = build(day, f"gdelt:{raw}", code, weight, a1, a2, place, "", url)
        known.add(key)
        return event

    return convert


def selector(index: dict[str, int], filters: Filters, actors: ActorTable) -> Keep:
    """Which rows of a block are inside *filters* (see `filters`), from their raw fields:
    SQLDATE as text, EventCode's root, and each actor as the converter resolves it."""
    sides = [
        tuple(index[f"Actor{n}{field}"] for field in ("Code", "Name", "CountryCode"))
        for n in (1, 2)
    ]
    return filter_rows(
        filters,
        "%Y%m%d",
        ((index["SQLDATE"],), str),
        ((index["EventCode"],), root_code),
        sides,
        lambda *fields: fields,
        lambda key: actors.actor(key[:2], default_actor(*key)),
        lambda key: key[0][:3] if key[0][:3] in ISO3 else key[2],
    )


key = numeric_key  # how an identity read back from the store is remembered


def export(event: ev.Event, ident: str) -> dict[str, str]:
    """The key columns of the GDELT row *event* was imported from (actors as their ids)."""
    a1, a2 = actor_pair(event)
    return {
        "GLOBALEVENTID": ident,
        "SQLDATE": event.occurred_at.strftime("%Y%m%d"),
        "EventCode": event.cameo,
        "GoldsteinScale": repr(event.goldstein),
        "Actor1Code": a1,
        "Actor2Code": a2,
    }
