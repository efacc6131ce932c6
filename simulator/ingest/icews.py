"""ICEWS coded event files (Harvard Dataverse): tab-separated, with a header row.

Columns: Event ID, Event Date (YYYY-MM-DD), Source Name, Source Sectors, Source Country, Event
Text, CAMEO Code, Intensity, Target Name, Target Sectors, Target Country, Story ID, Sentence
Number, Publisher, City, District, Province, Country, Latitude, Longitude. A row's identity is
its Event ID, its weight its Intensity (ICEWS's Goldstein-scale weight).
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from datetime import date

from simulator import events as ev
from simulator.ingest.actors import ActorTable
from simulator.ingest.countries import iso3, sanitise
from simulator.ingest.filters import Filters, Keep, root_code
from simulator.ingest.filters import selector as filter_rows
from simulator.ingest.mapping import Refused, actor_pair, build, cameo_code, digits, numeric_key

NAME = "icews"
DIALECT = {"delimiter": "\t", "quoting": csv.QUOTE_NONE}

LAYOUT = (
    "Event ID",
    "Event Date",
    "Source Name",
    "Source Sectors",
    "Source Country",
    "Event Text",
    "CAMEO Code",
    "Intensity",
    "Target Name",
    "Target Sectors",
    "Target Country",
    "Story ID",
    "Sentence Number",
    "Publisher",
    "City",
    "District",
    "Province",
    "Country",
    "Latitude",
    "Longitude",
)
_REQUIRED = ("Event ID", "Event Date", "Source Name", "CAMEO Code")
_OPTIONAL = tuple(n for n in LAYOUT if n not in _REQUIRED)

KEY_COLUMNS = ("Event ID", "Event Date", "CAMEO Code", "Intensity", "Source Name", "Target Name")


def columns(first: list[str], where: str) -> tuple[dict[str, int], bool]:
    """The column index of each name, and whether *first* is a header row."""
    if first and first[0].strip().casefold() == "event id":
        index = {n.strip().casefold(): i for i, n in reversed(list(enumerate(first)))}
        missing = [n for n in _REQUIRED if n.casefold() not in index]
        if missing:
            raise Refused(f"{where}: the header has no column {missing[0]!r}")
        return {n: index[n.casefold()] for n in LAYOUT if n.casefold() in index}, True
    if len(first) != len(LAYOUT):
        raise Refused(
            f"{where}: {len(first)} tab-separated columns and no header; an ICEWS event file "
            f"has a header row starting with 'Event ID', or the {len(LAYOUT)} columns in order"
        )
    return {n: i for i, n in enumerate(LAYOUT)}, False


def _day(text: str) -> date:
    try:
        if len(text) == 10:
            return date.fromisoformat(text)
    except ValueError:
        pass
    raise Refused(f"Event Date must be a date YYYY-MM-DD (got {text!r})")


def default_actor(name: str, country: str) -> str | None:
    """An ICEWS actor's id without a table: its country's ISO-3 code (the country's name
    sanitised when it is not a known country), else its own name sanitised."""
    if country:
        return iso3(country) or sanitise(country) or None
    return sanitise(name) or None


def converter(
    index: dict[str, int], actors: ActorTable, known: set
) -> Callable[[list[str]], ev.Event | None]:
    """The function turning a row into its event (None: already in the stream; Refused: bad)."""
    get = index.get
    i_id, i_day, i_code = index["Event ID"], index["Event Date"], index["CAMEO Code"]
    i_weight, i_text = get("Intensity"), get("Event Text")
    i_src = (index["Source Name"], get("Source Country"))
    i_tgt = (get("Target Name"), get("Target Country"))
    i_geo = tuple(get(n) for n in ("City", "District", "Province", "Country"))
    i_pub, i_story = get("Publisher"), get("Story ID")
    days: dict[str, date] = {}
    who: dict[tuple[str, str], str | None] = {}
    where: dict[tuple[str, ...], str | None] = {}

    def field(f: list[str], i: int | None) -> str:
        return "" if i is None else f[i].strip()

    def actor(name: str, country: str) -> str | None:
        key = (name, country)
        found = who.get(key, who)
        if found is who:
            found = actors.actor((name,), default_actor(name, country)) if any(key) else None
            if len(who) > 100_000:
                who.clear()
            who[key] = found
        return found

    def region(places: tuple[str, ...]) -> str | None:
        found = where.get(places, where)
        if found is where:
            province, country = places[2], places[3]
            default = sanitise(province) or (iso3(country) or sanitise(country) if country else "")
            found = actors.region(places, default or None)
            if len(where) > 100_000:
                where.clear()
            where[places] = found
        return found

    def convert(f: list[str]) -> ev.Event | None:
        raw = f[i_id].strip()
        if not raw:
            raise Refused("no Event ID")
        key = int(raw) if digits(raw) else raw
        if key in known:
            return None
        text = f[i_day].strip()
        day = days.get(text)
        if day is None:
            day = days[text] = _day(text)
        code = cameo_code(f[i_code])
        text = field(f, i_weight)
        try:
            weight = float(text) if text else None
        except ValueError:
            raise Refused(f"Intensity must be a number (got {text!r})") from None
        a1 = actor(f[i_src[0]].strip(), field(f, i_src[1]))
        a2 = actor(field(f, i_tgt[0]), field(f, i_tgt[1]))
        place = region(tuple(field(f, i) for i in i_geo))
        publisher, story = field(f, i_pub), field(f, i_story)
        cite = f"{publisher} story {story}".strip() if story else publisher
        event = build(day, f"icews:{raw}", code, weight, a1, a2, place, field(f, i_text), cite)
        known.add(key)
        return event

    return convert


def selector(index: dict[str, int], filters: Filters, actors: ActorTable) -> Keep:
    """Which rows of a block are inside *filters* (see `filters`), from their raw fields:
    Event Date as text, CAMEO Code's root, source and target as the converter resolves them."""
    get = index.get
    sides = [
        (index["Source Name"], get("Source Country")),
        (get("Target Name"), get("Target Country")),
    ]

    def country(key: tuple[str, ...]) -> str | None:
        return iso3(key[1]) if key[1] else None

    return filter_rows(
        filters,
        "%Y-%m-%d",
        ((index["Event Date"],), str.strip),
        ((index["CAMEO Code"],), root_code),
        sides,
        lambda *fields: tuple(field.strip() for field in fields),
        lambda key: actors.actor(key[:1], default_actor(*key)),
        country,
    )


key = numeric_key  # how an identity read back from the store is remembered


def export(event: ev.Event, ident: str) -> dict[str, str]:
    """The key columns of the ICEWS row *event* was imported from (actors as their ids)."""
    a1, a2 = actor_pair(event)
    return {
        "Event ID": ident,
        "Event Date": event.occurred_at.isoformat(),
        "CAMEO Code": event.cameo,
        "Intensity": repr(event.goldstein),
        "Source Name": a1,
        "Target Name": a2,
    }
