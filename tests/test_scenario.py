"""The scenario loader: the format, its located errors, and the Scenario value's methods."""

from __future__ import annotations

import textwrap
from datetime import date

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from simulator import load_scenario
from simulator.dynamics import Parameters
from simulator.errors import ScenarioError
from simulator.events import Ceasefire, Offensive
from simulator.scenario import Locator, Scenario, dump_scenario, parse_scenario
from tests import strategies

GOOD = """\
# a small scenario
[scenario]
name = "Test"
description = "two states and a region"
start = 2020-01-01
horizon = 2021-01-01

[actors]
AAA = "Alpha"
BBB = "Beta"

[regions]
R1 = "Region one"

[[events]]
type = "Offensive"
occurred_at = 2020-02-01
attacker = "AAA"
defender = "BBB"
region = "R1"

[[events]]
type = "Ceasefire"
occurred_at = 2020-03-01
parties = ["AAA", "BBB"]
"""


def write(tmp_path, text: str, name: str = "s.toml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def error_of(tmp_path, text: str) -> str:
    path = write(tmp_path, text)
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    lines = str(caught.value).splitlines()
    assert lines == list(caught.value.problems)
    return lines[0].removeprefix(f"{path}:")


def test_a_good_file_loads_with_its_events_in_order(tmp_path):
    scenario = load_scenario(write(tmp_path, GOOD))
    assert scenario.name == "Test" and scenario.start == date(2020, 1, 1)
    assert scenario.actors == {"AAA": "Alpha", "BBB": "Beta"}
    assert [type(e) for e in scenario.events] == [Offensive, Ceasefire]
    assert scenario.events[1].parties == ("AAA", "BBB")
    assert scenario.branch_at is None and scenario.keep_record is False
    assert scenario.dynamics == Parameters()
    assert scenario.source_path == str(tmp_path / "s.toml")


def test_branch_date_defaults_to_the_day_after_the_record(tmp_path):
    scenario = load_scenario(write(tmp_path, GOOD))
    assert scenario.branch_date == date(2020, 3, 2)
    assert scenario.recorded_prefix() == scenario.events
    assert scenario.scheduled() == ()
    empty = attrs.evolve(scenario, events=())
    assert empty.branch_date == empty.start


def test_branch_at_splits_the_record_exactly(tmp_path):
    text = GOOD + "\n[branch]\nat = 2020-03-01\nkeep_record = true\n"
    scenario = load_scenario(write(tmp_path, text))
    assert scenario.recorded_prefix() == scenario.events[:1]
    assert scenario.scheduled() == scenario.events[1:]
    assert attrs.evolve(scenario, keep_record=False).scheduled() == ()


def test_dynamics_table_sets_parameters_and_evolve_rehashes(tmp_path):
    scenario = load_scenario(write(tmp_path, GOOD + "\n[dynamics]\nenabled = false\n"))
    assert scenario.dynamics.enabled is False
    again = attrs.evolve(scenario, dynamics=Parameters(enabled=True))
    assert again.dynamics.enabled is True
    assert again.content_hash != scenario.content_hash
    assert again == load_scenario(write(tmp_path, GOOD, "other.toml"))


def test_content_hash_ignores_comments_key_order_and_path(tmp_path):
    first = load_scenario(write(tmp_path, GOOD))
    reordered = GOOD.replace("# a small scenario\n", "").replace(
        'AAA = "Alpha"\nBBB = "Beta"', 'BBB = "Beta"   # second\nAAA = "Alpha"'
    )
    second = load_scenario(write(tmp_path, reordered, "b.toml"))
    assert first.content_hash == second.content_hash
    assert len(first.content_hash) == 64


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("x = [", "1: (syntax): "),
        (GOOD + "[scenaro]\n", "26: scenaro: unknown table (did you mean 'scenario'?"),
        (GOOD.replace('name = "Test"\n', ""), "2: scenario.name: missing (required in [scenario])"),
        (GOOD.replace('name = "Test"', "name = 5"), "3: scenario.name: 5 is an integer (a string"),
        (
            GOOD.replace("horizon = 2021-01-01", 'horizon = "2021-01-01"'),
            "6: scenario.horizon: '2021-01-01' is a string (a TOML date",
        ),
        (
            GOOD.replace("horizon = 2021-01-01", "horizon = 2019-01-01"),
            "6: scenario.horizon: 2019-01-01 is not after start 2020-01-01",
        ),
        (
            GOOD.replace('type = "Ceasefire"', 'type = "Ceasfire"'),
            "23: events[1].type: unknown event type 'Ceasfire' (did you mean 'Ceasefire'?",
        ),
        (
            GOOD.replace('defender = "BBB"', 'defender = "BBB"\ntroopz = 5'),
            "20: events[0].troopz: unknown Offensive field (did you mean 'troops'?",
        ),
        (
            GOOD.replace('defender = "BBB"\n', ""),
            "15: events[0].defender: missing (required in [events[0]])",
        ),
        (
            GOOD.replace('defender = "BBB"', 'defender = "BBB"\ncasualties = -3'),
            "20: events[0].casualties: 'casualties' must be a whole number >= 0 (got -3)",
        ),
        (
            GOOD.replace('attacker = "AAA"', 'attacker = "XYZ"'),
            "18: events[0].attacker: 'XYZ' is not a declared actor (declared: AAA, BBB)",
        ),
        (
            GOOD.replace('parties = ["AAA", "BBB"]', 'parties = ["AAA", "BBX"]'),
            "25: events[1].parties: 'BBX' is not a declared actor (did you mean 'BBB'?",
        ),
        (
            GOOD.replace('region = "R1"', 'region = "R2"'),
            "20: events[0].region: 'R2' is not a declared region (declared: R1)",
        ),
        (
            GOOD.replace("occurred_at = 2020-02-01", "occurred_at = 2022-02-01"),
            "17: events[0].occurred_at: 2022-02-01 is outside the scenario (a date in [2020-01-01",
        ),
        (
            GOOD.replace("occurred_at = 2020-03-01", "occurred_at = 2020-01-15"),
            "24: events[1].occurred_at: 2020-01-15 is before the previous event's 2020-02-01",
        ),
        (GOOD + "[branch]\nwhen = 2020-05-01\n", "27: branch.when: unknown key (expected"),
        (GOOD + "[branch]\nat = 2025-05-01\n", "27: branch.at: 2025-05-01 is outside the scenario"),
        (GOOD + "[branch]\nkeep_record = 1\n", "27: branch.keep_record: 1 is an integer (true or"),
        (GOOD + "[dynamics]\nenabld = true\n", "27: dynamics.enabld: unknown parameter (did you"),
        (GOOD + "[dynamics]\nenabled = 1\n", "27: dynamics.enabled: 1 is an integer (a boolean"),
        (
            GOOD.replace('BBB = "Beta"', 'BBB = "Beta"\nCCC = 3'),
            "11: actors.CCC: 3 is an integer (a display",
        ),
        ('[scenario]\nname = "x"\n', "1: scenario.start: missing (required in [scenario])"),
        ("[actors]\nA = 'a'\n", "1: scenario: missing table (a [scenario] table is required)"),
    ],
)
def test_each_error_names_the_line_and_the_key_path(tmp_path, text, expected):
    message = error_of(tmp_path, text)
    assert message.startswith(expected), message


def test_an_unreadable_or_non_utf8_file_is_one_error_line(tmp_path):
    with pytest.raises(ScenarioError, match="cannot read the file"):
        load_scenario(tmp_path / "missing.toml")
    path = tmp_path / "latin.toml"
    path.write_bytes(b'[scenario]\nname = "caf\xe9"\n')
    with pytest.raises(ScenarioError, match=r"latin.toml:2: \(encoding\): not UTF-8"):
        load_scenario(path)


def test_the_locator_finds_array_elements_keys_and_nested_tables():
    text = textwrap.dedent(
        """\
        top = 1
        [[events]]
        a = 1
        s = '''
        [[events]]
        '''
        [[events]]
        b.c = 2
        [events.sub]
        d = 3
        """
    )
    locate = Locator(text).line
    assert locate(("top",)) == 1
    assert locate(("events", 0, "a")) == 3
    assert locate(("events", 1)) == 7
    assert locate(("events", 1, "b", "c")) == 8
    assert locate(("events", 1, "missing")) == 7
    assert locate(("events", 1, "sub", "d")) == 10
    assert locate(("nowhere", 3)) == 1


def test_a_scenario_built_in_python_is_checked_too():
    with pytest.raises(ScenarioError, match=r"^events\[0\]\.attacker: 'X' is not a declared actor"):
        Scenario(
            name="x",
            start=date(2020, 1, 1),
            horizon=date(2021, 1, 1),
            events=(
                Offensive(occurred_at=date(2020, 5, 1), attacker="X", defender="Y", region="R"),
            ),
        )


def test_loading_runs_no_code_from_the_file(tmp_path):
    marker = tmp_path / "ran"
    text = GOOD.replace(
        "two states and a region", f"__import__('pathlib').Path('{marker}').touch()"
    )
    load_scenario(write(tmp_path, text))
    assert not marker.exists()


names = st.text(max_size=20)
scenarios = st.builds(
    lambda name, description, actor_names, region_names, evs, branch, keep, enabled: Scenario(
        name=name,
        description=description,
        start=strategies.START,
        horizon=date(2030, 12, 31),
        actors=dict(zip(strategies.ACTORS, actor_names, strict=True)),
        regions=dict(zip(strategies.REGIONS, region_names, strict=True)),
        events=evs,
        branch_at=branch,
        keep_record=keep,
        dynamics=Parameters(enabled=enabled),
    ),
    names,
    names,
    st.lists(names, min_size=len(strategies.ACTORS), max_size=len(strategies.ACTORS)),
    st.lists(names, min_size=len(strategies.REGIONS), max_size=len(strategies.REGIONS)),
    strategies.event_lists(max_size=15),
    st.none() | strategies.days,
    st.booleans(),
    st.booleans(),
)


@given(scenarios)
def test_a_dumped_scenario_loads_back_equal(scenario):
    again = parse_scenario(dump_scenario(scenario))
    assert again == scenario
    assert again.content_hash == scenario.content_hash
