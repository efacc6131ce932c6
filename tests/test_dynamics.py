"""The dynamics: parameters, roles, and each process's effect where it can be pinned down."""

from __future__ import annotations

from datetime import date

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator import events as ev
from simulator.dynamics import Parameters
from simulator.engine import simulate
from simulator.errors import ScenarioError
from simulator.scenario import Scenario, parse_scenario

START = date(2020, 1, 1)
ROLES = dict(
    region="R", state="S", authority="A", kin_state="K", peacekeeper="P", mediator="M", donor="D"
)
seeds = st.integers(min_value=0, max_value=2**32 - 1)


def world(*events: ev.Event, **params) -> Scenario:
    """A small conflict: the authority holds the region, 10,000 people live there."""
    status = (
        ev.ControlChange(occurred_at=START, region="R", gainer="A", share=1.0),
        ev.PopulationCount(occurred_at=START, region="R", people=10_000),
    )
    return Scenario(
        name="small",
        start=START,
        horizon=date(2029, 12, 31),
        actors={x: x for x in "SAKPMD"},
        regions={"R": "region", "F": "front"},
        events=status + events,
        branch_at=date(2020, 1, 2),
        dynamics=Parameters(**{**ROLES, **params}),
    )


def kinds(run) -> list[str]:
    return [type(e).__name__ for e in run.events[run.recorded :]]


def test_parameters_take_whole_numbers_and_refuse_bad_values():
    assert Parameters(escalation_rate=2).escalation_rate == 2.0
    with pytest.raises(ValueError, match="'guarantees' must be a share"):
        Parameters(guarantees=1.5)
    with pytest.raises(ValueError, match="'ceasefire_rate' must be a finite number >= 0"):
        Parameters(ceasefire_rate=-1.0)


def test_every_parameter_is_settable_from_a_scenario_file():
    text = '[scenario]\nname = "x"\nstart = 2020-01-01\nhorizon = 2021-01-01\n'
    text += '[actors]\nX = "x"\n[regions]\nR = "r"\n[dynamics]\n'
    values = {"str": '"X"', "bool": "false", "float": "0.5"}
    lines = []
    for f in attrs.fields(Parameters):
        value = '"R"' if f.name in ("region", "front") else values[type(f.default).__name__]
        lines.append(f"{f.name} = {value}")
    assert parse_scenario(text + "\n".join(lines)).dynamics.peace_rate == 0.5


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"state": ""}, "state is not set"),
        ({"state": "Q"}, "state = 'Q' is not a declared actor"),
        ({"region": "S"}, "region = 'S' is not a declared region"),
        ({"authority": "", "kin_state": ""}, "neither authority nor kin_state"),
        ({"kin_state": "S"}, "must be distinct"),
        ({"front": "Z"}, "front = 'Z' is not a declared region"),
    ],
)
def test_roles_must_be_declared(changes, message):
    with pytest.raises(ScenarioError, match=message):
        simulate(world(**changes))


def test_no_roles_are_needed_when_the_dynamics_are_off():
    run = simulate(world(**{role: "" for role in ROLES}, enabled=False))
    assert kinds(run) == []


@settings(max_examples=10)
@given(seed=seeds)
def test_without_any_hazard_nothing_happens(seed):
    quiet = dict(escalation_rate=0.0, interstate_escalation_rate=0.0, blockade_rate=0.0)
    quiet |= dict(talks_rate=0.0, accusation_rate=0.0, peace_rate=0.0)
    assert kinds(simulate(world(**quiet), seed)) == []


@settings(max_examples=10)
@given(seed=seeds)
def test_a_war_ends_in_a_ceasefire_and_takes_ground(seed):
    opening = ev.Offensive(occurred_at=START, attacker="S", defender="A", region="R")
    run = simulate(world(opening, escalation_rate=0.0, interstate_escalation_rate=0.0), seed)
    assert "Ceasefire" in kinds(run)
    for index, (event, cause) in enumerate(zip(run.events, run.causes, strict=True)):
        if isinstance(event, ev.ControlChange) and index >= run.recorded:
            assert isinstance(run.events[int(cause.removeprefix("event:"))], ev.Offensive)
        if isinstance(event, ev.Displacement):
            assert isinstance(run.events[int(cause.removeprefix("event:"))], ev.ControlChange)


@settings(max_examples=10)
@given(seed=seeds)
def test_full_guarantees_mean_no_flight_and_none_mean_no_return(seed):
    opening = ev.Offensive(occurred_at=START, attacker="S", defender="A", region="R")
    safe = simulate(world(opening, guarantees=1.0, escalation_rate=0.0), seed)
    assert "Displacement" not in kinds(safe)
    fled = ev.Displacement(occurred_at=START, region="R", people=5000)
    none = simulate(world(fled, guarantees=0.0), seed)
    assert "PopulationReturn" not in kinds(none)


@settings(max_examples=10)
@given(seed=seeds)
def test_no_aid_arrives_through_a_total_blockade(seed):
    shut = ev.Blockade(occurred_at=START, imposer="K", region="R")  # one the dynamics never lift
    run = simulate(world(shut, aid_blockade_factor=0.0, aid_pledge_rate=20.0), seed)
    assert "AidPledge" in kinds(run)
    assert "AidDelivery" not in kinds(run)


@settings(max_examples=10)
@given(seed=seeds)
def test_reintegration_needs_control_and_reaches_every_milestone_in_order(seed):
    taken = ev.ControlChange(occurred_at=START, region="R", gainer="S", loser="A", share=1.0)
    run = simulate(world(taken, reintegration_rate=50.0, escalation_rate=0.0), seed)
    steps = [e.milestone for e in run.events if isinstance(e, ev.ReintegrationStep)]
    assert steps == list(ev.MILESTONES)
    assert run.metrics["reintegration_completed_on"] is not None
    held = simulate(world(reintegration_rate=50.0, escalation_rate=0.0), seed)
    assert "ReintegrationStep" not in kinds(held)


@settings(max_examples=10)
@given(seed=seeds)
def test_peacekeepers_leave_once_there_is_nothing_to_keep(seed):
    taken = ev.ControlChange(occurred_at=START, region="R", gainer="S", loser="A", share=1.0)
    there = ev.PeacekeeperDeployment(occurred_at=START, contributor="P", region="R", troops=900)
    run = simulate(world(taken, there, peacekeeper_withdrawal_rate=1.0), seed)
    assert "PeacekeeperWithdrawal" in kinds(run)
    assert run.metrics["peacekeepers_at_horizon"] == 0


def test_no_peace_without_a_peace_rate():
    for seed in range(5):
        assert simulate(world(peace_rate=0.0), seed).metrics["peace_agreement"] is False
