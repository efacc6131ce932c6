"""The engine's properties: determinism, exact replay, branching, time order and causation."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import attrs
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator import codec, dynamics, world
from simulator.cast import Group
from simulator.engine import day_of, sample, seed_label, simulate
from simulator.scenario import Scenario, load_scenario
from simulator.store import open_store
from tests import strategies

RECORDED = Path(__file__).resolve().parent.parent / "scenarios" / "nagorno_karabakh.toml"
seeds = st.integers(min_value=0, max_value=2**32 - 1)


@pytest.fixture(scope="module")
def recorded() -> Scenario:
    return load_scenario(RECORDED)


def serialized(run) -> list[tuple]:
    return [(*codec.encode(e), c) for e, c in zip(run.events, run.causes, strict=True)]


def history_scenario(events, **changes) -> Scenario:
    return Scenario(
        name="generated",
        start=strategies.START,
        horizon=date(2030, 12, 31),
        actors={a: a for a in strategies.ACTORS},
        regions={r: r for r in strategies.REGIONS},
        groups={g: Group(name=g) for g in strategies.GROUPS},
        events=events,
        dynamics=dynamics.Parameters(enabled=False),
        **changes,
    )


@settings(max_examples=15)
@given(seed=seeds)
def test_same_scenario_and_seed_give_byte_identical_events(recorded, seed):
    assert serialized(simulate(recorded, seed)) == serialized(simulate(recorded, seed))


@settings(max_examples=15)
@given(a=seeds, b=seeds)
def test_different_seeds_give_different_paths(recorded, a, b):
    if a != b:
        assert serialized(simulate(recorded, a)) != serialized(simulate(recorded, b))


def test_a_seed_sequence_seeds_a_run_like_its_generator(recorded):
    child = np.random.SeedSequence(7).spawn(3)[2]
    run = simulate(recorded, child)
    assert serialized(run) == serialized(simulate(recorded, np.random.SeedSequence(7).spawn(3)[2]))
    assert run.stream.endswith("/seed-7-2")
    assert seed_label(12) == "12"


@given(events=strategies.event_lists())
def test_replay_without_dynamics_reproduces_the_record(events):
    run = simulate(history_scenario(events))
    assert run.events == list(events)
    assert all(a is b for a, b in zip(run.events, events, strict=True))
    assert run.causes == ["record"] * len(events)
    assert run.final == world.fold(events)


def test_replay_of_the_recorded_case_without_dynamics(recorded):
    off = attrs.evolve(recorded, dynamics=attrs.evolve(recorded.dynamics, enabled=False))
    run = simulate(off, 3)
    assert run.events == list(recorded.events)
    assert run.metrics["war_resumed"] is False


@settings(max_examples=20)
@given(data=st.data(), seed=seeds)
def test_a_branched_run_has_exactly_the_recorded_events_before_the_branch(recorded, data, seed):
    branch = data.draw(st.dates(min_value=recorded.start, max_value=recorded.horizon))
    scenario = attrs.evolve(recorded, branch_at=branch)
    run = simulate(scenario, seed)
    before = [e for e in run.events if e.occurred_at < branch]
    assert before == [e for e in recorded.events if e.occurred_at < branch]
    assert run.causes[: len(before)] == ["record"] * len(before)
    assert all(c != "record" for c in run.causes[len(before) :])


@given(events=strategies.event_lists(), data=st.data())
def test_a_kept_record_is_scheduled_at_its_dates(events, data):
    branch = data.draw(st.dates(min_value=strategies.START, max_value=date(2030, 12, 31)))
    run = simulate(history_scenario(events, branch_at=branch, keep_record=True))
    assert run.events == list(events)
    assert run.causes == ["record" if e.occurred_at < branch else "scenario" for e in events]


@settings(max_examples=15)
@given(seed=seeds, offset=st.integers(min_value=0, max_value=1500))
def test_time_never_goes_back_and_every_cause_is_a_rule_or_the_record(recorded, seed, offset):
    run = simulate(attrs.evolve(recorded, branch_at=recorded.start + timedelta(days=offset)), seed)
    days = [e.occurred_at for e in run.events]
    assert days == sorted(days)
    assert days[-1] <= recorded.horizon
    names = {f"rule:{rule.name}" for rule in dynamics.RULES}
    assert set(run.causes) <= names | {"record", "scenario"}


@settings(max_examples=10)
@given(seed=seeds)
def test_simulated_events_name_only_declared_actors_and_regions(recorded, seed):
    run = simulate(attrs.evolve(recorded, branch_at=date(2021, 1, 1)), seed)
    attrs.evolve(recorded, events=run.events)  # the scenario's own validation


def test_the_records_broad_facts_lie_inside_the_simulated_range(recorded):
    # Branched two days after the start: the status of the eve of the war and the opening
    # offensive are replayed, the rest is the dynamics'. By the end of 2024 the record has the
    # state holding all of the region and most of its people displaced; some paths must do
    # the same, and not all (the record is one path of many).
    scenario = attrs.evolve(recorded, branch_at=recorded.start + timedelta(days=2))
    day = day_of(scenario, date(2024, 12, 31))
    hits = 0
    for seed in range(60):
        at = simulate(scenario, seed).sample([day])
        hits += at["control"][0] >= 0.999 and at["displaced"][0] > at["population"][0]
    assert 0 < hits < 60


def test_a_stored_run_folds_to_its_final_state(recorded):
    run = simulate(recorded, 11)
    store = open_store("memory://")
    store.append(run.stream, run.events, expected_version=0, causation=run.causes)
    assert [r.causation for r in store.read(run.stream)] == run.causes
    half_life = recorded.dynamics.relations_half_life_days
    assert world.fold(store.events(run.stream), half_life_days=half_life) == run.final


def test_states_and_sample_agree_with_the_fold(recorded):
    run = simulate(recorded, 5)
    frame = run.states
    assert len(frame) == (recorded.horizon - recorded.start).days + 1
    days = [0, 400, 1200, len(frame) - 1]
    picked = run.sample(days)
    for name, values in picked.items():
        assert np.allclose(frame[name].to_numpy()[days], values, equal_nan=True)
    last = world.state_on(run.events, recorded.horizon, recorded.dynamics.relations_half_life_days)
    assert picked["displaced"][-1] == last.displaced.get("NK", 0)
    assert picked["relations:ARM-AZE"][-1] == pytest.approx(last.relations("ARM", "AZE"))


def test_sampling_a_run_agrees_with_sampling_a_copy_of_its_events(recorded):
    # A run's own events start with the scenario's record, whose fold the engine keeps; a
    # copy of them is folded from the start. Both must give the same numbers.
    run = simulate(recorded, 9)
    copies = [codec.decode(*codec.encode(e)) for e in run.events]
    some = [0, 30, 1433, 1434, 1434, 2000, (recorded.horizon - recorded.start).days]
    for days in (some, some[::-1], some[3:]):
        own, copied = run.sample(days), sample(recorded, copies, days)
        assert list(own) == list(copied)
        for name in own:
            assert np.array_equal(own[name], copied[name], equal_nan=True)
