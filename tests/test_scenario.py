"""The scenario loader: the format, its located errors, and the Scenario value's methods."""

from __future__ import annotations

import pickle
import textwrap
from datetime import date
from pathlib import Path

import attrs
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from simulator import load_scenario
from simulator.cast import KINDS, Actor, Alignment, Group
from simulator.dynamics import DEFAULTS, Parameters
from simulator.errors import ScenarioError
from simulator.events import MISSION_KINDS, Ceasefire, Offensive
from simulator.frozen import FrozenMap
from simulator.scenario import (
    METRICS,
    Ensemble,
    Intervention,
    Locator,
    Match,
    Scenario,
    dump_scenario,
    parse_scenario,
)
from tests import strategies

RECORDED = Path(__file__).resolve().parent.parent / "scenarios" / "nagorno_karabakh.toml"

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
    assert scenario.actors == {"AAA": Actor(name="Alpha"), "BBB": Actor(name="Beta")}
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
            "20: events[0].casualties: 'casualties' must be a whole number from 0 to 1e+11 "
            "(got -3)",
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
        (
            GOOD + "[dynamics]\nenabld = true\n",
            "27: dynamics.enabld: unknown setting or rule (did you",
        ),
        (
            GOOD + "[dynamics]\nenabled = 1\n",
            "27: dynamics.enabled: 1 is an integer (true or false",
        ),
        (
            GOOD.replace('BBB = "Beta"', 'BBB = "Beta"\nCCC = 3'),
            "11: actors.CCC: is an integer (a name, or a table",
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
actor_values = st.builds(
    Actor,
    name=names,
    kind=st.sampled_from(KINDS),
    troops=st.none() | st.integers(min_value=0, max_value=10**6),
    missions=st.lists(st.sampled_from(MISSION_KINDS), unique=True).map(tuple),
)
alignments = st.lists(
    st.builds(
        Alignment,
        backer=st.sampled_from(strategies.ACTORS[:2]),
        ally=st.sampled_from(strategies.ACTORS[2:]),
        commitment=st.floats(min_value=0, max_value=1),
        source=st.none() | st.just("https://example.org"),
    ),
    max_size=3,
    unique_by=lambda a: (a.backer, a.ally),
)
rule_values = st.dictionaries(
    st.sampled_from(sorted(n for n in DEFAULTS if n.endswith((".base", ".hostile")))),
    st.floats(min_value=-5, max_value=5),
    max_size=3,
)
scenarios = st.builds(
    lambda name, description, actors, region_names, evs, branch, keep, enabled, al, values: (
        Scenario(
            name=name,
            description=description,
            start=strategies.START,
            horizon=date(2030, 12, 31),
            actors=dict(zip(strategies.ACTORS, actors, strict=True)),
            regions=dict(zip(strategies.REGIONS, region_names, strict=True)),
            groups={
                g: Group(name=g, sides=(strategies.ACTORS[0],), host=strategies.ACTORS[1])
                for g in strategies.GROUPS
            },
            alignments=al,
            events=evs,
            branch_at=branch,
            keep_record=keep,
            dynamics=Parameters(enabled=enabled, values=values),
        )
    ),
    names,
    names,
    st.lists(actor_values, min_size=len(strategies.ACTORS), max_size=len(strategies.ACTORS)),
    st.lists(names, min_size=len(strategies.REGIONS), max_size=len(strategies.REGIONS)),
    strategies.event_lists(max_size=15),
    st.none() | strategies.days,
    st.booleans(),
    st.booleans(),
    alignments,
    rule_values,
)


@given(scenarios)
def test_a_dumped_scenario_loads_back_equal(scenario):
    again = parse_scenario(dump_scenario(scenario))
    assert again == scenario
    assert again.content_hash == scenario.content_hash


# --- the tables added to the first stage: interventions, ensemble, outputs, extends ----------

SCHEDULED = GOOD + "\n[branch]\nat = 2020-02-01\nkeep_record = true\n"


def test_every_problem_of_a_file_is_reported_in_line_order(tmp_path):
    text = GOOD.replace('name = "Test"', "name = 5").replace('attacker = "AAA"', "attackr = 1")
    path = write(tmp_path, text + "[ensemble]\nruns = 0\n")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    lines = [line.removeprefix(f"{path}:") for line in caught.value.problems]
    assert [line.split(":")[0] for line in lines] == ["3", "15", "18", "27"]
    assert "events[0].attacker: missing" in lines[1]
    assert "events[0].attackr: unknown Offensive field (did you mean 'attacker'?" in lines[2]
    assert "ensemble.runs: 0 is too small (a whole number >= 1 expected)" in lines[3]


def test_interventions_drop_insert_and_change_the_schedule(tmp_path):
    text = SCHEDULED + textwrap.dedent(
        """
        [[interventions]]
        name = "no ceasefire"
        action = "drop"
        match = { type = "Ceasefire", from = 2020-02-15, to = 2020-03-31, actors = ["AAA"] }

        [[interventions]]
        action = "insert"
        [[interventions.events]]
        type = "Ceasefire"
        occurred_at = 2020-04-01
        parties = ["AAA", "BBB"]

        [[interventions]]
        action = "change"
        match = { type = "Offensive" }
        set = { casualties = 12, occurred_at = 2020-05-01 }
        """
    )
    scenario = load_scenario(write(tmp_path, text))
    assert scenario.recorded_prefix() == ()
    assert [(type(e), e.occurred_at) for e in scenario.scheduled()] == [
        (Ceasefire, date(2020, 4, 1)),
        (Offensive, date(2020, 5, 1)),
    ]
    assert scenario.scheduled()[1].casualties == 12
    assert scenario.events == load_scenario(write(tmp_path, SCHEDULED, "b.toml")).events


@pytest.mark.parametrize(
    ("intervention", "expected"),
    [
        (
            'action = "drop"\nmatch = { type = "Offensive", date = 2020-02-02 }',
            "33: interventions[0].match: intervention interventions[0] matches no scheduled event",
        ),
        (
            'name = "x"\naction = "drop"\nmatch = { type = "Offensiv" }',
            "34: interventions[0].match.type: unknown event type 'Offensiv' (did you mean",
        ),
        (
            'action = "dorp"',
            "32: interventions[0].action: unknown action 'dorp' (did you mean 'drop'?",
        ),
        ('action = "drop"', "31: interventions[0].match: missing (a drop needs match)"),
        ('action = "drop"\nmatch = {}', "33: interventions[0].match: no criteria"),
        (
            'action = "drop"\nmatch = { actors = ["ZZZ"] }',
            "33: interventions[0].match.actors: 'ZZZ' is not a declared actor",
        ),
        (
            'action = "change"\nmatch = { type = "Offensive" }\nset = { troopz = 3 }',
            "34: interventions[0].set.troopz: 'troopz' is not a field of the matched Offensive",
        ),
        (
            'action = "change"\nmatch = { type = "Offensive" }\nset = { occurred_at = 2020-01-05 }',
            "34: interventions[0].set.occurred_at: 2020-01-05 is before the branch point",
        ),
        (
            'action = "change"\nmatch = { type = "Offensive" }\nset = { casualties = -1 }',
            "34: interventions[0].set.casualties: 'casualties' must be a whole number "
            "from 0 to 1e+11",
        ),
        (
            'action = "insert"\n[[interventions.events]]\ntype = "Ceasefire"\n'
            'occurred_at = 2020-01-05\nparties = ["AAA", "BBB"]',
            "35: interventions[0].events[0].occurred_at: 2020-01-05 is before the branch point",
        ),
        (
            'action = "drop"\nmatch = { type = "Offensive" }\nsett = 1',
            "34: interventions[0].sett: unknown intervention key (did you mean 'set'?",
        ),
    ],
)
def test_each_intervention_problem_names_its_line(tmp_path, intervention, expected):
    message = error_of(tmp_path, SCHEDULED + "\n[[interventions]]\n" + intervention + "\n")
    assert message.startswith(expected), message


def test_ensemble_and_outputs_are_read_and_checked(tmp_path):
    text = (
        GOOD
        + "[ensemble]\nruns = 20\nseed = 7\n"
        + '[outputs]\nmetrics = ["war_resumed", "relations:AAA-BBB"]\n'
    )
    scenario = load_scenario(write(tmp_path, text))
    assert (scenario.ensemble.runs, scenario.ensemble.seed) == (20, 7)
    assert scenario.outputs == ("war_resumed", "relations:AAA-BBB")
    assert load_scenario(write(tmp_path, GOOD, "d.toml")).ensemble.runs == 1000
    bad = GOOD + '[outputs]\nmetrics = ["war_resumd", "relations:BBB-AAA"]\n'
    with pytest.raises(ScenarioError) as caught:
        load_scenario(write(tmp_path, bad, "e.toml"))
    first, second = caught.value.problems
    assert "outputs.metrics[0]: unknown metric 'war_resumd' (did you mean 'war_resumed'?" in first
    assert "'relations:AAA-BBB'" in second


def test_every_metric_name_of_the_list_is_one_a_run_gives():
    from simulator.engine import simulate

    run = simulate(load_scenario(RECORDED), 0)
    assert set(METRICS) <= set(run.metrics)
    assert all(name in METRICS or name.startswith("relations:") for name in run.metrics)


CHILD = """\
extends = "parent.toml"

[scenario]
name = "Child"

[actors]
CCC = "Gamma"

[[events]]
type = "Offensive"
occurred_at = 2020-02-15
attacker = "CCC"
defender = "BBB"
region = "R1"
"""


def test_a_child_inherits_overrides_and_adds_events_by_date(tmp_path):
    write(tmp_path, GOOD, "parent.toml")
    child = load_scenario(write(tmp_path, CHILD, "child.toml"))
    parent = load_scenario(tmp_path / "parent.toml")
    assert child.name == "Child" and child.description == parent.description
    assert child.actors == {**parent.actors, "CCC": Actor(name="Gamma")}
    assert [e.occurred_at.day for e in child.events] == [1, 15, 1]
    assert child.extends == (str(tmp_path / "parent.toml"),)
    assert child.content_hash == parse_scenario(dump_scenario(child)).content_hash


def test_a_problem_is_located_in_the_file_that_has_it(tmp_path):
    write(tmp_path, GOOD.replace('region = "R1"', 'region = "R9"'), "parent.toml")
    path = write(tmp_path, CHILD.replace('attacker = "CCC"', 'attacker = "QQQ"'), "child.toml")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert caught.value.problems == (
        f"{path}:12: events[0].attacker: 'QQQ' is not a declared actor (declared: AAA, BBB, CCC)",
        f"{tmp_path / 'parent.toml'}:20: events[0].region: 'R9' is not a declared region "
        "(declared: R1)",
    )


def test_cycles_and_missing_parents_name_the_chain(tmp_path):
    write(tmp_path, 'extends = "b.toml"\n' + GOOD, "a.toml")
    write(tmp_path, 'extends = "a.toml"\n', "b.toml")
    with pytest.raises(
        ScenarioError, match=r"b.toml:1: extends: a cycle: a.toml -> b.toml -> a.toml"
    ):
        load_scenario(tmp_path / "a.toml")
    write(tmp_path, 'extends = "gone.toml"\n', "c.toml")
    with pytest.raises(ScenarioError, match=r"c.toml:1: extends: 'gone.toml': .*cannot read"):
        load_scenario(tmp_path / "c.toml")


def test_loading_reads_only_the_files_named_by_extends(tmp_path, monkeypatch):
    write(tmp_path, GOOD, "parent.toml")
    write(tmp_path, GOOD.replace("Test", "decoy"), "decoy.toml")
    path = write(tmp_path, CHILD, "child.toml")
    opened = []
    from simulator.scenario import load as loader

    real = loader.read_whole

    def spy(where, *rest, **named):
        opened.append(Path(where).name)
        return real(where, *rest, **named)

    monkeypatch.setattr(loader, "read_whole", spy)
    load_scenario(path)
    assert opened == ["child.toml", "parent.toml"]


def test_each_shipped_scenario_loads_and_each_alternative_extends_the_recorded_case():
    record = load_scenario(RECORDED)
    for path in sorted(RECORDED.parent.glob("*.toml")):
        scenario = load_scenario(path)
        assert scenario.content_hash == load_scenario(path).content_hash
        if path != RECORDED and scenario.extends:
            assert scenario.extends == (str(RECORDED),)
            assert scenario.events == record.events
            assert scenario.description.startswith("What if")
            assert scenario.interventions


def _mutable_parts(value, path: str = "scenario"):
    """The key paths of every dict, list, set or writable array reachable from *value*."""
    if isinstance(value, dict | list | set | bytearray) or (
        isinstance(value, np.ndarray) and value.flags.writeable
    ):
        yield path
    elif attrs.has(type(value)):
        for field in attrs.fields(type(value)):
            yield from _mutable_parts(getattr(value, field.name), f"{path}.{field.name}")
    elif isinstance(value, FrozenMap):
        for key, item in value.items():
            yield from _mutable_parts(key, f"{path}[{key!r}] (key)")
            yield from _mutable_parts(item, f"{path}[{key!r}]")
    elif isinstance(value, tuple | frozenset):
        for index, item in enumerate(value):
            yield from _mutable_parts(item, f"{path}[{index}]")


@pytest.mark.parametrize("path", sorted(RECORDED.parent.glob("*.toml")), ids=lambda p: p.stem)
def test_nothing_reachable_from_a_shipped_scenario_can_be_changed_in_place(path):
    scenario = load_scenario(path)
    assert list(_mutable_parts(scenario)) == []
    assert isinstance(scenario.actors, FrozenMap) and isinstance(scenario.cast.backers, FrozenMap)


def test_changing_a_scenarios_tables_is_a_type_error_and_evolve_makes_a_new_one():
    scenario = load_scenario(RECORDED)
    tables = (scenario.actors, scenario.regions, scenario.groups, scenario.dynamics.values)
    for table in (*tables, scenario.cast.actors, scenario.cast.commitment):
        key = next(iter(table))
        with pytest.raises(TypeError):
            table[key] = table[key]
        with pytest.raises(TypeError):
            del table[key]
        with pytest.raises(TypeError):
            table.update({})
    with pytest.raises(ValueError):
        scenario.uncertainties.fit.blocks[0].mean[0] = 0.0
    grown = attrs.evolve(scenario, actors=scenario.actors | {"NEW": Actor(name="New")})
    assert "NEW" in grown.actors and "NEW" in grown.cast.actors and "NEW" not in scenario.actors
    assert grown.content_hash != scenario.content_hash


@pytest.mark.parametrize("path", [RECORDED, RECORDED.parent / "no_offensive_2023.toml"])
def test_a_scenario_pickles_equal_with_the_same_content_hash(path):
    scenario = load_scenario(path)
    again = pickle.loads(pickle.dumps(scenario))
    assert again == scenario and again.content_hash == scenario.content_hash
    assert again.canonical() == scenario.canonical() and hash(again) == hash(scenario)
    assert again.cast == scenario.cast and again.scheduled() == scenario.scheduled()
    assert isinstance(again.actors, FrozenMap) and list(_mutable_parts(again)) == []


@st.composite
def with_interventions(draw) -> Scenario:
    """A generated scenario that keeps its record after a branch point and changes it: drops
    and changes matched on scheduled events, inserts on or after the branch point."""
    base = draw(scenarios)
    evs = base.events
    branch = draw(st.sampled_from([e.occurred_at for e in evs])) if evs else base.start
    base = attrs.evolve(base, branch_at=branch, keep_record=True)
    chosen, schedule = [], list(base.scheduled())
    for _ in range(draw(st.integers(0, 3))):
        action = draw(st.sampled_from(["drop", "insert", "change"]))
        name = draw(st.sampled_from(["", "a change"]))
        if action == "insert" or not schedule:
            new = draw(st.lists(strategies.events_any(), min_size=1, max_size=3))
            new = [attrs.evolve(e, occurred_at=max(e.occurred_at, branch)) for e in new]
            chosen.append(Intervention(action="insert", name=name, events=sorted(new, key=_day)))
        else:
            target = draw(st.sampled_from(schedule))
            match = Match(types=(type(target).__name__,), on=target.occurred_at)
            values = {"source": draw(st.text(max_size=10))} if action == "change" else {}
            chosen.append(Intervention(action=action, name=name, match=match, set=values))
        schedule = list(attrs.evolve(base, interventions=chosen).scheduled())
    metrics = draw(st.lists(st.sampled_from(METRICS), max_size=3, unique=True))
    ensemble = Ensemble(runs=draw(st.integers(1, 10**6)), seed=draw(st.integers(0, 2**63)))
    return attrs.evolve(base, interventions=chosen, outputs=metrics, ensemble=ensemble)


def _day(event):
    return event.occurred_at


@given(with_interventions())
def test_a_dumped_scenario_with_interventions_loads_back_equal(scenario):
    again = parse_scenario(dump_scenario(scenario))
    assert again == scenario
    assert again.scheduled() == scenario.scheduled()
    assert again.content_hash == scenario.content_hash


def test_a_child_changes_one_rule_parameter_and_adds_an_alignment(tmp_path):
    parent = write(
        tmp_path,
        GOOD + "\n[dynamics.attack]\nbase = -3.0\nhostile = 1.0\n",
    )
    child = tmp_path / "child.toml"
    child.write_text(
        f'extends = "{parent.name}"\n[dynamics.attack]\nbase = -2.0\n'
        '[[alignments]]\nbacker = "AAA"\nally = "BBB"\ncommitment = 0.5\n',
        encoding="utf-8",
    )
    scenario = load_scenario(child)
    assert scenario.dynamics.values == {"attack.base": -2.0, "attack.hostile": 1.0}
    assert [(a.backer, a.ally, a.commitment) for a in scenario.alignments] == [("AAA", "BBB", 0.5)]


@pytest.mark.parametrize(
    ("table", "expected"),
    [
        (
            '[actors.AAA]\nname = "Alpha"\nkind = "empire"\n',
            "actors.AAA.kind: 'empire' is not an actor kind",
        ),
        (
            '[[alignments]]\nbacker = "AAA"\nally = "ZZZ"\ncommitment = 0.5\n',
            "alignments[0].ally: 'ZZZ' is not a declared actor",
        ),
        (
            '[[alignments]]\nbacker = "AAA"\nally = "BBB"\ncommitment = 1.5\n',
            "alignments[0].commitment: 1.5 (a number in [0, 1] expected)",
        ),
        (
            '[groups]\nG = { name = "g", sides = ["QQ"] }\n',
            "groups.G.sides: 'QQ' is not a declared actor",
        ),
        (
            "[dynamics.attack]\nbse = 1.0\n",
            "dynamics.attack.bse: unknown parameter of rule attack (did you mean 'base'?",
        ),
        (
            "[dynamics.flight]\nall = 2.0\n",
            "dynamics.flight.all: 'flight.all' must be a probability",
        ),
        ('[outputs]\nregion = "XX"\n', "outputs.region: 'XX' is not a declared region"),
    ],
)
def test_cast_and_rule_problems_name_the_key(tmp_path, table, expected):
    text = (
        GOOD.replace('[actors]\nAAA = "Alpha"\n', "[actors]\n") if "actors.AAA" in table else GOOD
    )
    with pytest.raises(ScenarioError) as caught:
        load_scenario(write(tmp_path, text + "\n" + table))
    assert any(expected in line for line in caught.value.problems), caught.value.problems
