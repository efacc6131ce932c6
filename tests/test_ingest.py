"""Readers for GDELT, ICEWS and ACLED files: sample files with the real layouts, re-import,
bad rows, the actors table, and generated rows round-tripping through import and export."""

from __future__ import annotations

import csv
import gzip
import io
import zipfile
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator import cameo, world
from simulator import events as ev
from simulator.cli.relations import month_ends, pair_events
from simulator.ingest import (
    ActorsTableError,
    ActorTable,
    Filters,
    IngestError,
    export_rows,
    gdelt,
    icews,
    import_file,
)
from simulator.ingest.acled import default_actor as acled_actor
from simulator.ingest.mapping import UNKNOWN_ACTOR
from simulator.store import open_store

ACLED_HEADER = [
    *("event_id_cnty", "event_date", "year", "time_precision", "disorder_type", "event_type"),
    *("sub_event_type", "actor1", "assoc_actor_1", "inter1", "actor2", "assoc_actor_2"),
    *("inter2", "interaction", "civilian_targeting", "iso", "region", "country", "admin1"),
    *("admin2", "admin3", "location", "latitude", "longitude", "geo_precision", "source"),
    *("source_scale", "notes", "fatalities", "tags", "timestamp"),
]


def gdelt_line(columns: int = 58, **values: str) -> str:
    row = [""] * columns
    layout = gdelt.LAYOUTS[columns]
    for name, value in values.items():
        row[layout.index(name)] = value
    return "\t".join(row)


def write(tmp_path, name: str, lines: list[str]) -> str:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


def icews_line(**values: str) -> str:
    return "\t".join(values.get(name, "") for name in icews.LAYOUT)


def acled_file(tmp_path, rows: list[dict[str, str]], name: str = "acled.csv") -> str:
    path = tmp_path / name
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, ACLED_HEADER)
        writer.writeheader()
        for row in rows:
            writer.writerow(row)
    return str(path)


@pytest.fixture
def store():
    with open_store("memory://") as s:
        yield s


# --- GDELT -----------------------------------------------------------------------------------


def gdelt_sample(columns: int) -> list[str]:
    geo = {"ActionGeo_FullName": "Town, Highland Province, Aaa", "ActionGeo_ADM1Code": "AA07"}
    return [
        gdelt_line(columns, GLOBALEVENTID="101", SQLDATE="20200927", Actor1Code="AZEMIL",
                   Actor1CountryCode="AZE", Actor2Code="ARMMIL", Actor2CountryCode="ARM",
                   EventCode="190", GoldsteinScale="-10.0", **geo),
        gdelt_line(columns, GLOBALEVENTID="102", SQLDATE="20201110", Actor1Code="RUSGOV",
                   Actor2Code="ARMGOV", EventCode="0871", GoldsteinScale="9.0"),
        gdelt_line(columns, GLOBALEVENTID="103", SQLDATE="20201111", Actor1Code="ARMGOV",
                   Actor2Code="AZEGOV", EventCode="112", GoldsteinScale="-2.0"),
        gdelt_line(columns, GLOBALEVENTID="104", SQLDATE="20201112", Actor1Code="IGOUNO",
                   Actor2Code="ARM", EventCode="074", GoldsteinScale="8.5", **geo),
        gdelt_line(columns, GLOBALEVENTID="105", SQLDATE="20201113", Actor1Code="USAGOV",
                   Actor2Code="AZEGOV", EventCode="042", GoldsteinScale="1.9"),
        gdelt_line(columns, GLOBALEVENTID="106", SQLDATE="20201114", Actor1Code="FRA",
                   Actor2Code="", EventCode="0333", GoldsteinScale="5.2", **geo),
    ]  # fmt: skip


def assert_gdelt_sample(store, stream: str = "gdelt") -> None:
    got = list(store.events(stream))
    assert [type(e).__name__ for e in got] == [
        "Offensive", "Ceasefire", "Statement", "Reported", "DiplomaticMeeting", "Reported",
    ]  # fmt: skip
    offensive, ceasefire, statement, keeping, visit, pledge = got
    assert (offensive.attacker, offensive.defender, offensive.region) == ("AZE", "ARM", "AA07")
    assert offensive.source == "gdelt:101" or offensive.source.startswith("gdelt:101 ")
    assert offensive.occurred_at == date(2020, 9, 27)
    assert ceasefire.parties == ("RUS", "ARM")
    assert (statement.kind, statement.speaker, statement.target) == ("accusation", "ARM", "AZE")
    # 074 needs a troop count to be a PeacekeeperDeployment; the layouts have none.
    assert (keeping.code, keeping.actor1, keeping.actor2, keeping.ref) == (
        "074", "IGOUNO", "ARM", "gdelt:104",
    )  # fmt: skip
    assert (visit.kind, visit.parties) == ("visit", ("USA", "AZE"))
    # An aid pledge needs a recipient: without Actor2 it stays Reported, its code kept.
    assert (pledge.code, pledge.actor1, pledge.actor2, pledge.region) == (
        "0333",
        "FRA",
        None,
        "AA07",
    )


@pytest.mark.parametrize("columns", [57, 58, 61])
def test_gdelt_export_of_each_layout_imports_the_expected_events(tmp_path, store, columns):
    path = write(tmp_path, "events.export.CSV", gdelt_sample(columns))
    summary = import_file(path, "gdelt", store, "gdelt")
    assert (summary.read, summary.imported, summary.refused) == (6, 6, 0)
    assert summary.types == {
        "Offensive": 1, "Ceasefire": 1, "Statement": 1, "Reported": 2, "DiplomaticMeeting": 1,
    }  # fmt: skip
    assert_gdelt_sample(store)


def test_rows_split_across_blocks_and_batches_import_as_one_file_does(tmp_path, monkeypatch):
    from simulator.ingest import source

    good = gdelt_sample(58)
    lines = [good[0], "201\t20200101\tshort", *good[1:4], "202\tshort", *good[4:]]
    path = write(tmp_path, "e.csv", lines)
    with open_store("memory://") as whole:
        expected = import_file(path, "gdelt", whole, "g")
        events = list(whole.events("g"))
    monkeypatch.setattr(source, "BLOCK_BYTES", 400)  # two or three rows a block
    with open_store("memory://") as store:
        summary = import_file(path, "gdelt", store, "g", batch_size=2)
        assert list(store.events("g")) == events
    assert (summary.read, summary.imported, summary.refused) == (8, 6, 2)
    assert summary.refusals == expected.refusals
    assert [line for line, _ in summary.refusals] == [2, 6]


def test_gdelt_with_a_header_row_is_read_by_column_name(tmp_path, store):
    header = "\t".join(gdelt.LAYOUTS[61]).replace("SQLDATE", "Day")  # GDELT 2.0's name
    path = write(tmp_path, "events.tsv", [header, *gdelt_sample(61)])
    summary = import_file(path, "gdelt", store, "gdelt")
    assert (summary.read, summary.imported) == (6, 6)
    assert_gdelt_sample(store)


def test_reimporting_the_same_file_adds_nothing(tmp_path):
    path = write(tmp_path, "events.csv", gdelt_sample(58))
    with open_store(f"sqlite:///{tmp_path / 'store.db'}") as store:
        import_file(path, "gdelt", store, "gdelt")
        again = import_file(path, "gdelt", store, "gdelt")
        assert (again.read, again.imported, again.skipped) == (6, 0, 6)
        assert store.version("gdelt") == 6


def test_a_longer_file_imports_only_its_new_rows(tmp_path, store):
    rows = gdelt_sample(58)
    import_file(write(tmp_path, "a.csv", rows[:3]), "gdelt", store, "gdelt")
    summary = import_file(write(tmp_path, "b.csv", rows), "gdelt", store, "gdelt")
    assert (summary.imported, summary.skipped) == (3, 3)
    assert_gdelt_sample(store)


def test_malformed_rows_are_refused_by_line_and_the_rest_is_imported(tmp_path, store):
    good = gdelt_sample(58)
    bad = [
        "101\t20200101\tshort row",
        gdelt_line(GLOBALEVENTID="201", SQLDATE="2020-01-01", EventCode="190"),
        gdelt_line(GLOBALEVENTID="202", SQLDATE="20200101", EventCode="999"),
        gdelt_line(GLOBALEVENTID="x203", SQLDATE="20200101", EventCode="190"),
        gdelt_line(GLOBALEVENTID="204", SQLDATE="20200101", EventCode="190", GoldsteinScale="a"),
        gdelt_line(GLOBALEVENTID="205", SQLDATE="20200101", EventCode="190", GoldsteinScale="42"),
    ]
    lines = [good[0], bad[0], good[1], *bad[1:], *good[2:]]
    seen = []
    summary = import_file(
        write(tmp_path, "e.csv", lines), "gdelt", store, "gdelt",
        on_refused=lambda line, reason: seen.append((line, reason)),
    )  # fmt: skip
    assert (summary.read, summary.imported, summary.refused) == (12, 6, 6)
    assert [line for line, _ in seen] == [2, 4, 5, 6, 7, 8]
    assert seen == summary.refusals
    reasons = [reason for _, reason in seen]
    assert "expected 58 columns, got 3" in reasons[0]
    assert "SQLDATE" in reasons[1] and "'2020-01-01'" in reasons[1]
    assert "unknown CAMEO code '999'" in reasons[2]
    assert "GLOBALEVENTID" in reasons[3]
    assert "GoldsteinScale" in reasons[4]
    assert "weight" in reasons[5]
    assert_gdelt_sample(store)


def test_a_file_of_another_layout_is_unusable(tmp_path, store):
    path = write(tmp_path, "x.csv", ["a\tb\tc", "1\t2\t3"])
    with pytest.raises(IngestError, match=r"x.csv line 1: 3 columns; a GDELT event export"):
        import_file(path, "gdelt", store, "gdelt")
    with pytest.raises(IngestError, match="no column 'event_id_cnty'"):
        import_file(path, "acled", store, "acled")
    with pytest.raises(IngestError, match="cannot read"):
        import_file(str(tmp_path / "missing.csv"), "gdelt", store, "gdelt")
    with pytest.raises(IngestError, match="unknown format 'xml'"):
        import_file(path, "xml", store, "gdelt")
    assert store.version("gdelt") == 0


def test_codes_without_leading_zeros_and_other_weights_are_kept(tmp_path, store):
    lines = [
        gdelt_line(GLOBALEVENTID="1", SQLDATE="20200101", Actor1Code="AAA", Actor2Code="BBB",
                   EventCode="871", GoldsteinScale="9"),
        gdelt_line(GLOBALEVENTID="2", SQLDATE="20200101", Actor1Code="AAA", Actor2Code="BBB",
                   EventCode="0871", GoldsteinScale="7.5"),
    ]  # fmt: skip
    import_file(write(tmp_path, "e.csv", lines), "gdelt", store, "s")
    ceasefire, reported = store.events("s")
    assert type(ceasefire) is ev.Ceasefire
    # A weight other than the table's stays with the row, so the event stays Reported.
    assert (reported.code, reported.weight, reported.goldstein) == ("0871", 7.5, 7.5)


def test_rows_naming_one_actor_twice_or_none_stay_reported(tmp_path, store):
    lines = [
        gdelt_line(GLOBALEVENTID="1", SQLDATE="20200101", Actor1Code="AZEGOV", Actor2Code="AZEMIL",
                   EventCode="112", GoldsteinScale="-2"),
        gdelt_line(GLOBALEVENTID="2", SQLDATE="20200101", EventCode="010", GoldsteinScale="0"),
    ]  # fmt: skip
    import_file(write(tmp_path, "e.csv", lines), "gdelt", store, "s")
    same, nobody = store.events("s")
    assert (type(same), same.actor1, same.actor2) == (ev.Reported, "AZE", "AZE")
    assert same.dyads() == ()
    assert (nobody.actor1, nobody.actor2) == (UNKNOWN_ACTOR, None)


# --- the actors table ------------------------------------------------------------------------


def test_the_actors_table_renames_actors_and_regions(tmp_path, store):
    table = tmp_path / "actors.toml"
    table.write_text(
        '[actors]\nNorth = ["AZE", "Northland"]\nSouth = ["ARMMIL", "ARMGOV", "ARM"]\n'
        '[regions]\nHighlands = ["Highland Province"]\n',
        encoding="utf-8",
    )
    actors = ActorTable.load(str(table))
    import_file(write(tmp_path, "e.csv", gdelt_sample(58)), "gdelt", store, "g", actors)
    offensive = next(store.events("g"))
    assert (offensive.attacker, offensive.defender, offensive.region) == (
        "North", "South", "Highlands",
    )  # fmt: skip


def test_a_malformed_actors_table_names_the_file(tmp_path):
    table = tmp_path / "actors.toml"
    table.write_text('[actors]\nA = ["X"]\nB = ["x"]\n', encoding="utf-8")
    with pytest.raises(ActorsTableError, match="actors.toml.*'x' is an alias of both A and B"):
        ActorTable.load(str(table))
    table.write_text("[actors]\nA = 3\n", encoding="utf-8")
    with pytest.raises(ActorsTableError, match="A must be a list"):
        ActorTable.load(str(table))
    table.write_text("[people]\n", encoding="utf-8")
    with pytest.raises(ActorsTableError, match=r"unknown table \[people\]"):
        ActorTable.load(str(table))


def test_acled_actor_names_default_to_the_country_they_name():
    assert acled_actor("Military Forces of Armenia (2018-)") == "ARM"
    assert acled_actor("Protesters (Russia)") == "RUS"
    assert acled_actor("Police Forces of the Russian Federation (2000-)") is not None
    assert acled_actor("Wagner Group") == "Wagner_Group"


# --- ICEWS -----------------------------------------------------------------------------------


def test_icews_file_imports_the_expected_events(tmp_path, store):
    lines = [
        "\t".join(icews.LAYOUT),
        icews_line(**{"Event ID": "9001", "Event Date": "2020-10-10", "Source Name": "Armenia",
                      "Source Country": "Armenia", "Event Text": "Sign formal agreement",
                      "CAMEO Code": "057", "Intensity": "8.0", "Target Name": "Azerbaijan",
                      "Target Country": "Azerbaijan", "Publisher": "Wire", "Story ID": "77"}),
        icews_line(**{"Event ID": "9002", "Event Date": "2020-10-11", "Source Name": "Military",
                      "Source Country": "Azerbaijan", "Event Text": "fight with artillery",
                      "CAMEO Code": "194", "Intensity": "-10.0", "Target Name": "Citizen",
                      "Target Country": "Armenia", "Province": "Syunik"}),
        icews_line(**{"Event ID": "9003", "Event Date": "2020-10-12", "Source Name": "Military",
                      "Source Country": "Russian Federation", "Event Text": "Use force",
                      "CAMEO Code": "190", "Intensity": "-10.0", "Target Name": "Armed Rebel",
                      "Target Country": "Nowhereland", "City": "Town", "Country": "Georgia"}),
        icews_line(**{"Event ID": "9004", "Event Date": "12/10/2020", "CAMEO Code": "190"}),
    ]  # fmt: skip
    summary = import_file(write(tmp_path, "events.tab", lines), "icews", store, "icews")
    assert (summary.read, summary.imported, summary.refused) == (4, 3, 1)
    assert summary.refusals[0][0] == 5 and "Event Date" in summary.refusals[0][1]
    agreement, artillery, force = store.events("icews")
    assert (type(agreement), agreement.parties) == (ev.Agreement, ("ARM", "AZE"))
    assert agreement.source == "icews:9001 Wire story 77"
    assert (artillery.code, artillery.label, artillery.region) == ("194", "fight with artillery",
                                                                    "Syunik")  # fmt: skip
    assert (type(force), force.attacker, force.defender, force.region) == (
        ev.Offensive, "RUS", "Nowhereland", "GEO",
    )  # fmt: skip
    again = import_file(write(tmp_path, "events.tab", lines), "icews", store, "icews")
    assert (again.imported, again.skipped) == (0, 3)
    # The same file filtered: Azerbaijan's actors, in October 2020, of root codes 19 and 20.
    path = write(tmp_path, "events.tab", lines)
    keep = Filters(actors=frozenset({"AZE"}), root_codes=frozenset({"19", "20"}))
    summary = import_file(path, "icews", store, "filtered", filters=keep)
    assert (summary.imported, summary.filtered) == (1, 3)  # 9002 kept; 9004 names no AZE actor
    assert _identity_of(next(store.events("filtered"))) == "icews:9002"
    by_country = Filters(countries=frozenset({"GEO", "RUS"}), end=date(2020, 10, 12))
    assert import_file(path, "icews", store, "by_country", filters=by_country).imported == 1


# --- ACLED -----------------------------------------------------------------------------------


def test_acled_export_imports_the_expected_events(tmp_path, store):
    base = {"country": "Armenia", "admin1": "Syunik", "location": "Goris", "source": "Wire"}
    rows = [
        {**base, "event_id_cnty": "ARM1", "event_date": "27 September 2020",
         "event_type": "Battles", "sub_event_type": "Armed clash",
         "actor1": "Military Forces of Azerbaijan (2003-)",
         "actor2": "Military Forces of Armenia (2018-)", "fatalities": "12"},
        {**base, "event_id_cnty": "ARM2", "event_date": "2020-09-28",
         "event_type": "Explosions/Remote violence", "sub_event_type": "Air/drone strike",
         "actor1": "Military Forces of Azerbaijan (2003-)", "actor2": "", "fatalities": "0"},
        {**base, "event_id_cnty": "ARM3", "event_date": "2020-11-10", "event_type": "Protests",
         "sub_event_type": "Peaceful protest", "actor1": "Protesters (Armenia)",
         "fatalities": "0", "notes": 'They said "no", then left, and, well'},
        {**base, "event_id_cnty": "ARM4", "event_date": "2020-11-11", "event_type": "Riots",
         "sub_event_type": "Mob violence", "actor1": "Rioters (Armenia)",
         "actor2": "Civilians (Armenia)", "fatalities": "2"},
        {**base, "event_id_cnty": "ARM5", "event_date": "31 February 2020",
         "event_type": "Riots", "actor1": "Rioters (Armenia)"},
        {**base, "event_id_cnty": "ARM6", "event_date": "2020-11-12",
         "event_type": "Volcanoes", "actor1": "Rioters (Armenia)"},
        {**base, "event_id_cnty": "ARM7", "event_date": "2020-11-13",
         "event_type": "Strategic developments", "sub_event_type": "Agreement",
         "actor1": "Government of Armenia (2018-)", "actor2": "Government of Russia (2000-)",
         "fatalities": "0"},
    ]  # fmt: skip
    path = acled_file(tmp_path, rows)
    # Filtered first: Azerbaijan's actors, from 28 September, of root code 19. A date or type
    # that cannot be read passes its own test (for the mapping to refuse), but ARM5 and ARM6
    # name no Azerbaijani actor, so they are outside all the same.
    keep = Filters(actors=frozenset({"AZE"}), start=date(2020, 9, 28), root_codes=frozenset({"19"}))
    filtered = import_file(path, "acled", store, "filtered", filters=keep)
    assert (filtered.imported, filtered.filtered, filtered.refused) == (1, 6, 0)
    assert _identity_of(next(store.events("filtered"))) == "acled:ARM2"
    russia = Filters(countries=frozenset({"RUS"}))
    assert import_file(path, "acled", store, "russia", filters=russia).imported == 1
    summary = import_file(path, "acled", store, "acled")
    assert (summary.read, summary.imported, summary.refused) == (7, 5, 2)
    assert [line for line, _ in summary.refusals] == [6, 7]
    assert "event_date" in summary.refusals[0][1] and "Volcanoes" in summary.refusals[1][1]
    battle, strike, protest, riot, agreement = store.events("acled")
    assert (type(battle), battle.attacker, battle.defender) == (ev.Offensive, "AZE", "ARM")
    assert (battle.region, battle.casualties) == ("Syunik", 12)
    assert battle.occurred_at == date(2020, 9, 27)
    assert battle.source == "acled:ARM1 Wire"
    assert (type(strike), strike.code, strike.actor2) == (ev.Reported, "195", None)
    assert (protest.code, protest.actor1, protest.label) == (
        "141",
        "ARM",
        "Protests: Peaceful protest",
    )
    assert (riot.code, riot.label) == ("145", "Riots: Mob violence (2 fatalities)")
    assert (type(agreement), agreement.parties) == (ev.Agreement, ("ARM", "RUS"))
    again = import_file(acled_file(tmp_path, rows), "acled", store, "acled")
    assert (again.imported, again.skipped, again.refused) == (0, 5, 2)


# --- round trips ----------------------------------------------------------------------------

ids = st.integers(min_value=1, max_value=10**12)
days = st.dates(min_value=date(1979, 1, 1), max_value=date(2030, 12, 31))
codes = st.sampled_from(sorted(cameo.table()))
weights = st.none() | st.floats(-10, 10, allow_nan=False).map(lambda w: round(w, 1))
iso_actors = st.sampled_from(["", "AZE", "ARM", "RUS", "TUR", "USA"])
roles = st.sampled_from(["", "GOV", "MIL", "REB"])


def _gdelt_row(draw) -> dict:
    return {
        "GLOBALEVENTID": str(draw(ids)),
        "SQLDATE": draw(days).strftime("%Y%m%d"),
        "EventCode": draw(codes),
        "GoldsteinScale": draw(weights),
        "Actor1Code": draw(iso_actors) + draw(roles),
        "Actor2Code": draw(iso_actors) + draw(roles),
        "ActionGeo_ADM1Code": draw(st.sampled_from(["", "AJ05", "AM08"])),
    }


@settings(max_examples=30)
@given(st.data(), st.sampled_from([57, 58, 61]))
def test_generated_gdelt_rows_round_trip_through_import_and_export(tmp_path_factory, data, columns):
    rows = {}
    for _ in range(data.draw(st.integers(0, 15))):
        row = _gdelt_row(data.draw)
        rows[row["GLOBALEVENTID"]] = row
    for row in rows.values():
        if row["GoldsteinScale"] is None:
            row["GoldsteinScale"] = str(cameo.goldstein(row["EventCode"]))
        row["GoldsteinScale"] = str(row["GoldsteinScale"])
    path = write(tmp_path_factory.mktemp("g"), "e.csv",
                 [gdelt_line(columns, **row) for row in rows.values()] or [""])  # fmt: skip
    with open_store("memory://") as store:
        summary = import_file(path, "gdelt", store, "gdelt")
        assert summary.imported == len(rows) and summary.refused == 0
        back = list(export_rows(store.events("gdelt"), "gdelt"))

    def resolved(code: str) -> str:
        return code[:3]  # every generated code starts with an ISO-3 code or is empty

    expected = [
        {
            "GLOBALEVENTID": r["GLOBALEVENTID"],
            "SQLDATE": r["SQLDATE"],
            "EventCode": r["EventCode"],
            "GoldsteinScale": float(r["GoldsteinScale"]),
            "Actor1Code": resolved(r["Actor1Code"]) or (resolved(r["Actor2Code"]) and ""),
            "Actor2Code": resolved(r["Actor2Code"]),
        }
        for r in rows.values()
    ]
    got = [{**b, "GoldsteinScale": float(b["GoldsteinScale"])} for b in back]
    assert got == expected


@settings(max_examples=30)
@given(st.lists(st.tuples(ids, days, codes, weights, iso_actors, iso_actors), max_size=15,
                unique_by=lambda t: t[0]))  # fmt: skip
def test_generated_icews_rows_round_trip_through_import_and_export(tmp_path_factory, rows):
    names = {"": "", "AZE": "Azerbaijan", "ARM": "Armenia", "RUS": "Russian Federation",
             "TUR": "Turkey", "USA": "United States"}  # fmt: skip
    lines = ["\t".join(icews.LAYOUT)]
    for ident, day, code, weight, src, tgt in rows:
        lines.append(icews_line(**{
            "Event ID": str(ident), "Event Date": day.isoformat(), "CAMEO Code": code,
            "Intensity": "" if weight is None else str(weight), "Source Name": src or "Someone",
            "Source Country": names[src], "Target Name": tgt and "Someone",
            "Target Country": names[tgt],
        }))  # fmt: skip
    path = write(tmp_path_factory.mktemp("i"), "e.tab", lines)
    with open_store("memory://") as store:
        assert import_file(path, "icews", store, "icews").imported == len(rows)
        back = list(export_rows(store.events("icews"), "icews"))
    expected = [
        (str(i), d.isoformat(), c, cameo.goldstein(c) if w is None else w, s or "Someone", t)
        for i, d, c, w, s, t in rows
    ]
    got = [
        (b["Event ID"], b["Event Date"], b["CAMEO Code"], float(b["Intensity"]),
         b["Source Name"], b["Target Name"])
        for b in back
    ]  # fmt: skip
    assert got == expected


acled_types = st.sampled_from(
    [("Battles", "Armed clash"), ("Protests", "Peaceful protest"),
     ("Explosions/Remote violence", "Shelling/artillery/missile attack"),
     ("Violence against civilians", "Attack"),
     ("Strategic developments", "Agreement"), ("Riots", "Violent demonstration")]
)  # fmt: skip
acled_actors = st.sampled_from(["", "Military Forces of Armenia (2018-)", "Civilians (Russia)",
                                "Protesters (Turkey)", "Wagner Group"])  # fmt: skip


@settings(max_examples=30)
@given(st.lists(
    st.tuples(st.from_regex(r"[A-Z]{3}[0-9]{1,6}", fullmatch=True), days, acled_types,
              acled_actors.filter(bool), acled_actors, st.integers(0, 500), st.booleans()),
    max_size=15, unique_by=lambda t: t[0],
))  # fmt: skip
def test_generated_acled_rows_round_trip_through_import_and_export(tmp_path_factory, rows):
    records = [
        {"event_id_cnty": i, "event_date": d.strftime("%d %B %Y") if long else d.isoformat(),
         "event_type": t, "sub_event_type": s, "actor1": a1, "actor2": a2,
         "fatalities": str(n), "country": "Armenia", "admin1": "Province"}
        for i, d, (t, s), a1, a2, n, long in rows
    ]  # fmt: skip
    path = acled_file(tmp_path_factory.mktemp("a"), records)
    with open_store("memory://") as store:
        assert import_file(path, "acled", store, "acled").imported == len(rows)
        back = list(export_rows(store.events("acled"), "acled"))
    short = {"": "", "Military Forces of Armenia (2018-)": "ARM", "Civilians (Russia)": "RUS",
             "Protesters (Turkey)": "TUR", "Wagner Group": "Wagner_Group"}  # fmt: skip
    expected = [
        {"event_id_cnty": i, "event_date": d.isoformat(), "actor1": short[a1],
         "actor2": short[a2], "fatalities": str(n)}
        for i, d, _, a1, a2, n, _ in rows
    ]  # fmt: skip
    assert back == expected


# --- relations ------------------------------------------------------------------------------


def test_relations_series_is_the_world_fold_of_the_pair_events(tmp_path, store):
    import_file(write(tmp_path, "e.csv", gdelt_sample(58)), "gdelt", store, "gdelt")
    pair = ("AZE", "ARM")
    found = pair_events(store, "gdelt", pair)
    assert [type(e).__name__ for e in found] == ["Offensive", "Statement"]
    ends = month_ends(date(2020, 9, 1), date(2021, 1, 15))
    assert ends[0] == date(2020, 9, 30) and ends[-1] == date(2021, 1, 15)
    series = world.relations_over(found, [pair], ends)[pair]
    for day, value in zip(ends, series, strict=True):
        state = world.state_on(sorted(store.events("gdelt"), key=lambda e: e.occurred_at), day)
        assert value == pytest.approx(state.relations(*pair, day))
    assert series[0] == pytest.approx(-10 * world.decay(3, world.DEFAULT_HALF_LIFE_DAYS))


@pytest.mark.parametrize("bad_id", ["1\u00b2", "9" * 5_000])
def test_a_unicode_digit_or_a_huge_id_refuses_its_row_not_the_file(tmp_path, store, bad_id):
    good = gdelt_sample(58)
    bad = gdelt_line(GLOBALEVENTID=bad_id, SQLDATE="20200101", EventCode="190")
    seen = []
    summary = import_file(
        write(tmp_path, "e.csv", [good[0], bad, *good[1:]]), "gdelt", store, "gdelt",
        on_refused=lambda line, reason: seen.append((line, reason)),
    )  # fmt: skip
    assert summary.refused == 1 and seen[0][0] == 2 and "GLOBALEVENTID" in seen[0][1]
    assert len(seen[0][1]) < 200
    assert_gdelt_sample(store)


# --- files as published: compressed, comma-separated, NA ---------------------------------------


def _as_r_export(lines: list[str], columns: int = 58) -> str:
    """The tab-separated *lines* as R's write.csv writes them: a header, every field quoted,
    commas between, NA for empty."""
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\n")
    writer.writerow(gdelt.LAYOUTS[columns])
    for line in lines:
        writer.writerow([field or "NA" for field in line.split("\t")])
    return out.getvalue()


def _records(store, stream):
    return [(r.type, r.payload, r.event_id) for r in store.read(stream)]


@pytest.mark.parametrize("compression", ["zip-deflated", "zip-stored", "gzip", "r-export"])
def test_a_gdelt_file_as_published_gives_the_same_stream_as_the_plain_one(
    tmp_path, store, compression
):
    lines = gdelt_sample(58)
    plain = write(tmp_path, "plain.export.CSV", lines)
    import_file(plain, "gdelt", store, "plain")
    text = "\n".join(lines) + "\n"
    if compression.startswith("zip"):
        path = tmp_path / "20201110.export.CSV.zip"
        method = zipfile.ZIP_DEFLATED if compression == "zip-deflated" else zipfile.ZIP_STORED
        with zipfile.ZipFile(path, "w", compression=method) as archive:
            archive.writestr("20201110.export.CSV", text)
    elif compression == "gzip":
        path = tmp_path / "events.csv.gz"
        path.write_bytes(gzip.compress(text.encode("utf-8")))
    else:
        path = tmp_path / "from_r.csv"
        path.write_text(_as_r_export(lines), encoding="utf-8")
    summary = import_file(str(path), "gdelt", store, "other")
    assert (summary.read, summary.imported, summary.refused) == (6, 6, 0)
    assert [r[:2] for r in _records(store, "other")] == [r[:2] for r in _records(store, "plain")]
    assert import_file(str(path), "gdelt", store, "other").imported == 0  # again: nothing


def test_a_zip_of_several_files_or_a_file_of_no_format_is_refused_on_its_first_line(
    tmp_path, store
):
    path = tmp_path / "two.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("a.CSV", "x")
        archive.writestr("b.CSV", "y")
    with pytest.raises(IngestError, match="a zip file of one data file expected.*holds 2: a.CSV"):
        import_file(str(path), "gdelt", store, "s")
    odd = write(tmp_path, "odd.csv", ["a;b;c", "1;2;3"])
    with pytest.raises(IngestError, match="odd.csv line 1: 1 columns; a GDELT event export"):
        import_file(odd, "gdelt", store, "s")
    assert store.version("s") == 0


def _sources(store, stream):
    return [event.source for event in store.events(stream)]


def test_bytes_that_are_not_utf8_are_replaced_and_another_encoding_is_read_when_named(
    tmp_path, store
):
    row = gdelt_line(GLOBALEVENTID="101", SQLDATE="20200927", Actor1Code="AZEGOV",
                     EventCode="010", SOURCEURL="https://x.example/caf\u00e9")  # fmt: skip
    path = tmp_path / "latin.csv"
    path.write_bytes((row + "\n").encode("latin-1"))  # the é as one byte, not UTF-8
    summary = import_file(str(path), "gdelt", store, "utf8")
    assert (summary.imported, summary.refused) == (1, 0)
    assert _sources(store, "utf8") == ["gdelt:101 https://x.example/caf\ufffd"]
    import_file(str(path), "gdelt", store, "latin", encoding="latin-1")
    assert _sources(store, "latin") == ["gdelt:101 https://x.example/caf\u00e9"]
    with pytest.raises(IngestError, match="unknown encoding 'klingon'"):
        import_file(str(path), "gdelt", store, "x", encoding="klingon")


def test_a_quoted_value_may_break_lines_blank_lines_and_crlf_are_no_rows(tmp_path, store):
    lines = gdelt_sample(58)
    import_file(write(tmp_path, "plain.csv", lines), "gdelt", store, "plain")
    text = _as_r_export(lines).replace("Town, Highland", "Town,\nHighland", 1)
    broken = tmp_path / "broken.csv"
    broken.write_text(text, encoding="utf-8")
    summary = import_file(str(broken), "gdelt", store, "broken")
    assert (summary.read, summary.imported, summary.refused) == (6, 6, 0)
    spaced = tmp_path / "spaced.csv"
    spaced.write_bytes(("\r\n\r\n".join(lines) + "\r\n").encode("utf-8"))
    summary = import_file(str(spaced), "gdelt", store, "spaced")
    assert (summary.read, summary.imported, summary.refused) == (6, 6, 0)
    plain = [r[:2] for r in _records(store, "plain")]
    assert [r[:2] for r in _records(store, "spaced")] == plain


def test_a_truncated_gzip_or_an_unclosed_quote_is_reported_in_one_line(tmp_path, store):
    text = "\n".join(gdelt_sample(58)) + "\n"
    packed = gzip.compress(text.encode("utf-8"))
    cut = tmp_path / "cut.csv.gz"
    cut.write_bytes(packed[: len(packed) // 2])
    with pytest.raises(IngestError, match=r"cannot read .*cut.csv.gz: .*end-of-stream") as caught:
        import_file(str(cut), "gdelt", store, "cut")
    assert "\n" not in str(caught.value)
    unclosed = tmp_path / "unclosed.csv"
    unclosed.write_text(_as_r_export(gdelt_sample(58)) + '"999,', encoding="utf-8")
    summary = import_file(str(unclosed), "gdelt", store, "unclosed")
    assert (summary.imported, summary.refusals) == (6, [(8, "expected 58 columns, got 1")])


# --- filters -----------------------------------------------------------------------------------

FILTER_ROWS = 1_000_000
_CODES = ("010", "0231", "042", "112", "0871", "138", "173", "190", "193", "202")
_ACTORS = ("AZEGOV", "ARMMIL", "RUSGOV", "USAGOV", "FRA", "IGOUNO", "TURMIL", "")


def _generated_gdelt(path, rows: int) -> list[tuple[int, str, str, str, str]]:
    """A GDELT 1.0 file of *rows* random rows; returns what the reference filter reads of each:
    (id, day, code, actor 1 code, actor 2 code)."""
    import random

    rng = random.Random(17)
    layout = gdelt.LAYOUTS[58]
    places = [layout.index(name) for name in gdelt.KEY_COLUMNS]  # id, day, code, weight, actors
    template = [""] * 58
    kept = []
    with open(path, "w", encoding="utf-8") as out:
        for n in range(rows):
            row = template.copy()
            day = f"{rng.randrange(2015, 2025)}{rng.randrange(1, 13):02d}{rng.randrange(1, 29):02d}"
            values = (
                str(n + 1),
                day,
                rng.choice(_CODES),
                "-2.0",
                rng.choice(_ACTORS),
                rng.choice(_ACTORS),
            )
            for index, value in zip(places, values, strict=True):
                row[index] = value
            out.write("\t".join(row) + "\n")
            kept.append((n + 1, day, values[2], values[4], values[5]))
    return kept


def test_a_filtered_import_keeps_exactly_what_a_plain_python_filter_keeps(tmp_path):
    path = tmp_path / "million.export.CSV"
    rows = _generated_gdelt(path, FILTER_ROWS)
    filters = Filters(
        actors=frozenset({"AZE"}),
        countries=frozenset({"ARM", "TUR"}),
        start=date(2020, 9, 1),
        end=date(2020, 12, 31),
        root_codes=frozenset({"19", "20"}),
    )

    def inside(day, code, a1, a2) -> bool:  # the same filters, written plainly
        return (
            "20200901" <= day <= "20201231"
            and code[:2] in {"19", "20"}
            and (a1[:3] in {"ARM", "TUR"} or a2[:3] in {"ARM", "TUR"})
            and "AZE" in (a1[:3], a2[:3])
        )

    expected = [f"gdelt:{n}" for n, day, code, a1, a2 in rows if inside(day, code, a1, a2)]
    assert 0 < len(expected) < FILTER_ROWS // 100  # the kind of share a study keeps
    with open_store("memory://") as store:
        summary = import_file(str(path), "gdelt", store, "gdelt", filters=filters)
        assert [_identity_of(event) for event in store.events("gdelt")] == expected
        assert (summary.read, summary.imported) == (FILTER_ROWS, len(expected))
        assert summary.filtered == FILTER_ROWS - len(expected) and summary.refused == 0
        again = import_file(str(path), "gdelt", store, "gdelt", filters=filters)
        assert again.imported == 0 and store.version("gdelt") == len(expected)


def _identity_of(event) -> str:
    from simulator.ingest.mapping import identity

    return identity(event)


@pytest.mark.parametrize(
    ("filters", "message"),
    [
        ({"countries": frozenset({"XXX"})}, "'XXX' is no ISO-3 country code"),
        ({"root_codes": frozenset({"21"})}, "'21' is no CAMEO root code"),
        ({"start": date(2021, 1, 1), "end": date(2020, 1, 1)}, "--to 2020-01-01 comes before"),
    ],
)
def test_filters_that_cannot_be_used_are_refused(filters, message):
    from simulator.ingest.filters import FilterError

    with pytest.raises(FilterError, match=message):
        Filters(**filters)


@settings(max_examples=200, deadline=None)
@given(
    rows=st.lists(
        st.tuples(*[st.sampled_from(["", "a", "b", "ab", "\u00e9"])] * 3), min_size=0, max_size=40
    )
)
def test_a_test_judged_once_per_distinct_combination_judges_every_row_as_one_by_one(rows):
    import pyarrow as pa

    from simulator.ingest.filters import per_distinct

    def test(x: str, y: str, z: str) -> bool:
        return (x + y).count("a") > len(z)

    arrays = [pa.array([row[k] for row in rows], pa.string()) for k in range(3)]
    assert per_distinct(arrays, test).tolist() == [test(*row) for row in rows]


def test_a_filtered_tab_file_refuses_a_row_too_short_to_judge_by_its_line(tmp_path, store):
    lines = [*gdelt_sample(58), "107\t20201115\tshort"]
    keep = Filters(start=date(2020, 11, 1))
    summary = import_file(write(tmp_path, "e.CSV", lines), "gdelt", store, "g", filters=keep)
    assert (summary.read, summary.imported, summary.filtered, summary.refused) == (7, 5, 1, 1)
    assert summary.refusals == [(7, "expected 58 columns, got 3")]
