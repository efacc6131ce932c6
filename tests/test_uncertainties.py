"""[uncertainties]: reading them, drawing parameter sets from them, ensembles that carry them,
and the split of an outcome's variance into parameters and chance."""

from __future__ import annotations

import math
from pathlib import Path

import attrs
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator.calibration.fitfile import read_fit
from simulator.calibration.uncertainties import Distribution, Uncertainties
from simulator.dynamics import Parameters
from simulator.ensemble import run_ensemble, simulate_run
from simulator.errors import ScenarioError
from simulator.scenario import dump_scenario, load_scenario, parse_scenario
from simulator.summary import summarize, variance_split

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"
FIT = SCENARIOS / "fits" / "recorded.toml"

HEAD = """
[scenario]
name = "two rivals"
start = 2000-01-01
horizon = 2004-12-31

[actors]
A = { name = "A", kind = "state", troops = 10000 }
B = { name = "B", kind = "state", troops = 8000 }

[regions]
R = "the contested region"

[[events]]
type = "ControlChange"
occurred_at = 2000-01-02
region = "R"
gainer = "A"
share = 0.6

[[events]]
type = "ControlChange"
occurred_at = 2000-01-02
region = "R"
gainer = "B"
share = 0.4

[[events]]
type = "Offensive"
occurred_at = 2000-01-03
attacker = "A"
defender = "B"
region = "R"
"""


def scenario_with(text: str, tmp_path: Path, name: str = "case.toml"):
    path = tmp_path / name
    path.write_text(HEAD + text, "utf-8")
    return load_scenario(path)


def error_of(text: str, tmp_path: Path) -> str:
    with pytest.raises(ScenarioError) as caught:
        scenario_with(text, tmp_path)
    return str(caught.value)


# --- reading ---------------------------------------------------------------------------------


def test_distributions_and_settings_are_read(tmp_path):
    s = scenario_with(
        """
[uncertainties]
design = "sobol"
runs_per_set = 4
relations_half_life_days = { distribution = "loguniform", low = 90, high = 720 }
[uncertainties.talks]
base = { distribution = "normal", mean = -2.0, sd = 0.5 }
hostile = { distribution = "triangular", low = 0, mode = 0.2, high = 1 }
""",
        tmp_path,
    )
    u = s.uncertainties
    assert u.design == "sobol" and u.runs_per_set == 4 and u.fit is None
    assert {d.name: d.kind for d in u.distributions} == {
        "relations_half_life_days": "loguniform",
        "talks.base": "normal",
        "talks.hostile": "triangular",
    }
    assert u.names == ("relations_half_life_days", "talks.base", "talks.hostile")


@pytest.mark.parametrize(
    ("text", "where", "what"),
    [
        ('[uncertainties.talks]\nbase = { distribution = "gamma", a = 1 }', "talks.base", "gamma"),
        (
            '[uncertainties.talks]\nbase = { distribution = "uniform", low = 2, high = 1 }',
            "talks.base",
            "low must be below high",
        ),
        (
            '[uncertainties.talks]\nbase = { distribution = "uniform", low = 1 }',
            "talks.base",
            "high",
        ),
        (
            '[uncertainties.talks]\nbsae = { distribution = "uniform", low = 1, high = 2 }',
            "bsae",
            "base",
        ),
        ('[uncertainties]\ndesign = "grid"', "design", "lhs"),
        ("[uncertainties]\nruns_per_set = 0", "runs_per_set", ">= 1"),
        ('[uncertainties]\nfrom = "missing.toml"', "from", "cannot read"),
        (
            f'[uncertainties]\nfrom = "{FIT}"\ndraws = "posterior"',
            "uncertainties",
            "--posterior",
        ),
    ],
)
def test_bad_uncertainties_are_one_line_at_their_place(tmp_path, text, where, what):
    message = error_of(text, tmp_path)
    assert len(message.splitlines()) == 1, message
    assert message.startswith(str(tmp_path / "case.toml") + ":"), message
    assert where in message and what in message, message


def test_a_fit_file_that_is_not_one_is_refused_naming_both_files(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[fit]\ncases = ["x"]\n', "utf-8")
    message = error_of('[dynamics]\nfrom = "bad.toml"', tmp_path)
    assert "case.toml" in message and "bad.toml" in message and "dynamics.from" in message


def test_a_scenario_with_uncertainties_dumps_and_loads_back_equal():
    recorded = load_scenario(SCENARIOS / "nagorno_karabakh.toml")
    given = attrs.evolve(
        recorded.uncertainties,
        distributions=(Distribution("talks.base", "uniform", (-3.0, -1.0)),),
    )
    scenario = attrs.evolve(recorded, uncertainties=given)
    again = parse_scenario(dump_scenario(scenario))
    assert again == scenario
    assert again.content_hash == scenario.content_hash
    assert again.uncertainties.fit is not None


# --- drawing ---------------------------------------------------------------------------------


def test_sets_are_reproducible_and_a_latin_hypercube_stratifies_each_parameter():
    u = Uncertainties(
        distributions=(
            Distribution("talks.base", "uniform", (0.0, 1.0)),
            Distribution("accuse.base", "uniform", (-1.0, 0.0)),
        )
    )
    seed = np.random.SeedSequence(7)
    sets = u.sets(50, seed, Parameters(), None)
    again = u.sets(50, np.random.SeedSequence(7), Parameters(), None)
    assert [p.values for p in sets] == [p.values for p in again]
    for name, low in (("talks.base", 0.0), ("accuse.base", -1.0)):
        strata = sorted(int((p[name] - low) * 50) for p in sets)
        assert strata == list(range(50))  # one point in each fiftieth


def test_laplace_draws_have_the_fit_s_mean_and_covariance():
    fit = read_fit(FIT)
    u = Uncertainties(fit=fit, source=str(FIT), design="random")
    block = next(b for b in fit.blocks if b.rule == "talks" and b.part == "hazard")
    sets = u.sets(4000, np.random.SeedSequence(3), Parameters(), None)
    z = np.array([[p[n] for n in block.names] for p in sets])  # identity scale: z itself
    assert np.allclose(
        z.mean(axis=0), block.mean, atol=4 * np.sqrt(np.diag(block.covariance) / 4000)
    )
    assert np.allclose(np.cov(z.T), block.covariance, rtol=0.15, atol=1e-3)


def test_values_the_scenario_sets_are_not_drawn(tmp_path):
    s = scenario_with(
        f'[dynamics]\nfrom = "{FIT}"\n[dynamics.talks]\nbase = -9.0\n'
        f'[uncertainties]\nfrom = "{FIT}"\n',
        tmp_path,
    )
    assert "talks.base" in s.uncertainties.fixed
    sets = s.uncertainties.sets(20, np.random.SeedSequence(1), s.dynamics, s.name)
    assert {p["talks.base"] for p in sets} == {-9.0}
    assert len({p["accuse.base"] for p in sets}) == 20
    assert "talks.base" not in s.uncertainties.names


# --- ensembles -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def uncertain(tmp_path_factory):
    path = tmp_path_factory.mktemp("u") / "case.toml"
    path.write_text(
        HEAD
        + """
[uncertainties]
runs_per_set = 3
[uncertainties.talks]
base = { distribution = "uniform", low = -3, high = 1 }
[uncertainties.attack]
base = { distribution = "uniform", low = -6, high = -1 }
""",
        "utf-8",
    )
    return load_scenario(path)


def test_an_ensemble_keeps_each_run_s_parameters_and_the_same_on_any_executor(uncertain):
    inline = run_ensemble(uncertain, 12, 5, workers=1)
    pooled = run_ensemble(uncertain, 12, 5, workers=2, chunk_size=5)
    assert inline.results.equals(pooled.results)
    assert inline.parameters.equals(pooled.parameters)
    frame = inline.parameters
    assert list(frame.columns) == ["set", "attack.base", "talks.base"]  # rules in name order
    assert frame["set"].tolist() == [0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3]
    assert frame.groupby("set")["talks.base"].nunique().eq(1).all()
    assert frame["talks.base"].nunique() == 4
    again = simulate_run(uncertain, 12, 5, 7)
    assert again.params["talks.base"] == frame.loc[7, "talks.base"]
    assert again.metrics["offensives"] == inline.results.loc[7, "offensives"]


def test_a_summary_with_parameter_sets_says_what_the_parameters_do(uncertain):
    ensemble = run_ensemble(uncertain, 60, 2, workers=1)
    summary = ensemble.summary()
    row = summary.loc[("war_resumed", "probability")]
    assert 0.0 <= row["param_share"] <= 1.0
    assert row["param_low"] <= row["estimate"] <= row["param_high"] or row["param_share"] == 0
    plain = summarize(ensemble.results)
    assert math.isnan(plain.loc[("war_resumed", "probability")]["param_share"])


# --- the variance split ----------------------------------------------------------------------


def test_the_variance_split_by_hand():
    # Two sets of two runs: means 1 and 3, grand 2; within-set squares 1+1+1+1 = 4.
    values = np.array([0.0, 2.0, 2.0, 4.0])
    sets = np.array([0, 0, 1, 1])
    split = variance_split(values, sets)
    between = 2 * (1 - 2) ** 2 + 2 * (3 - 2) ** 2  # / (k - 1) = 4
    within = 4 / (4 - 2)  # 2
    sigma_b = (between - within) / 2  # 1
    assert split.share == pytest.approx(sigma_b / (sigma_b + within))
    assert split.design_effect == pytest.approx(between / (sigma_b + within))
    shrink = math.sqrt(sigma_b / (sigma_b + within / 2))
    assert split.low == pytest.approx(2 + shrink * (np.quantile([1.0, 3.0], 0.05) - 2))


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(-100, 100), min_size=2, max_size=10), st.integers(2, 6))
def test_outcomes_fixed_by_their_set_are_all_parameters(means, repeats):
    values = np.repeat(np.asarray(means), repeats)
    sets = np.repeat(np.arange(len(means)), repeats)
    split = variance_split(values, sets)
    if np.ptp(means) > 1e-9:
        assert split.share == pytest.approx(1.0)
        assert split.low == pytest.approx(np.quantile(means, 0.05))


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(-100, 100), min_size=2, max_size=8), st.integers(2, 6))
def test_sets_that_all_look_alike_leave_everything_to_chance(noise, sets_count):
    values = np.tile(np.asarray(noise), sets_count)  # every set has the same runs
    sets = np.repeat(np.arange(sets_count), len(noise))
    split = variance_split(values, sets)
    assert split.share == pytest.approx(0.0, abs=1e-9)


def test_the_report_keeps_each_run_s_parameters(uncertain, tmp_path):
    import pandas as pd

    from simulator.report import single, write_report

    ensemble = run_ensemble(uncertain, 6, 1, workers=1)
    write_report(single(uncertain, ensemble), tmp_path)
    results = pd.read_csv(tmp_path / "results.csv")
    assert results["parameter_set"].tolist() == [0, 0, 0, 1, 1, 1]
    assert np.allclose(results["parameter:talks.base"], ensemble.parameters["talks.base"])
    assert "parameter sets 5-95%" in (tmp_path / "index.html").read_text("utf-8")
