"""ACLED exports: comma-separated with a header row (event_id_cnty, event_date, event_type, ...).

A row's identity is event_id_cnty; its date event_date, ISO ("2020-09-27") or written out
("27 September 2020"). ACLED rows have no CAMEO code: `CODES` gives one per event type and
sub-event type. Battles and explosions/remote violence with two actors and a place become
`Offensive` events (fatalities as casualties); the rest stay `Reported` with that code, the
types in `label` ("Protests: Peaceful protest", with " (3 fatalities)" when there were any).
A row with fatalities becomes no other catalogue type, so that its count is kept.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime

from simulator import events as ev
from simulator.ingest.actors import ActorTable
from simulator.ingest.countries import ISO3, iso3, sanitise
from simulator.ingest.filters import Filters, Keep
from simulator.ingest.filters import selector as filter_rows
from simulator.ingest.mapping import Refused, actor_pair, build, digits

NAME = "acled"
DIALECT: dict = {}

_REQUIRED = ("event_id_cnty", "event_date", "event_type", "actor1")
_OPTIONAL = (
    "sub_event_type",
    "actor2",
    "country",
    "iso3",
    "admin1",
    "admin2",
    "admin3",
    "location",
    "fatalities",
    "source",
)

# (event type, sub-event type) -> CAMEO code; (event type, "") is the type's code otherwise.
CODES = {
    ("Battles", ""): "190",
    ("Explosions/Remote violence", ""): "190",
    ("Explosions/Remote violence", "Air/drone strike"): "195",
    ("Explosions/Remote violence", "Shelling/artillery/missile attack"): "194",
    ("Explosions/Remote violence", "Remote explosive/landmine/IED"): "183",
    ("Explosions/Remote violence", "Grenade"): "183",
    ("Explosions/Remote violence", "Suicide bomb"): "1831",
    ("Explosions/Remote violence", "Chemical weapon"): "2041",
    ("Violence against civilians", ""): "180",
    ("Violence against civilians", "Abduction/forced disappearance"): "181",
    ("Violence against civilians", "Sexual violence"): "1821",
    ("Protests", ""): "140",
    ("Protests", "Peaceful protest"): "141",
    ("Protests", "Excessive force against protesters"): "175",
    ("Riots", ""): "145",
    ("Strategic developments", ""): "010",
    ("Strategic developments", "Agreement"): "057",
    ("Strategic developments", "Arrests"): "173",
    ("Strategic developments", "Disrupted weapons use"): "171",
    ("Strategic developments", "Headquarters or base established"): "150",
    ("Strategic developments", "Looting/property destruction"): "171",
    ("Strategic developments", "Non-violent transfer of territory"): "192",
}
OFFENSIVE_TYPES = ("Battles", "Explosions/Remote violence")
OFFENSIVE_CODE = ev.Offensive.CAMEO

KEY_COLUMNS = ("event_id_cnty", "event_date", "actor1", "actor2", "fatalities")

_DATE_FORMATS = ("%d %B %Y", "%d-%B-%Y", "%d %b %Y", "%d-%b-%Y", "%d/%m/%Y")
_FATALITIES = re.compile(r" \((\d{1,11}) fatalities\)$", re.ASCII)
_LAST_PARENTHESIS = re.compile(r"\s*\([^()]*\)$")
_COUNTRY_IN_NAME = re.compile(r"\(([^()]+)\)|\bof ([^()]+?)\s*(?:\(|$)")


def columns(first: list[str], where: str) -> tuple[dict[str, int], bool]:
    """The column index of each needed name (an ACLED export always has a header row)."""
    index = {n.strip().casefold(): i for i, n in reversed(list(enumerate(first)))}
    missing = [n for n in _REQUIRED if n not in index]
    if missing:
        raise Refused(
            f"{where}: no column {missing[0]!r} in the first row; an ACLED export starts with "
            "a header naming event_id_cnty, event_date, event_type, actor1, ..."
        )
    return {n: index[n] for n in (*_REQUIRED, *_OPTIONAL) if n in index}, True


def _day(text: str) -> date:
    if len(text) == 10 and text[4] == "-":
        try:
            return date.fromisoformat(text)
        except ValueError:
            pass
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise Refused(f"event_date must be a date like 2020-09-27 or 27 September 2020 (got {text!r})")


def _names(name: str) -> tuple[str, str]:
    """An actor's name as the table is searched for it: whole, then without a last
    parenthesis ("Military Forces of Armenia (2018-)" -> "Military Forces of Armenia")."""
    return name, _LAST_PARENTHESIS.sub("", name)


def default_actor(name: str) -> str | None:
    """An ACLED actor's id without a table: the ISO-3 code of a country its name names
    ("Military Forces of Armenia (2018-)", "Civilians (Armenia)"), else its name sanitised."""
    for match in _COUNTRY_IN_NAME.finditer(name):
        code = iso3(match.group(1) or match.group(2))
        if code is not None:
            return code
    return sanitise(name) or None


def converter(
    index: dict[str, int], actors: ActorTable, known: set
) -> Callable[[list[str]], ev.Event | None]:
    """The function turning a row into its event (None: already in the stream; Refused: bad)."""
    i_id, i_day, i_type, i_a1 = (index[n] for n in _REQUIRED)
    get = index.get
    i_sub, i_a2, i_fat, i_src = (
        get("sub_event_type"),
        get("actor2"),
        get("fatalities"),
        get("source"),
    )
    i_geo = tuple(get(n) for n in ("location", "admin3", "admin2", "admin1", "country"))
    i_iso = get("iso3")
    days: dict[str, date] = {}
    who: dict[str, str | None] = {}
    where: dict[tuple[str, ...], str | None] = {}

    def field(f: list[str], i: int | None) -> str:
        return "" if i is None else f[i].strip()

    def actor(name: str) -> str | None:
        found = who.get(name, who)
        if found is who:
            found = actors.actor(_names(name), default_actor(name)) if name else None
            if len(who) > 100_000:
                who.clear()
            who[name] = found
        return found

    def region(places: tuple[str, ...], iso: str) -> str | None:
        found = where.get(places, where)
        if found is where:
            admin1, country = places[3], places[4]
            default = sanitise(admin1) or iso or (iso3(country) or sanitise(country))
            found = actors.region(places, default or None)
            if len(where) > 100_000:
                where.clear()
            where[places] = found
        return found

    def convert(f: list[str]) -> ev.Event | None:
        raw = f[i_id].strip()
        if not raw:
            raise Refused("no event_id_cnty")
        if raw in known:
            return None
        text = f[i_day].strip()
        day = days.get(text)
        if day is None:
            day = days[text] = _day(text)
        kind, sub = f[i_type].strip(), field(f, i_sub)
        code = CODES.get((kind, sub)) or CODES.get((kind, ""))
        if code is None:
            raise Refused(f"unknown event_type {kind!r}")
        text = field(f, i_fat)
        if text and not digits(text, 11):
            raise Refused(f"fatalities must be a whole number from 0 to 1e+11 (got {text[:20]!r})")
        fatalities = int(text) if text else None
        a1 = actor(f[i_a1].strip())
        a2 = actor(field(f, i_a2))
        place = region(tuple(field(f, i) for i in i_geo), field(f, i_iso))
        if kind in OFFENSIVE_TYPES and a2 is not None and a2 != a1 and place is not None:
            code = OFFENSIVE_CODE
        label = f"{kind}: {sub}" if sub else kind
        if fatalities:
            label += f" ({fatalities} fatalities)"
        # Only an Offensive has room for fatalities: a row with any stays Reported otherwise.
        fit = not fatalities or code == OFFENSIVE_CODE
        event = build(
            day, f"acled:{raw}", code, None, a1, a2, place, label, field(f, i_src), fatalities, fit
        )
        known.add(raw)
        return event

    return convert


def selector(index: dict[str, int], filters: Filters, actors: ActorTable) -> Keep:
    """Which rows of a block are inside *filters* (see `filters`), from their raw fields:
    event_date (any of the formats read), the root of the code its event type and sub-type
    get (before a Battles or Explosions row with two actors and a place becomes an
    `Offensive`, 190), actor1 and actor2 as the converter resolves them, and the country an
    actor's name names."""

    def day(text: str) -> str | None:
        try:
            return _day(text.strip()).isoformat()
        except Refused:
            return None

    def root(kind: str, sub: str) -> str | None:
        kind, sub = kind.strip(), sub.strip()
        code = CODES.get((kind, sub)) or CODES.get((kind, ""))
        return None if code is None else code[:2]

    def resolve(key: tuple[str, ...]) -> str | None:
        return actors.actor(_names(key[0]), default_actor(key[0]))

    def country(key: tuple[str, ...]) -> str | None:
        named = default_actor(key[0])
        return named if named in ISO3 else None

    return filter_rows(
        filters,
        "%Y-%m-%d",
        ((index["event_date"],), day),
        ((index["event_type"], index.get("sub_event_type")), root),
        [(index["actor1"],), (index.get("actor2"),)],
        lambda name: (name.strip(),),
        resolve,
        country,
    )


def key(ident: str) -> str:
    """How an identity read back from the store ("acled:ARM12" less its prefix) is remembered."""
    return ident


def export(event: ev.Event, ident: str) -> dict[str, str]:
    """The key columns of the ACLED row *event* was imported from (actors as their ids)."""
    a1, a2 = actor_pair(event)
    if type(event) is ev.Offensive:
        fatalities = event.casualties
    else:
        found = _FATALITIES.search(getattr(event, "label", ""))
        fatalities = int(found.group(1)) if found else 0  # no suffix: none reported
    return {
        "event_id_cnty": ident,
        "event_date": event.occurred_at.isoformat(),
        "actor1": a1,
        "actor2": a2,
        "fatalities": "" if fatalities is None else str(fatalities),
    }
