"""The scores, checked by hand on tiny ensembles and by their defining properties."""

from __future__ import annotations

import io
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from matplotlib.figure import Figure

from simulator import scoring

probabilities = st.floats(0.0, 1.0)
outcomes = st.integers(0, 1)
values = st.floats(-1e4, 1e4, allow_nan=False)
mixes = st.integers(1, 50).flatmap(lambda n: st.tuples(st.just(n), st.integers(0, n)))  # n, yes
ensembles = st.lists(st.integers(0, 20).map(float), min_size=1, max_size=40)


# Hand computations: 4 paths, 3 of them yes.


def test_probability_of_three_yes_in_four_paths_is_corrected_off_the_bounds():
    assert scoring.probability(3, 4) == pytest.approx(3.5 / 5) == pytest.approx(0.7)
    assert scoring.probability(0, 4) == pytest.approx(0.1)
    assert scoring.probability(4, 4) == pytest.approx(0.9)


@pytest.mark.parametrize(("yes", "runs"), [(5, 4), (-1, 4), (0, 0)])
def test_probability_refuses_impossible_counts(yes, runs):
    with pytest.raises(ValueError):
        scoring.probability(yes, runs)


def test_brier_and_log_score_of_three_in_four():
    p = scoring.probability(3, 4)
    assert scoring.brier(p, 1) == pytest.approx((0.7 - 1) ** 2) == pytest.approx(0.09)
    assert scoring.brier(p, 0) == pytest.approx(0.49)
    assert scoring.log_score(p, 1) == pytest.approx(-math.log(0.7))
    assert scoring.log_score(p, 0) == pytest.approx(-math.log(0.3))
    assert scoring.log_score(scoring.coin(), 1) == pytest.approx(math.log(2))


def test_brier_refuses_an_outcome_that_is_not_yes_or_no():
    with pytest.raises(ValueError):
        scoring.brier(0.5, 2)


def test_crps_of_one_to_four_at_two_and_a_half_is_the_fair_estimate():
    # E|X - y| = (1.5 + 0.5 + 0.5 + 1.5) / 4 = 1; the ordered pairs i != j sum |x_i - x_j| to
    # 2 * (1 + 2 + 3 + 1 + 2 + 1) = 20.
    fair = 1 - 20 / (2 * 4 * 3)  # 1/6
    empirical = 1 - 20 / (2 * 4 * 4)  # 0.375, the CRPS of the paths' own step function
    assert scoring.crps(np.array([1.0, 2.0, 3.0, 4.0]), 2.5) == pytest.approx(fair)
    assert fair == pytest.approx(1 / 6)
    assert scoring.crps([1, 2, 3, 4], 2.5) != pytest.approx(empirical)


def test_crps_of_one_path_is_its_absolute_error():
    assert scoring.crps([7.0], 2.5) == pytest.approx(4.5)


def test_crps_of_no_path_is_refused():
    with pytest.raises(ValueError):
        scoring.crps([], 1.0)


def test_pit_spreads_a_tie_with_the_generator():
    # [0, 1, 1, 2, 3] at 1: one path of five below, two tied.
    u = np.random.default_rng(7).uniform()
    value = scoring.pit([0, 1, 1, 2, 3], 1.0, np.random.default_rng(7))
    assert value == pytest.approx(0.2 + u * 0.4)
    assert scoring.pit([0, 1, 1, 2, 3], 2.5, np.random.default_rng(7)) == pytest.approx(0.8)
    assert scoring.pit([1, 2], -1.0, np.random.default_rng(7)) == 0.0
    assert scoring.pit([1, 2], 9.0, np.random.default_rng(7)) == 1.0


def test_base_rate_probability_is_a_poisson_chance_of_at_least_one():
    # 3 events in 300 days: 0.01 a day, so 1 expected in 100 days.
    assert scoring.base_rate_probability(3, 300, 100) == pytest.approx(1 - math.exp(-1))
    assert scoring.base_rate_probability(0, 300, 100) == 0.01
    assert scoring.base_rate_probability(300, 300, 100) == 0.99
    with pytest.raises(ValueError):
        scoring.base_rate_probability(3, 0, 100)


def test_clip_and_coin():
    assert scoring.clip(0.0) == 0.01
    assert scoring.clip(1.0) == 0.99
    assert scoring.clip(0.4) == 0.4
    assert scoring.clip(0.0, low=0.05) == 0.05
    assert scoring.coin() == 0.5


def test_skill_against_a_reference():
    assert scoring.skill(0.09, 0.18) == pytest.approx(0.5)
    assert scoring.skill(0.25, 0.25) == 0.0
    assert scoring.skill(0.36, 0.18) == pytest.approx(-1.0)
    assert math.isnan(scoring.skill(0.1, 0.0))
    assert math.isnan(scoring.skill(math.nan, 0.2))


def test_reliability_bins_six_forecasts_by_hand():
    frame = scoring.reliability([0.05, 0.15, 0.3, 0.35, 0.8, 1.0], [0, 0, 1, 0, 1, 1], bins=5)
    assert list(frame.columns) == [
        "bin_low", "bin_high", "forecasts", "mean_probability", "observed_frequency",
    ]  # fmt: skip
    assert frame["bin_low"].tolist() == pytest.approx([0.0, 0.2, 0.4, 0.6, 0.8])
    assert frame["bin_high"].tolist() == pytest.approx([0.2, 0.4, 0.6, 0.8, 1.0])
    assert frame["forecasts"].tolist() == [2, 2, 0, 0, 2]
    mean, frequency = frame["mean_probability"], frame["observed_frequency"]
    assert mean[[0, 1, 4]].tolist() == pytest.approx([0.1, 0.325, 0.9])
    assert frequency[[0, 1, 4]].tolist() == pytest.approx([0.0, 0.5, 1.0])
    assert mean[[2, 3]].isna().all() and frequency[[2, 3]].isna().all()


def test_reliability_puts_a_probability_on_an_edge_in_the_bin_it_opens():
    frame = scoring.reliability([0.3, 0.7, 0.57], [1, 0, 1], bins=10)
    assert frame["forecasts"].tolist() == [0, 0, 0, 1, 0, 1, 0, 1, 0, 0]
    assert scoring.reliability([0.57], [1], bins=100)["forecasts"][57] == 1


def test_reliability_refuses_mismatched_or_impossible_input():
    with pytest.raises(ValueError):
        scoring.reliability([0.2, 0.4], [1])
    with pytest.raises(ValueError):
        scoring.reliability([1.2], [1])


def test_reliability_figure_draws_the_diagonal_the_points_and_the_warning():
    frame = scoring.reliability([0.05, 0.15, 0.3, 0.35, 0.8, 1.0], [0, 0, 1, 0, 1, 1], bins=5)
    warning = f"only 6 questions (fewer than {scoring.MIN_RELIABILITY_QUESTIONS})"
    figure = scoring.reliability_figure(frame, "backtest", warning)
    assert isinstance(figure, Figure)
    (ax,) = figure.axes
    assert warning in [t.get_text() for t in ax.texts]
    assert len(ax.collections[0].get_offsets()) == 3  # the three filled bins
    figure.savefig(io.BytesIO(), format="png")
    quiet = scoring.reliability_figure(frame, "backtest", None)
    assert not any("fewer" in t.get_text() for t in quiet.axes[0].texts)


# Properties.


@given(probabilities, outcomes)
def test_brier_lies_in_zero_one(p, y):
    assert 0.0 <= scoring.brier(p, y) <= 1.0


@given(mixes, st.floats(0.001, 0.999))
def test_mean_log_score_is_least_at_the_observed_frequency(mix, q):
    n, yes = mix
    outcomes_ = [1] * yes + [0] * (n - yes)

    def mean_log(p: float) -> float:
        return float(np.mean([scoring.log_score(p, y) for y in outcomes_]))

    assert mean_log(yes / n) <= mean_log(q) + 1e-12


@given(values, st.integers(1, 30), values)
def test_crps_of_a_constant_ensemble_is_the_absolute_error(c, size, y):
    assert scoring.crps(np.full(size, c), y) == pytest.approx(abs(c - y), abs=1e-9)


@given(st.lists(values, min_size=2, max_size=30), values)
def test_crps_is_the_fair_energy_form(paths, y):
    x = np.array(paths)
    m = x.size
    expected = np.mean(np.abs(x - y)) - np.abs(x[:, None] - x[None, :]).sum() / (2 * m * (m - 1))
    assert scoring.crps(x, y) == pytest.approx(expected, rel=1e-9, abs=1e-6)


@given(ensembles, st.integers(-2, 22).map(float), st.integers(0, 2**32 - 1))
def test_pit_lies_in_zero_one(paths, y, seed):
    assert 0.0 <= scoring.pit(paths, y, np.random.default_rng(seed)) <= 1.0


@given(st.lists(st.tuples(probabilities, outcomes), max_size=60), st.integers(1, 20))
def test_reliability_counts_every_forecast_once(pairs, bins):
    p = [a for a, _ in pairs]
    y = [b for _, b in pairs]
    frame = scoring.reliability(p, y, bins=bins)
    assert len(frame) == bins
    assert int(frame["forecasts"].sum()) == len(pairs)
