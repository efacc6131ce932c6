"""The recorded Nagorno-Karabakh case: it loads, replays, and known facts hold on known dates."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from simulator import load_scenario, world

PATH = Path(__file__).resolve().parent.parent / "scenarios" / "nagorno_karabakh.toml"


@pytest.fixture(scope="module")
def record():
    return load_scenario(PATH)


def on(record, day: str) -> world.WorldState:
    return world.state_on(record.events, date.fromisoformat(day))


def test_the_record_loads_and_folds_without_error(record):
    assert len(record.events) >= 40
    assert record.start == date(2020, 9, 26) and record.horizon == date(2030, 12, 31)
    assert world.fold(record.events).day == record.events[-1].occurred_at


def test_every_event_cites_a_source(record):
    assert all(event.source for event in record.events)


def test_the_status_on_the_first_day(record):
    state = on(record, "2020-09-27")
    assert state.control["NK"] == {"NKR": 1.0}
    assert 100_000 <= state.population["NK"] <= 150_000
    assert state.at_war("AZE", "NKR") and state.at_war("AZE", "ARM")


def test_the_war_ends_with_nkr_holding_about_a_quarter(record):
    state = on(record, "2020-12-31")
    assert 0.25 <= state.control["NK"]["NKR"] <= 0.3
    assert not state.hostilities


def test_russian_peacekeepers_present_on_2021_01_01(record):
    assert on(record, "2021-01-01").peacekeepers["NK"] == {"RUS": 1960}


def test_not_at_war_on_2022_06_01(record):
    state = on(record, "2022-06-01")
    assert not state.at_war("AZE", "ARM") and not state.at_war("AZE", "NKR")


def test_blockade_in_force_on_2023_06_01(record):
    assert on(record, "2023-06-01").blockaded("NK")


def test_hostilities_on_2023_09_19(record):
    assert on(record, "2023-09-19").at_war("AZE", "NKR")


def test_most_of_the_population_displaced_by_2023_09_30(record):
    state = on(record, "2023-09-30")
    assert state.displaced["NK"] > 4 * state.population["NK"]
    assert not state.blockaded("NK")


def test_azerbaijan_controls_nk_on_2023_10_01(record):
    state = on(record, "2023-10-01")
    assert state.control["NK"]["AZE"] == pytest.approx(1.0)
    assert state.reintegration["NK"] > 0


def test_peacekeepers_gone_by_2024_07_01(record):
    assert not on(record, "2024-07-01").peacekeepers.get("NK")
