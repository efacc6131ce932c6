"""Sensitivity indices (Sobol', Morris) and scenario discovery (PRIM), on a toy scenario whose
runs are cheap known functions of their parameters, and the commands' refusals."""

from __future__ import annotations

from datetime import date

import attrs
import numpy as np
import pandas as pd
import pytest

from simulator.calibration import discovery, sensitivity
from simulator.calibration.estimates import Block, Fit
from simulator.calibration.uncertainties import Distribution, Uncertainties
from simulator.cli import main
from simulator.scenario import Scenario

DRIVER, IDLE, MILD = "attack.base", "talks.base", "peace.base"
TOY = Scenario(
    name="toy",
    start=date(2020, 1, 1),
    horizon=date(2021, 1, 1),
    uncertainties=Uncertainties(
        distributions=[
            Distribution(DRIVER, "uniform", (0.0, 1.0)),
            Distribution(IDLE, "uniform", (0.0, 1.0)),
            Distribution(MILD, "normal", (0.0, 1.0)),
        ]
    ),
)


class ToyRun:
    """A stand-in run: casualties follow *DRIVER* strongly and *MILD* a little, war follows
    *DRIVER* alone, displacement is chance alone, *IDLE* moves nothing."""

    def __init__(self, seed: np.random.SeedSequence, params) -> None:
        rng = np.random.default_rng(seed)
        drive, mild = params[DRIVER], params[MILD]
        self.metrics = {
            "casualties": 1000.0 * drive**2 + 30.0 * mild,
            "war_resumed": bool(drive > 0.7),
            "displaced_total": int(rng.poisson(1000)),
            "peace_agreement": False,
            "war_resumed_on": date(2020, 6, 1) if drive > 0.5 else None,
        }

    def sample(self, days: np.ndarray) -> dict[str, np.ndarray]:
        return {}


def toy_simulate(scenario: Scenario, seed: np.random.SeedSequence, params) -> ToyRun:
    return ToyRun(seed, params)


def toy_indices(method: str = "sobol", samples: int = 64, seed: int = 3, **options):
    names = ("casualties", "war_resumed", "displaced_total", "peace_agreement")
    return sensitivity.indices(
        TOY, method, samples, names, seed, simulate=toy_simulate, **{"workers": 1, **options}
    )


def index(frame: pd.DataFrame, outcome: str, group: str, column: str) -> float:
    row = frame[(frame["outcome"] == outcome) & (frame["group"] == group)]
    return float(row[column].iloc[0])


def test_sobol_ranks_the_parameter_that_drives_an_outcome_above_one_that_does_not():
    frame = toy_indices()
    for outcome in ("casualties", "war_resumed"):
        assert index(frame, outcome, DRIVER, "ST") > 0.8
        assert index(frame, outcome, DRIVER, "S1") > 0.5
        assert abs(index(frame, outcome, IDLE, "ST")) < 0.05
        assert frame[frame["outcome"] == outcome]["group"].iloc[0] == DRIVER  # largest first
    assert index(frame, "casualties", MILD, "ST") > index(frame, "casualties", IDLE, "ST")
    assert frame.attrs["runs"] == 64 * (4 + 2)  # three distributions and chance
    assert frame.attrs["units"]["war_resumed"] == "0/1"


def test_an_outcome_only_chance_moves_gives_every_group_about_the_chance_rows_total_effect():
    frame = toy_indices(samples=128)
    chance = index(frame, "displaced_total", sensitivity.CHANCE, "ST")
    assert chance > 0.7
    for group in (DRIVER, IDLE, MILD):
        assert abs(index(frame, "displaced_total", group, "S1")) < 0.3
        assert abs(index(frame, "displaced_total", group, "ST") - chance) < 0.3
    assert abs(index(frame, "casualties", sensitivity.CHANCE, "ST")) < 1e-9  # no chance in it


def test_morris_ranks_the_parameter_that_drives_an_outcome_above_one_that_does_not():
    frame = toy_indices("morris", samples=12)
    assert index(frame, "casualties", DRIVER, "mu_star") > 200.0  # of 1000 over the range
    assert index(frame, "casualties", IDLE, "mu_star") == 0.0
    assert 0.0 < index(frame, "casualties", MILD, "mu_star") < 50.0
    assert index(frame, "war_resumed", DRIVER, "mu_star") > index(
        frame, "war_resumed", IDLE, "mu_star"
    )
    assert frame.attrs["runs"] == 12 * (4 + 1)


def toy_fit(draws: np.ndarray | None = None) -> Fit:
    """A fit of one block, the attack hazard's base and hostility, correlated."""
    block = Block(
        rule="attack",
        part="hazard",
        names=(DRIVER, "attack.hostile"),
        mean=np.array([0.5, 0.0]),
        covariance=np.array([[0.04, 0.02], [0.02, 0.04]]),
        draws=draws,
    )
    day = date(2020, 1, 1)
    return Fit((), (), None, ((day, day),), 180.0, 30, (), (block,), 0, 0.0, 0.0)


def test_a_fits_parameters_are_factors_grouped_by_rule_block():
    fitted = Uncertainties(fit=toy_fit(), distributions=[Distribution(IDLE, "uniform", (0, 1))])
    scenario = attrs.evolve(TOY, uncertainties=fitted)
    frame = sensitivity.indices(
        scenario, "sobol", 64, ["war_resumed"], 4, workers=1, simulate=toy_simulate
    )
    assert list(frame["group"]) == ["attack (hazard)", IDLE, sensitivity.CHANCE]
    assert list(frame["factors"]) == [2, 1, 1]
    assert frame["ST"].iloc[0] > 0.8 and abs(frame["ST"].iloc[1]) < 0.05


def test_posterior_draws_are_refused_as_factors():
    posterior = Uncertainties(fit=toy_fit(np.zeros((10, 2))), draws="posterior")
    with pytest.raises(sensitivity.SensitivityError, match="posterior"):
        sensitivity.problem(attrs.evolve(TOY, uncertainties=posterior))


def test_constant_outcomes_are_skipped_with_the_reason():
    frame = toy_indices(samples=8)
    assert "peace_agreement" not in set(frame["outcome"])
    assert frame.attrs["skipped"] == {"peace_agreement": "peace_agreement is 0 in every run"}


def test_a_date_outcome_is_whether_the_run_has_the_date():
    frame = sensitivity.indices(
        TOY, "sobol", 32, ["war_resumed_on"], 1, workers=1, simulate=toy_simulate
    )
    assert frame.attrs["units"]["war_resumed_on"] == "has a date (0/1)"
    assert frame["group"].iloc[0] == DRIVER


def test_indices_are_reproducible_with_a_seed_and_do_not_depend_on_the_workers():
    one = toy_indices(samples=16, seed=5, workers=1)
    pd.testing.assert_frame_equal(one, toy_indices(samples=16, seed=5, workers=1))
    pd.testing.assert_frame_equal(one, toy_indices(samples=16, seed=5, workers=2))
    other = toy_indices(samples=16, seed=6, workers=1)
    assert not one["ST"].equals(other["ST"])
    morris = toy_indices("morris", samples=4, seed=5, workers=1)
    pd.testing.assert_frame_equal(morris, toy_indices("morris", samples=4, seed=5, workers=2))


def test_written_outputs_are_the_csv_and_the_plot(tmp_path):
    frame = toy_indices(samples=8)
    written = sensitivity.write(frame, tmp_path / "out")
    assert [p.name for p in written] == ["sensitivity.csv", "sensitivity.png"]
    back = pd.read_csv(written[0])
    assert list(back.columns) == ["outcome", "group", "factors", "S1", "S1_conf", "ST", "ST_conf"]
    assert written[1].read_bytes()[:4] == b"\x89PNG"
    assert not list((tmp_path / "out").glob(".*"))  # no temporary left behind


def test_prim_finds_the_box_of_the_parameter_that_causes_the_outcome():
    rng = np.random.default_rng(0)
    x = pd.DataFrame({"cause": rng.random(2000), "noise": rng.random(2000)})
    y = (x["cause"] > 0.7).to_numpy() & (rng.random(2000) < 0.95)
    found = discovery.find(x, y, threshold=0.8, described="outcome")
    assert found.chosen is not None
    limits = found.limits.set_index("parameter")
    assert "cause" in limits.index
    assert 0.6 < limits.loc["cause", "low"] < 0.75
    assert found.box["density"] >= 0.8 and found.box["coverage"] > 0.8
    assert found.share == pytest.approx(y.mean())


def test_discover_runs_the_draws_and_restricts_the_driving_parameter(tmp_path):
    found = discovery.discover(TOY, "war_resumed", runs=600, seed=2, simulate=toy_simulate)
    assert found.runs == 600
    limits = found.limits.set_index("parameter")
    assert list(limits.index) == [DRIVER]
    assert 0.6 < limits.loc[DRIVER, "low"] < 0.75
    again = discovery.discover(
        TOY, "war_resumed", runs=600, seed=2, workers=2, simulate=toy_simulate
    )
    pd.testing.assert_frame_equal(found.trajectory, again.trajectory)
    above = discovery.discover(
        TOY, "casualties", above=490.0, runs=600, seed=2, simulate=toy_simulate
    )
    assert above.outcome == "casualties > 490"
    assert 0.6 < above.limits.set_index("parameter").loc[DRIVER, "low"] < 0.75
    written = discovery.write(found, tmp_path)
    assert [p.name for p in written] == ["trajectory.csv", "box.csv", "discovery.png"]
    assert pd.read_csv(written[0])["chosen"].sum() == 1


def test_a_box_no_part_of_the_space_reaches_is_reported_as_none():
    rng = np.random.default_rng(1)
    x = pd.DataFrame({"a": rng.random(500)})
    found = discovery.find(x, rng.random(500) < 0.3, threshold=0.95)
    assert found.chosen is None and found.limits.empty


# --- the commands ---------------------------------------------------------------------------

PLAIN = """
[scenario]
name = "plain"
start = 2020-01-01
horizon = 2021-01-01
"""
UNCERTAIN = (
    PLAIN
    + """
[uncertainties.attack]
base = { distribution = "uniform", low = -6.0, high = -4.0 }
"""
)


def refused(capsys, *argv: str) -> str:
    assert main(list(argv)) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    return err


@pytest.fixture
def files(tmp_path):
    plain, uncertain = tmp_path / "plain.toml", tmp_path / "uncertain.toml"
    plain.write_text(PLAIN)
    uncertain.write_text(UNCERTAIN)
    return str(plain), str(uncertain)


def test_a_scenario_without_uncertainties_is_refused_in_one_line(capsys, files):
    plain, _ = files
    assert "has no [uncertainties]" in refused(capsys, "sensitivity", plain)
    assert "has no [uncertainties]" in refused(capsys, "discover", plain, "--outcome", "runaway")


def test_an_unknown_outcome_or_method_is_refused_in_one_line(capsys, files):
    _, uncertain = files
    err = refused(capsys, "sensitivity", uncertain, "--outcomes", "war_resumed,wars")
    assert "--outcomes" in err and "'wars'" in err
    assert "--method" in refused(capsys, "sensitivity", uncertain, "--method", "fast")
    assert "power of 2" in refused(capsys, "sensitivity", uncertain, "--samples", "100")
    assert "'wars'" in refused(capsys, "discover", uncertain, "--outcome", "wars")
    assert "--threshold" in refused(
        capsys, "discover", uncertain, "--outcome", "runaway", "--threshold", "2"
    )


def test_a_number_outcome_needs_above_and_a_bool_refuses_it(capsys, files):
    _, uncertain = files
    assert "--above" in refused(capsys, "discover", uncertain, "--outcome", "casualties")
