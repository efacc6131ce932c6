"""The likelihood: it matches a hand computation, every recorded case and every simulated path
gets a finite value, and maximising it recovers the parameters that simulated the logs."""

from __future__ import annotations

import math
from datetime import date, timedelta
from functools import cache
from pathlib import Path

import attrs
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import minimize

from simulator import events as ev
from simulator.cast import Actor, Alignment
from simulator.dynamics import DAYS_PER_YEAR, DEFAULTS, Parameters
from simulator.engine import simulate
from simulator.likelihood import log_likelihood
from simulator.scenario import Scenario, load_scenario

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"
RECORDED_CASES = ("nagorno_karabakh.toml", "kosovo.toml", "transnistria.toml")
START = date(2020, 1, 1)
YEAR = 365.25


def only(**values: float) -> dict[str, float]:
    """Every rule off (base e^-50 a year) but the values given."""
    out = {name: -50.0 for name in DEFAULTS if name.endswith(".base")}
    out.update(values)
    return out


def talkers(events=(), horizon=date(2020, 3, 31), **values) -> Scenario:
    """Four rival pairs (A-C, A-S, B-C, B-S: B backs A, C backs S) and nothing but talks."""
    return Scenario(
        name="talkers",
        start=START,
        horizon=horizon,
        actors={
            "A": Actor(name="a", kind="authority"),
            "B": Actor(name="b", kind="state"),
            "C": Actor(name="c", kind="state"),
            "S": Actor(name="s", kind="state"),
        },
        regions={"R": "r"},
        alignments=(
            Alignment(backer="B", ally="A", commitment=0.5),
            Alignment(backer="C", ally="S", commitment=0.5),
        ),
        events=tuple(events),
        branch_at=START,
        dynamics=Parameters(values=only(**values)),
    )


def test_a_log_with_one_meeting_and_constant_hazards_matches_the_formula():
    b0 = math.log(3.0)
    meeting = ev.DiplomaticMeeting(
        occurred_at=date(2020, 1, 11), parties=("A", "S"), kind="negotiation"
    )
    scenario = talkers([meeting], **{"talks.base": b0, "talks.cooperative": 0.0})
    found = log_likelihood(scenario)
    days = (scenario.horizon - START).days + 1
    hand = math.log(3.0 / YEAR) - 4 * days * 3.0 / YEAR
    assert found.by_rule["talks"].events == 1
    assert found.by_rule["talks"].total == pytest.approx(hand, rel=1e-12)
    assert found.exogenous == 0 and not found.impossible


def test_a_log_whose_hazard_moves_with_a_decayed_covariate_matches_the_hand_worked_pieces():
    # One meeting on day 10; A-S's cooperative covariate is log(1 + 0.7 x 2^(-age/180)), read
    # at the start of each piece: day 11 (after the meeting's day), then the recheck days 30,
    # 60 and 90 (every 30 days from the start), to the horizon (day 90, inclusive).
    b0, b2 = math.log(2.0), 0.9
    meeting = ev.DiplomaticMeeting(
        occurred_at=date(2020, 1, 11), parties=("A", "S"), kind="negotiation"
    )
    scenario = talkers([meeting], **{"talks.base": b0, "talks.cooperative": b2})
    found = log_likelihood(scenario)

    def rate(day: int) -> float:  # A-S's daily rate in the piece starting on *day*
        coop = math.log1p(0.7 * 0.5 ** ((day - 10) / 180)) if day > 10 else 0.0
        return math.exp(b0 + b2 * coop) / YEAR

    base = 2.0 / YEAR  # the three other pairs, which never met
    pieces = [(0, 11), (11, 30), (30, 60), (60, 90), (90, 91)]
    expected = sum((end - begin) * (rate(begin) + 3 * base) for begin, end in pieces)
    hand = math.log(rate(0)) - expected
    assert found.by_rule["talks"].total == pytest.approx(hand, rel=1e-12)
    design = log_likelihood(scenario, design=True).designs["talks"]
    assert design.loglik([b0, 0.0, b2, 0.0]) == pytest.approx(hand, rel=1e-12)


def test_an_event_no_rule_could_have_written_makes_the_log_impossible():
    # An advance between actors who are not at war, by a gainer that holds nothing there.
    odd = ev.Offensive(occurred_at=date(2020, 1, 5), attacker="A", defender="S", region="R")
    found = log_likelihood(talkers([odd]))
    assert found.total == -math.inf
    (index, why), *_ = found.impossible
    assert index == 0 and "attack" in why and "A/S/R" in why


@pytest.mark.parametrize("name", RECORDED_CASES)
def test_each_recorded_case_has_a_finite_likelihood_from_its_start(name):
    scenario = load_scenario(SCENARIOS / name)
    found = log_likelihood(scenario, since=scenario.start)
    assert not found.impossible, found.impossible[:3]
    assert math.isfinite(found.total) and found.scored > 50


@cache
def shipped() -> tuple[Scenario, ...]:
    return tuple(load_scenario(p) for p in sorted(SCENARIOS.glob("*.toml")))


@settings(max_examples=12, deadline=None)
@given(index=st.integers(min_value=0, max_value=len(shipped()) - 1), seed=st.integers(0, 2**32 - 1))
def test_every_simulated_path_of_a_shipped_scenario_is_possible_under_the_model(index, seed):
    scenario = shipped()[index]
    run = simulate(scenario, seed)
    # What the scenario schedules (its kept record, its interventions) is conditioned on.
    forced = [i for i, cause in enumerate(run.causes) if cause == "scenario"]
    found = log_likelihood(scenario, run.events, conditioned=forced)
    assert not found.impossible, found.impossible[:3]
    drawn = sum(cause.startswith("rule:") for cause in run.causes)
    assert found.scored >= drawn  # every drawn event is scored (kept record ones may be too)


def test_maximising_the_likelihood_recovers_the_parameters_that_simulated_the_logs():
    truth = {"talks.base": math.log(2.0), "talks.cooperative": 0.8}
    scenario = talkers(horizon=date(2024, 12, 31), **truth)
    designs = [
        log_likelihood(scenario, simulate(scenario, seed).events, design=True).designs["talks"]
        for seed in range(30)
    ]

    # The Poisson regression of all 30 logs, on the two free coefficients (base, cooperative),
    # with its exact gradient and Hessian: a numerical gradient loses precision near the top.
    x = np.concatenate([np.asarray(d.rows)[:, [0, 2]] for d in designs])
    days = np.concatenate([d.days for d in designs])
    n = np.concatenate([d.counts for d in designs]).astype(float)
    offset = -math.log(DAYS_PER_YEAR)

    def minus(b: np.ndarray) -> float:
        coefficients = [b[0], 0.0, b[1], 0.0]
        return -sum(d.loglik(coefficients) for d in designs)

    def gradient(b: np.ndarray) -> np.ndarray:
        return -(x.T @ (n - days * np.exp(x @ b + offset)))

    fit = minimize(minus, x0=np.zeros(2), jac=gradient, method="BFGS")
    assert fit.success, fit.message
    information = x.T @ ((days * np.exp(x @ fit.x + offset))[:, None] * x)
    se = np.sqrt(np.diag(np.linalg.inv(information)))
    assert abs(fit.x[0] - truth["talks.base"]) < max(3 * se[0], 0.05)
    assert abs(fit.x[1] - truth["talks.cooperative"]) < max(3 * se[1], 0.05)
    assert se[1] < 0.3  # the data pin the slope down


def test_scoring_from_a_later_day_folds_the_earlier_events_without_scoring_them():
    meeting = ev.DiplomaticMeeting(
        occurred_at=date(2020, 1, 11), parties=("A", "S"), kind="negotiation"
    )
    scenario = talkers([meeting], **{"talks.base": 0.0})
    later = log_likelihood(scenario, since=START + timedelta(days=20))
    assert later.scored == 0 and later.by_rule["talks"].expected > 0.0
    assert attrs.evolve(scenario, branch_at=START + timedelta(days=20)).branch_date == later.since
