"""The world state: fold laws (hypothesis) and one example per projection rule."""

from __future__ import annotations

import copy
from datetime import date, timedelta
from functools import reduce

import pytest
from hypothesis import given
from hypothesis import strategies as st

from simulator import events as ev
from simulator import world
from simulator.errors import EventError
from simulator.store import open_store
from tests.strategies import event_lists

D0 = date(2023, 1, 1)


def on(day: int) -> date:
    return D0 + timedelta(days=day)


@st.composite
def split_histories(draw):
    evs = draw(event_lists())
    cut = draw(st.integers(min_value=0, max_value=len(evs)))
    return evs[:cut], evs[cut:]


# --- laws -----------------------------------------------------------------------------------


@given(split_histories())
def test_folding_in_two_parts_equals_folding_at_once(parts):
    a, b = parts
    assert world.fold(a + b) == world.fold(b, state=world.fold(a))


@given(event_lists())
def test_fold_equals_applying_one_event_at_a_time(evs):
    assert world.fold(evs) == reduce(world.apply, evs, world.WorldState())


@given(split_histories())
def test_apply_never_changes_the_state_given(parts):
    a, b = parts
    state = world.fold(a)
    before = copy.deepcopy(state)
    for event in b:
        world.apply(state, event)
        world.fold([event], state=state)
    assert state == before


@given(event_lists())
def test_state_from_the_store_equals_state_from_the_list(evs):
    store = open_store("memory://")
    store.append("run/test/0", evs)
    assert world.fold(record.event for record in store.read_all()) == world.fold(evs)


@given(event_lists())
def test_running_state_matches_the_fold(evs):
    running = world.RunningState()
    for event in evs:
        running.apply(event)
    assert running.snapshot() == world.fold(evs)


@given(event_lists(), st.integers(min_value=0, max_value=2000), st.integers(0, 2000))
def test_without_events_relations_only_decay_toward_zero(evs, gap, more):
    first = (evs[-1].occurred_at if evs else D0) + timedelta(days=gap)
    later = first + timedelta(days=more)
    earlier_state = world.state_on(evs, first)
    later_state = world.state_on(evs, later)
    for (a, b), earlier in earlier_state.relations_table().items():
        now = later_state.relations(a, b)
        assert now == earlier_state.relations(a, b, day=later)
        assert abs(now) <= abs(earlier)
        assert now == 0.0 or (now > 0) == (earlier > 0)


@given(event_lists())
def test_projections_stay_in_range(evs):
    running = world.RunningState()
    for event in evs:
        running.apply(event)
        for shares in running.control.values():
            assert all(0.0 < v <= 1.0 for v in shares.values())
            assert sum(shares.values()) <= 1.0 + 1e-9
        assert all(v >= 0 for v in running.population.values())
        assert all(v >= 0 for v in running.displaced.values())
        assert all(0.0 <= v <= 1.0 for v in running.reintegration.values())
        assert all(v > 0 for by in running.peacekeepers.values() for v in by.values())


@given(event_lists())
def test_relations_equal_the_decayed_sum_of_goldstein_weights_over_dyads(evs):
    # A reference written from the definition: every coded event, every pair of its dyads().
    sums: dict = {}
    h = world.DEFAULT_HALF_LIFE_DAYS
    for e in evs:
        today = e.occurred_at.toordinal()
        for p in e.dyads():
            value, since = sums.get(p, (0.0, today))
            if p not in sums:
                sums[p] = (e.goldstein, today)
            elif since == today:
                sums[p] = (value + e.goldstein, today)
            else:
                sums[p] = (value * 0.5 ** ((today - since) / h) + e.goldstein, today)
    assert world.fold(evs).relation_sums == sums


@given(event_lists(), st.data())
def test_state_on_ignores_events_after_the_day(evs, data):
    if not evs:
        return
    day = data.draw(st.sampled_from([e.occurred_at for e in evs]))
    through = [e for e in evs if e.occurred_at <= day]
    state = world.state_on(evs, day)
    assert state == world.state_on(through, day)
    assert state.day == day


# --- examples, one per rule -----------------------------------------------------------------


def test_an_offensive_starts_hostilities_and_sums_casualties_per_region():
    s = world.fold(
        [
            ev.Offensive(occurred_at=on(0), attacker="B", defender="A", region="R", casualties=5),
            ev.Offensive(occurred_at=on(3), attacker="A", defender="B", region="R", casualties=7),
            ev.Offensive(occurred_at=on(4), attacker="A", defender="C", region="Q"),
        ]
    )
    assert s.hostilities == {("A", "B"): on(0), ("A", "C"): on(4)}
    assert s.at_war("A", "B") and s.at_war("B", "A") and not s.at_war("B", "C")
    assert s.casualties == {"R": 12, "Q": 0}
    assert s.day == on(4)


def test_a_ceasefire_ends_hostilities_among_all_its_parties_only():
    s = world.fold(
        [
            ev.Offensive(occurred_at=on(0), attacker="A", defender="B", region="R"),
            ev.Offensive(occurred_at=on(0), attacker="C", defender="B", region="R"),
            ev.Offensive(occurred_at=on(0), attacker="C", defender="D", region="R"),
            ev.Ceasefire(occurred_at=on(1), parties=("A", "B", "C"), mediator="D"),
        ]
    )
    assert s.hostilities == {("C", "D"): on(0)}


@pytest.mark.parametrize("kind, ends", [("ceasefire", True), ("peace", True), ("border", False)])
def test_ceasefire_and_peace_agreements_end_hostilities(kind, ends):
    s = world.fold(
        [
            ev.Offensive(occurred_at=on(0), attacker="A", defender="B", region="R"),
            ev.Agreement(occurred_at=on(9), parties=("B", "A"), kind=kind),
        ]
    )
    assert s.at_war("A", "B") is not ends
    assert s.peace == ({("A", "B"): on(9)} if kind == "peace" else {})


def test_blockades_are_per_region_and_imposer():
    s = world.fold(
        [
            ev.Blockade(occurred_at=on(0), imposer="A", region="R"),
            ev.Blockade(occurred_at=on(2), imposer="B", region="R"),
            ev.Blockade(occurred_at=on(3), imposer="A", region="R"),
            ev.BlockadeLifted(occurred_at=on(5), imposer="A", region="R"),
        ]
    )
    assert s.blockades == {"R": {"B": on(2)}}
    assert s.blockaded("R") and not s.blockaded("Q")
    s = world.fold([ev.BlockadeLifted(occurred_at=on(6), imposer="B", region="R")], state=s)
    assert not s.blockaded("R") and s.blockades == {"R": {}}


def test_peacekeepers_deploy_and_withdraw_by_contributor():
    s = world.fold(
        [
            ev.PeacekeeperDeployment(occurred_at=on(0), contributor="P", region="R", troops=1960),
            ev.PeacekeeperDeployment(occurred_at=on(0), contributor="Q", region="R", troops=100),
            ev.PeacekeeperWithdrawal(occurred_at=on(1), contributor="P", region="R", troops=960),
            ev.PeacekeeperWithdrawal(occurred_at=on(2), contributor="Q", region="R", troops=500),
        ]
    )
    assert s.peacekeepers == {"R": {"P": 1000}}
    s = world.apply(s, ev.PeacekeeperWithdrawal(occurred_at=on(3), contributor="P", region="R"))
    assert s.peacekeepers == {"R": {}}


def test_people_move_between_population_and_displaced():
    s = world.fold(
        [
            ev.PopulationCount(occurred_at=on(0), region="R", people=1000),
            ev.Displacement(occurred_at=on(1), region="R", people=800),
            ev.PopulationReturn(occurred_at=on(2), region="R", people=300),
        ]
    )
    assert (s.population["R"], s.displaced["R"]) == (500, 500)
    s = world.apply(s, ev.PopulationReturn(occurred_at=on(3), region="R", people=9000))
    assert (s.population["R"], s.displaced["R"]) == (1000, 0)
    s = world.apply(s, ev.Displacement(occurred_at=on(4), region="R", people=1500))
    assert (s.population["R"], s.displaced["R"]) == (0, 1500)
    s = world.apply(s, ev.PopulationCount(occurred_at=on(5), region="R", people=70))
    assert (s.population["R"], s.displaced["R"]) == (70, 1430)  # 70 counted back


def test_a_population_count_resets_the_displaced_stock_of_its_group_only():
    s = world.fold(
        [
            ev.PopulationCount(occurred_at=on(0), region="R", people=1000, group="A"),
            ev.PopulationCount(occurred_at=on(0), region="R", people=500, group="B"),
            ev.Displacement(occurred_at=on(1), region="R", people=300, group="A"),
            ev.Displacement(occurred_at=on(1), region="R", people=100, group="B"),
            ev.PopulationReturn(occurred_at=on(2), region="R", people=100, group="A"),
        ]
    )
    assert (s.groups[("R", "A")], s.groups_displaced[("R", "A")]) == (800, 200)
    # Counted above the fold: those displaced are back (the stock the count replaces).
    up = world.apply(s, ev.PopulationCount(occurred_at=on(3), region="R", people=1000, group="A"))
    assert up.groups_displaced == {("R", "A"): 0, ("R", "B"): 100}
    assert (up.population["R"], up.displaced["R"]) == (1400, 100)
    # Counted below: people left, to where is unknown; the displaced stock stays.
    down = world.apply(s, ev.PopulationCount(occurred_at=on(3), region="R", people=50, group="A"))
    assert down.groups_displaced == {("R", "A"): 200, ("R", "B"): 100}
    assert (down.population["R"], down.displaced["R"]) == (450, 300)


def test_control_moves_from_the_loser_then_from_the_unheld_part():
    def change(day, gainer, share, loser=None):
        return ev.ControlChange(
            occurred_at=on(day), region="R", gainer=gainer, share=share, loser=loser
        )

    s = world.fold([change(0, "A", 0.75)])
    assert s.control == {"R": {"A": 0.75}}
    s = world.apply(s, change(1, "B", 0.5))  # only a quarter is unheld
    assert s.control == {"R": {"A": 0.75, "B": 0.25}}
    s = world.apply(s, change(2, "B", 0.5, loser="A"))
    assert s.control == {"R": {"A": 0.25, "B": 0.75}}
    s = world.apply(s, change(3, "C", 1.0, loser="A"))  # A holds only a quarter; none unheld
    assert s.control == {"R": {"B": 0.75, "C": 0.25}}
    s = world.apply(s, change(4, "B", 1.0, loser="B"))
    assert s.control == {"R": {"B": 0.75, "C": 0.25}}
    # a loser never recorded as holding anything: the share comes from the unheld part
    s = world.fold([change(0, "A", 1.0, loser="Z")])
    assert s.control == {"R": {"A": 1.0}}


def test_reintegration_progress_is_the_weight_of_the_milestones_reached():
    def step(day, milestone):
        return ev.ReintegrationStep(occurred_at=on(day), region="R", state="S", milestone=milestone)

    s = world.fold([step(0, "documents"), step(1, "rights"), step(2, "documents")])
    assert s.milestones == {"R": {"documents": on(0), "rights": on(1)}}
    assert s.reintegration["R"] == world.MILESTONE_WEIGHTS["documents"] + 0.1875
    s = world.fold([step(3, m) for m in reversed(ev.MILESTONES)], state=s)
    assert s.reintegration["R"] == 1.0


def test_milestone_weights_cover_the_catalogue_and_sum_to_one():
    assert set(world.MILESTONE_WEIGHTS) == set(ev.MILESTONES)
    assert sum(world.MILESTONE_WEIGHTS.values()) == 1.0


def test_aid_is_booked_by_donor_and_kind():
    def aid(cls, donor, kind, usd=None, tonnes=None):
        return cls(
            occurred_at=on(0),
            donor=donor,
            recipient="R1",
            region="R",
            kind=kind,
            usd=usd,
            tonnes=tonnes,
        )

    s = world.fold(
        [
            aid(ev.AidPledge, "D", "food", usd=100.0, tonnes=10.0),
            aid(ev.AidPledge, "D", "food", usd=300.0),
            aid(ev.AidPledge, "E", "fuel", usd=100.0),
            aid(ev.AidDelivery, "D", "food", usd=100.0, tonnes=4.0),
        ]
    )
    assert s.aid_pledged == {("D", "food"): (400.0, 10.0), ("E", "fuel"): (100.0, 0.0)}
    assert s.aid_delivered == {("D", "food"): (100.0, 4.0)}
    assert s.aid_delivered_share() == 0.2
    assert s.aid_delivered_share(donor="D") == 0.25
    assert s.aid_delivered_share(kind="fuel") == 0.0
    assert s.aid_delivered_share(donor="X") is None


def test_a_ceasefire_counts_half_after_one_half_life():
    cease = ev.Ceasefire(occurred_at=on(0), parties=("A", "B"))
    s = world.state_on([cease], on(180))
    assert s.relations("B", "A") == 4.5
    assert s.relations("A", "B", day=on(0)) == 9.0
    assert s.relations("A", "C") == 0.0
    assert world.state_on([cease], on(30), half_life_days=30).relations("A", "B") == 4.5
    with pytest.raises(ValueError, match="before the pair's last event"):
        s.relations("A", "B", day=on(-1))


def test_sustained_offensives_sit_deep_below_zero():
    war = [
        ev.Offensive(occurred_at=on(d), attacker="A", defender="B", region="R")
        for d in range(0, 360, 3)
    ]
    assert world.fold(war).relations("A", "B") < -100


def test_events_out_of_date_order_are_refused():
    later = world.fold([ev.Blockade(occurred_at=on(5), imposer="A", region="R")])
    with pytest.raises(EventError, match="date order"):
        world.apply(later, ev.Blockade(occurred_at=on(4), imposer="B", region="R"))


def test_a_state_continues_with_its_own_half_life():
    s = world.fold([ev.Ceasefire(occurred_at=on(0), parties=("A", "B"))], half_life_days=30)
    assert world.fold([], state=s).half_life_days == 30
    with pytest.raises(ValueError, match="half-life"):
        world.fold([], state=s, half_life_days=60)
    with pytest.raises(ValueError, match="half_life_days"):
        world.fold([], half_life_days=0)


def test_running_state_reads_like_the_world_state():
    running = world.RunningState()
    running.apply(ev.Offensive(occurred_at=on(0), attacker="A", defender="B", region="R"))
    running.apply(ev.Blockade(occurred_at=on(1), imposer="A", region="R"))
    assert running.at_war("B", "A") and running.blockaded("R")
    snap = running.snapshot()
    running.advance(on(180))
    assert running.relations("A", "B") == snap.relations("A", "B", day=on(180)) == -5.0
    running.apply(ev.BlockadeLifted(occurred_at=on(182), imposer="A", region="R"))
    assert snap.blockaded("R") and not running.blockaded("R")


def test_a_subclass_of_a_catalogue_event_folds_like_its_base():
    class Raid(ev.Offensive):
        pass

    raid = Raid(occurred_at=on(0), attacker="A", defender="B", region="R", casualties=3)
    plain = ev.Offensive(occurred_at=on(0), attacker="A", defender="B", region="R", casualties=3)
    assert world.fold([raid]) == world.fold([plain])
