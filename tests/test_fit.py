"""The fit (`simulator.calibration.fit`): its Laplace intervals cover the parameters that
simulated the logs about as often as they say, its maximum solves the penalised Poisson score
equation worked by hand, pooled cases share (or, freed, split) parameters as documented,
`until` reads nothing from the cut-off day on, and the posterior draws agree with the
Laplace approximation and are reproducible."""

from __future__ import annotations

import math
from datetime import date, timedelta
from functools import cache
from pathlib import Path

import attrs
import numpy as np
import pytest
from scipy.optimize import brentq

from simulator import events as ev
from simulator.calibration.fit import LEVEL_Z, FitError, fit, observed_window
from simulator.calibration.priors import prior
from simulator.cast import Actor, Alignment
from simulator.dynamics import DEFAULTS, Parameters
from simulator.engine import simulate
from simulator.likelihood import log_likelihood
from simulator.scenario import Scenario, dump_scenario, parse_scenario

START = date(2000, 1, 1)
HORIZON = date(2009, 12, 31)
YEAR = 365.25
ONE = (180.0,)  # a single half-life: no grid, where the half-life is not under test

# The parameters that simulate the logs: talks, accusations and wars (attacks, rounds of
# fighting, ceasefires) between two blocs; every other rule off. Everything not named here is
# at its default, which is also its prior's centre, so the prior pulls nothing away from the
# truth there; the bases named are raised from their (tiny) defaults so that a decade gives
# about 60 talks, 130 accusations and 70 rounds of fighting.
TRUTH = {
    "talks.base": math.log(0.5),
    "accuse.base": math.log(0.5),
    "attack.base": math.log(0.1),
    "offensive.base": DEFAULTS["offensive.base"][0],
    "ceasefire.base": DEFAULTS["ceasefire.base"][0],
}


def only(**values: float) -> dict[str, float]:
    """Every rule off (base e^-50 a year) but the values given."""
    out = {name: -50.0 for name in DEFAULTS if name.endswith(".base")}
    out.update(values)
    return out


def world(name: str = "world", **values: float) -> Scenario:
    """Two blocs, B backing the authority A (which holds R1) and C backing S (which holds R2):
    four rival pairs. The alignments make all four parties from the start, whatever a path
    writes, so a recorded path has the cast it was simulated with. The holdings are a kept
    record, scheduled on the start day, so the engine draws from that day on, as the fit
    scores."""
    return Scenario(
        name=name,
        start=START,
        horizon=HORIZON,
        actors={
            "A": Actor(name="a", kind="authority"),
            "B": Actor(name="b", kind="state"),
            "C": Actor(name="c", kind="state"),
            "S": Actor(name="s", kind="state"),
        },
        regions={"R1": "r1", "R2": "r2"},
        alignments=(
            Alignment(backer="B", ally="A", commitment=0.5),
            Alignment(backer="C", ally="S", commitment=0.5),
        ),
        events=(
            ev.ControlChange(occurred_at=START, region="R1", gainer="A", loser=None, share=1.0),
            ev.ControlChange(occurred_at=START, region="R2", gainer="S", loser=None, share=1.0),
        ),
        branch_at=START,
        keep_record=True,
        dynamics=Parameters(values=only(**values)),
    )


def recorded(scenario: Scenario, seed: int, free: tuple[str, ...] = ()) -> Scenario:
    """A simulated path of *scenario* as a recorded case: its events the record, observed to
    the horizon (`observed_window`), with the default dynamics (the fit must not read the
    true values) and *free* freed."""
    run = simulate(scenario, seed)
    return attrs.evolve(
        scenario,
        events=run.events,
        branch_at=scenario.horizon,
        keep_record=False,
        dynamics=Parameters(free=free),
    )


@cache
def case(seed: int) -> Scenario:
    return recorded(world(**TRUTH), seed)


def interval(name: str, z: float, sd: float) -> tuple[float, float]:
    """The 95% Laplace interval of *name* as parameter values."""
    bound = prior(name).bound
    return float(bound(z - LEVEL_Z * sd)), float(bound(z + LEVEL_Z * sd))


# --- 1. coverage ----------------------------------------------------------------------------------

# The parameters the logs inform: their Laplace sd averages under a third of their prior's
# (asserted below; a fifth for most), so that coverage is not bought by the prior. The other
# parameters of these rules are weakly informed (the attack and ceasefire ones: ten or so wars
# a decade) or never varied (strength, peacekeepers...) and cover trivially.
CHECKED = ("talks.base", "talks.hostile", "accuse.base", "accuse.hostile", "offensive.base")
REPETITIONS = 40


def test_the_95_percent_laplace_intervals_cover_the_true_values_about_95_percent_of_the_time():
    truth = world(**TRUTH).dynamics
    misses = []
    sds = {name: [] for name in CHECKED}
    for seed in range(REPETITIONS):
        found = fit([case(seed)], half_lives=ONE).unconstrained()
        for name in CHECKED:
            z, sd = found[name]
            sds[name].append(sd / prior(name).sd)
            low, high = interval(name, z, sd)
            if not low <= truth[name] <= high:
                misses.append((seed, name))
    # 200 (repetition x parameter) cases. A study of 1,000 repetitions of this scenario (not
    # run here) found each parameter covered 94-96.5% of the time, and the misses in groups of
    # 40 repetitions ranged 4-13 (mean 8.6, sd 2.4; the correlation between parameters is
    # below 0.2). The band [3, 18] misses (coverage 91-98.5%) holds a correct implementation
    # with about 99% probability for any choice of seeds (these seeds give 13), while sd x 0.5
    # (coverage ~65%: 77 misses on these seeds), sd x 0.8 (~88%: 26), sd x 1.5 (~99.7%: 1)
    # and sd x 2 (0 misses) all fall outside it.
    assert 3 <= len(misses) <= 18, misses
    for name, ratios in sds.items():
        assert np.mean(ratios) < 1 / 3, name  # informed by the data


# --- 2. a hand-worked maximum ---------------------------------------------------------------------


def recognitions() -> Scenario:
    """Three states and two authorities, nobody talking: every recognition tuple's covariates
    (commitment, cooperative) are 0, so the rule's hazard is its base alone."""
    return Scenario(
        name="recognitions",
        start=START,
        horizon=date(2002, 12, 31),
        actors={
            "X": Actor(name="x", kind="authority"),
            "Y": Actor(name="y", kind="authority"),
            "P": Actor(name="p", kind="state"),
            "Q": Actor(name="q", kind="state"),
            "T": Actor(name="t", kind="state"),
        },
        regions={"R": "r"},
        events=(
            ev.Recognition(occurred_at=date(2000, 4, 10), recognizer="P", recognized="X"),
            ev.Recognition(occurred_at=date(2001, 2, 1), recognizer="Q", recognized="X"),
            ev.Recognition(occurred_at=date(2001, 2, 1), recognizer="P", recognized="Y"),
            ev.Recognition(occurred_at=date(2002, 6, 1), recognizer="T", recognized="X"),
        ),
        branch_at=date(2002, 12, 31),
    )


def test_a_base_only_hazard_is_fitted_at_the_root_of_the_penalised_poisson_score():
    scenario = recognitions()
    start, end = observed_window(scenario)
    design = log_likelihood(scenario, since=start, until=end, design=True).designs["recognition"]
    rows = np.asarray(design.rows)
    assert rows.shape[1] == 3 and np.all(rows[:, 0] == 1.0) and np.all(rows[:, 1:] == 0.0)
    n, exposure = float(sum(design.counts)), float(sum(design.days))  # events, tuple-days
    assert n == 4.0
    mu, sd = prior("recognition.base").mean, prior("recognition.base").sd

    def score(b: float) -> float:  # d/db of n b - E e^b / 365.25 - (b - mu)^2 / (2 sd^2)
        return n - exposure * math.exp(b) / YEAR - (b - mu) / sd**2

    hand = brentq(score, -30.0, 10.0, xtol=1e-14)
    found = fit([scenario], half_lives=ONE).unconstrained()
    z, z_sd = found["recognition.base"]
    assert z == pytest.approx(hand, abs=1e-6)
    # The Laplace sd: minus the second derivative there, inverted.
    assert z_sd == pytest.approx((exposure * math.exp(hand) / YEAR + 1 / sd**2) ** -0.5, rel=1e-6)
    assert abs(hand - mu) > 1.0  # the data moved it well off the prior's centre
    # The columns the record never varies keep their prior exactly.
    for name in ("recognition.commitment", "recognition.cooperative"):
        assert found[name] == pytest.approx((prior(name).mean, prior(name).sd), abs=1e-9)


def test_a_log_no_rule_could_write_is_refused():
    scenario = recognitions()
    again = ev.Recognition(occurred_at=date(2002, 7, 1), recognizer="P", recognized="X")
    with pytest.raises(FitError, match=r"events\[4\].*recognition has no tuple P/X"):
        fit([attrs.evolve(scenario, events=[*scenario.events, again])], half_lives=ONE)


def test_the_profile_is_the_log_likelihood_at_the_estimates_plus_the_log_prior():
    # The blocks' objective, summed, is the model's log-likelihood (less its log n! terms) plus
    # the priors' quadratic terms: what `log_likelihood` gives at the fitted parameters.
    scenario = case(11)
    found = fit([scenario], half_lives=ONE)
    penalty = sum(
        -0.5 * ((z - prior(n).mean) / prior(n).sd) ** 2
        for block in found.blocks
        for n, z in zip(block.names, block.mean, strict=True)
    )
    start, end = observed_window(scenario)
    direct = log_likelihood(scenario, params=found.parameters(), since=start, until=end)
    ties = sum(score.ties for score in direct.by_rule.values())
    assert found.log_likelihood == pytest.approx(direct.total, rel=1e-12)
    assert found.profile[0][1] == pytest.approx(direct.total + ties + penalty, rel=1e-9)
    assert found.log_likelihood > found.log_likelihood_defaults


def test_the_half_life_is_the_grids_best_and_the_blocks_are_those_at_it():
    scenario = case(2)
    grid = fit([scenario], half_lives=(45.0, 180.0, 1461.0))
    (best, _), *_ = sorted(grid.profile, key=lambda p: -p[1])
    assert grid.relations_half_life_days == best
    alone = fit([scenario], half_lives=(best,))
    assert alone.profile[0][1] == pytest.approx(dict(grid.profile)[best], rel=1e-12)
    assert len({value for _, value in grid.profile}) == 3  # the half-life does move the fit
    assert alone.unconstrained().keys() == grid.unconstrained().keys()
    flat = [np.asarray(list(f.unconstrained().values())) for f in (alone, grid)]
    np.testing.assert_allclose(flat[0], flat[1], rtol=0, atol=1e-12)


# --- 3. pooling -----------------------------------------------------------------------------------


def test_two_identical_cases_shrink_the_well_informed_sds_by_root_two():
    one = case(7)
    two = attrs.evolve(one, name="copy")
    single = fit([one], half_lives=ONE)
    pooled = fit([one, two], half_lives=ONE)
    assert pooled.events == 2 * single.events
    s, p = single.unconstrained(), pooled.unconstrained()
    for name in ("talks.base", "accuse.base"):
        (z1, sd1), (z2, sd2) = s[name], p[name]
        # Precision 2 I + 1/prior^2 against I + 1/prior^2: with the prior's sd over five times
        # the data's, sqrt((I + 1/prior^2) / (2 I + 1/prior^2)) is within 1% of 1/sqrt(2);
        # the tolerance leaves 2% more for the rest of the block (correlated slopes).
        assert sd1 < 0.2 * prior(name).sd
        assert sd2 / sd1 == pytest.approx(1 / math.sqrt(2), rel=0.03), name
        assert abs(z2 - z1) < 0.1 * sd1  # the same data: the same maximum, nearly
    with pytest.raises(FitError, match="same name"):
        fit([one, one], half_lives=ONE)


def test_a_freed_parameter_gets_its_own_copy_for_the_case_that_frees_it():
    calm = case(7)  # accusations at 0.5 a year per directed pair (before hostility adds)
    busy_truth = math.log(2.0)  # four times as many (hostility feeds back: ~1,500 a decade)
    busy = recorded(world("busy", **{**TRUTH, "accuse.base": busy_truth}), 8, free=("accuse.base",))
    busy = parse_scenario(dump_scenario(busy))  # `[dynamics] free = ["accuse.base"]` in a file
    assert busy.dynamics.free == ("accuse.base",)
    found = fit([calm, busy], half_lives=ONE)
    u = found.unconstrained()
    assert sorted(name for name in u if ":" in name) == ["busy:accuse.base"]
    (shared, shared_sd), (own, own_sd) = u["accuse.base"], u["busy:accuse.base"]
    assert abs(shared - TRUTH["accuse.base"]) < 3 * shared_sd
    assert abs(own - busy_truth) < 3 * own_sd
    assert own - shared > 5 * math.hypot(shared_sd, own_sd)  # the cases differ, so do they
    assert found.values("busy")["accuse.base"] == pytest.approx(own)
    assert found.values("world")["accuse.base"] == pytest.approx(shared)
    assert found.values()["accuse.base"] == pytest.approx(shared)
    assert found.parameters("busy")["accuse.base"] == pytest.approx(own)
    # Everything else stays shared: one value for both cases.
    assert found.values("busy")["talks.base"] == found.values("world")["talks.base"]
    # Without the copy, the one shared base is pulled between the two.
    pooled = fit([calm, attrs.evolve(busy, dynamics=Parameters())], half_lives=ONE)
    assert "busy:accuse.base" not in pooled.unconstrained()
    assert shared + 3 * shared_sd < pooled.unconstrained()["accuse.base"][0] < own


# --- 4. until: no look-ahead ----------------------------------------------------------------------

CUT = date(2005, 1, 1)


def cut(scenario: Scenario, day: date) -> Scenario:
    """*scenario* with its record cut before *day*, observed to it."""
    return attrs.evolve(
        scenario, events=[e for e in scenario.events if e.occurred_at < day], branch_at=day
    )


def same_fit(a, b) -> None:
    ua, ub = a.unconstrained(), b.unconstrained()
    assert ua.keys() == ub.keys()
    for name in ua:
        assert ua[name] == pytest.approx(ub[name], abs=1e-9), name
    assert a.windows == b.windows and a.events == b.events
    assert a.log_likelihood == pytest.approx(b.log_likelihood, abs=1e-9)


def test_fitting_until_a_day_is_fitting_the_record_cut_before_it():
    scenario = case(3)
    until = fit([scenario], until=CUT, half_lives=ONE)
    assert until.windows == ((START, CUT),) and until.until == CUT
    same_fit(until, fit([cut(scenario, CUT)], half_lives=ONE))
    assert until.events < fit([scenario], half_lives=ONE).events


def test_events_from_the_until_day_on_do_not_move_the_fit():
    scenario = case(3)
    before = fit([scenario], until=CUT, half_lives=ONE)
    # Decisive if read: forty accusations on the cut day and a war a few days later, between
    # the scenario's own parties.
    burst = [
        ev.Statement(occurred_at=CUT, speaker="C", target="A", kind="accusation") for _ in range(40)
    ] + [ev.Offensive(occurred_at=CUT + timedelta(days=3), attacker="S", defender="A", region="R1")]
    later = attrs.evolve(
        scenario, events=sorted([*scenario.events, *burst], key=lambda e: e.occurred_at)
    )
    same_fit(before, fit([later], until=CUT, half_lives=ONE))
    assert fit([later], half_lives=ONE).unconstrained()["accuse.base"] != pytest.approx(
        before.unconstrained()["accuse.base"]
    )  # the burst does matter to a fit that reads it


def test_an_actor_that_first_fights_after_the_until_day_does_not_move_the_fit():
    scenario = case(3)
    armed = attrs.evolve(
        scenario, actors={**scenario.actors, "G": Actor(name="g", kind="armed_group")}
    )
    before = fit([armed], until=CUT, half_lives=ONE)
    rising = ev.Offensive(
        occurred_at=CUT + timedelta(days=3), attacker="G", defender="A", region="R1"
    )
    later = attrs.evolve(armed, events=sorted([*armed.events, rising], key=lambda e: e.occurred_at))
    assert "G" not in armed.cast.parties and "G" in later.cast.parties
    same_fit(before, fit([later], until=CUT, half_lives=ONE))


# --- 5. posterior draws ---------------------------------------------------------------------------


@cache
def quiet(seed: int) -> Scenario:
    """Talks and accusations only (no war: no marks to score), ~70 events a decade."""
    return recorded(world(**{"talks.base": math.log(0.5), "accuse.base": math.log(0.5)}), seed)


def test_posterior_draws_agree_with_the_laplace_approximation():
    found = fit([quiet(5)], half_lives=ONE, posterior=400, seed=0)
    blocks = {(b.rule, b.part): b for b in found.blocks}
    assert all(b.draws is not None and b.draws.shape == (400, len(b.names)) for b in found.blocks)
    for rule in ("talks", "accuse"):
        block = blocks[rule, "hazard"]
        sd = np.sqrt(np.diag(block.covariance))
        mean, spread = block.draws.mean(axis=0), block.draws.std(axis=0, ddof=1)
        # 400 thinned draws of an ensemble: some 100 effective draws, so the mean is within
        # 0.5 Laplace sd and the sd within a third of it (the posterior is near normal here).
        np.testing.assert_array_less(np.abs(mean - block.mean), 0.5 * sd)
        np.testing.assert_array_less(np.abs(np.log(spread / sd)), math.log(4 / 3))
        assert 0.2 < block.acceptance < 0.9


def test_the_same_seed_gives_the_same_draws_and_another_seed_others():
    def draws(seed: int) -> list[np.ndarray]:
        found = fit([quiet(5)], half_lives=ONE, posterior=20, seed=seed)
        return [b.draws for b in found.blocks]

    first, again, other = draws(3), draws(3), draws(4)
    assert all(np.array_equal(a, b) for a, b in zip(first, again, strict=True))
    assert not any(np.array_equal(a, b) for a, b in zip(first, other, strict=True))
    assert all(b.draws is None for b in fit([quiet(5)], half_lives=ONE).blocks)


def test_a_cut_off_before_a_record_starts_is_refused_in_one_line(tmp_path):
    from simulator.cli import main

    out = tmp_path / "fit.toml"
    kosovo = Path(__file__).resolve().parent.parent / "scenarios" / "kosovo.toml"
    argv = ["fit", str(kosovo), "--out", str(out), "--until", "1990-01-01"]
    assert main(argv) == 2
    assert not out.exists()
