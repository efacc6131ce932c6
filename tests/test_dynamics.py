"""The rules: parameters, and what each rule can and cannot do, pinned down on a small world."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator import events as ev
from simulator.cast import Actor, Alignment, Group
from simulator.dynamics import DEFAULTS, RULES, Parameters
from simulator.engine import simulate
from simulator.scenario import Scenario, parse_scenario

START = date(2020, 1, 1)
seeds = st.integers(min_value=0, max_value=2**32 - 1)
ACTORS = {
    "S": Actor(name="a state", kind="state", troops=50_000),
    "A": Actor(name="a de facto authority", kind="authority", troops=10_000),
    "K": Actor(name="its kin state", kind="state", troops=40_000),
    "B": Actor(name="the state's backer", kind="state", troops=100_000),
    "P": Actor(name="a peacekeeping contributor", kind="state", missions=("peacekeeping",)),
}


def only(**rates: float) -> dict[str, float]:
    """Rule values where every rule is off (base e^-50 a year) but those given (their base)."""
    values = {name: -50.0 for name in DEFAULTS if name.endswith(".base")}
    values.update({f"{rule}.base": value for rule, value in rates.items()})
    return values


def world(*events: ev.Event, values=None, alignments=(), **changes) -> Scenario:
    """The authority A holds region R, the kin state K holds region KR; 10,000 people of
    group G (sides A and K, host K) live in R; S is the state that contests R."""
    status = (
        ev.ControlChange(occurred_at=START, region="R", gainer="A", share=1.0),
        ev.ControlChange(occurred_at=START, region="KR", gainer="K", share=1.0),
        ev.PopulationCount(occurred_at=START, region="R", people=10_000, group="G"),
    )
    fight = (ev.Offensive(occurred_at=START, attacker="S", defender="A", region="R"),)
    return Scenario(
        name="small",
        start=START,
        horizon=date(2024, 12, 31),
        actors=ACTORS,
        regions={"R": "the contested region", "KR": "the kin state's own territory"},
        groups={"G": Group(name="people of R", sides=("A", "K"), host="K")},
        alignments=(Alignment(backer="K", ally="A", commitment=1.0), *alignments),
        events=status + fight + events,
        branch_at=date(2020, 1, 2),
        dynamics=Parameters(values=values or {}),
        **changes,
    )


def after(run, kind=None):
    return [e for e in run.events[run.recorded :] if kind is None or type(e) is kind]


def test_parameters_are_named_checked_and_default_to_the_documented_values():
    assert Parameters()["attack.base"] == DEFAULTS["attack.base"][0]
    assert Parameters(values={"attack.base": -2})["attack.base"] == -2.0
    with pytest.raises(ValueError, match="'attack.nonsense' is not a parameter"):
        Parameters(values={"attack.nonsense": 1.0})
    with pytest.raises(ValueError, match="'flight.all' must be a probability"):
        Parameters(values={"flight.all": 1.5})
    with pytest.raises(ValueError, match="'advance.a' must be > 0"):
        Parameters(values={"advance.a": 0.0})
    with pytest.raises(ValueError, match="'recheck_days' must be a whole number"):
        Parameters(recheck_days=0)


def test_every_rule_parameter_is_settable_from_a_scenario_file_and_documented():
    text = '[scenario]\nname = "x"\nstart = 2020-01-01\nhorizon = 2021-01-01\n'
    text += '[actors]\nX = "x"\n[regions]\nR = "r"\n[dynamics]\nrecheck_days = 7\n'
    for rule in RULES:
        text += f"[dynamics.{rule.name}]\n"
        text += "".join(f"{c} = 0.25\n" for c in (*rule.covariates, *rule.mark_names))
    params = parse_scenario(text).dynamics
    assert params.recheck_days == 7
    assert all(params[name] == 0.25 for name in DEFAULTS)
    model = (Path(__file__).resolve().parent.parent / "docs" / "model.md").read_text("utf-8")
    missing = [
        name for name, (value, _) in DEFAULTS.items() if f"| `{name}` | {value:.3g}" not in model
    ]
    assert not missing, f"undocumented, or documented with another default: {missing}"


def test_without_any_hazard_nothing_happens():
    run = simulate(world(values=only()), 1)
    assert after(run) == []
    off = simulate(attrs.evolve(world(), dynamics=Parameters(enabled=False)), 1)
    assert after(off) == []


def test_a_backer_can_intervene_and_an_alternative_without_it_cannot():
    values = only(intervene=-2.0)  # e^(-2 + ln 100 x 1): 13.5 a year for a full commitment
    backed = [simulate(world(values=values), seed) for seed in range(5)]
    assert all(
        [(e.intervener, e.ally, e.enemy) for e in after(r, ev.Intervention)][:1]
        == [("K", "A", "S")]
        for r in backed
    )
    assert all(r.final.at_war("K", "S") for r in backed)
    alone = world(values=values, alignments=())
    alone = attrs.evolve(alone, alignments=())
    assert all(after(simulate(alone, seed), ev.Intervention) == [] for seed in range(5))


def test_control_moves_both_ways_in_a_war():
    # The authority is far stronger here: its backers and troops make it gain ground too.
    values = only(advance=3.0)
    gainers = set()
    for seed in range(10):
        run = simulate(attrs.evolve(world(values=values), horizon=date(2020, 6, 30)), seed)
        gainers |= {e.gainer for e in after(run, ev.ControlChange)}
    assert gainers == {"S", "A"}


def test_a_group_flees_the_actor_taking_control_over_days_even_with_peacekeepers():
    deployed = ev.PeacekeeperDeployment(
        occurred_at=START, contributor="P", region="R", troops=5000, host="S"
    )
    taken = ev.ControlChange(
        occurred_at=date(2020, 1, 2), region="R", gainer="S", loser="A", share=1.0
    )
    scenario = world(deployed, taken, values=only(flight=DEFAULTS["flight.base"][0]))
    scenario = attrs.evolve(scenario, branch_at=date(2020, 1, 3))
    waves = 0
    for seed in range(8):
        fled = after(simulate(scenario, seed), ev.Displacement)
        assert fled and all(e.group == "G" and e.destination == "K" for e in fled)
        days = {e.occurred_at for e in fled}
        assert min(days) <= date(2020, 2, 2)
        waves += len(days) > 1
    assert waves >= 5  # mostly in waves over the days after the takeover, not all at once


def test_a_group_does_not_flee_ground_held_by_its_own_side():
    run = simulate(world(values=only(flight=DEFAULTS["flight.base"][0])), 3)
    assert not after(run, ev.Displacement) or all(
        e.occurred_at > date(2020, 1, 2) for e in after(run, ev.Displacement)
    )


def test_a_ceasefire_of_two_of_three_warring_parties_leaves_the_third_war_on():
    joined = ev.Intervention(occurred_at=START, intervener="K", ally="A", enemy="S", region="R")
    truce = ev.Ceasefire(occurred_at=date(2020, 1, 3), parties=("S", "K"))
    scenario = attrs.evolve(world(joined, truce, values=only()), branch_at=date(2020, 1, 4))
    final = simulate(scenario, 0).final
    assert final.at_war("S", "A") and not final.at_war("S", "K")
    written = after(simulate(world(joined, values=only(ceasefire=5.0)), 0), ev.Ceasefire)
    assert all(len(e.parties) == 2 for e in written)  # the rule ends one pair's war at a time


def test_a_unilateral_ceasefire_ends_every_war_of_its_party():
    joined = ev.Intervention(occurred_at=START, intervener="K", ally="A", enemy="S", region="R")
    truce = ev.Ceasefire(occurred_at=date(2020, 1, 3), parties=("S",))
    scenario = attrs.evolve(world(joined, truce, values=only()), branch_at=date(2020, 1, 4))
    final = simulate(scenario, 0).final
    assert not final.hostilities


def test_a_negotiated_handover_moves_control_without_an_offensive():
    # S took ground in R, then a truce: the handovers that seal the defeat go from A to S.
    taken = ev.ControlChange(
        occurred_at=date(2020, 1, 2), region="R", gainer="S", loser="A", share=0.3
    )
    truce = ev.Ceasefire(occurred_at=date(2020, 1, 2), parties=("S", "A"))
    scenario = attrs.evolve(
        world(taken, truce, values=only(handover=-4.0)), branch_at=date(2020, 1, 3)
    )
    for seed in range(5):
        run = simulate(scenario, seed)
        assert after(run, ev.Offensive) == []
        moved = [e for e in after(run, ev.ControlChange) if e.region == "R"]
        assert moved and (moved[0].gainer, moved[0].loser) == ("S", "A")
        assert moved[0].occurred_at <= date(2020, 2, 1)


def test_offensives_on_a_front_outside_a_region_never_change_its_control():
    truce = ev.Ceasefire(occurred_at=date(2020, 1, 2), parties=("S", "A"))
    border = ev.Offensive(occurred_at=date(2020, 1, 3), attacker="S", defender="K", region="KR")
    scenario = attrs.evolve(
        world(truce, border, values=only(offensive=4.0, advance=4.0)),
        branch_at=date(2020, 1, 4),
        horizon=date(2020, 12, 31),
    )
    for seed in range(5):
        run = simulate(scenario, seed)
        assert {e.region for e in after(run, ev.ControlChange)} <= {"KR"}
        assert run.final.control["R"] == {"A": 1.0}


@settings(max_examples=10, deadline=None)
@given(seed=seeds)
def test_every_simulated_event_names_declared_actors_regions_and_groups(seed):
    scenario = world(values={"attack.base": -1.0, "talks.base": 0.5})
    run = simulate(scenario, seed)
    attrs.evolve(scenario, events=run.events)  # the scenario's own validation
