"""Summary statistics against numpy, intervals, differences, and the report folder."""

from __future__ import annotations

import math
from datetime import date

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from simulator.comparison import Comparison
from simulator.ensemble import Ensemble, SeedRoot, monthly_days
from simulator.report import (
    format_difference,
    format_estimate,
    headlines,
    outcomes,
    terminal_summary,
    write_report,
)
from simulator.summary import (
    QUANTILE_COLUMNS,
    QUANTILES,
    compare,
    difference,
    median_interval,
    summarize,
    wilson,
)


def outcome_frame(runs: int, seed: int, war_rate: float = 0.3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    war = rng.random(runs) < war_rate
    onset = pd.to_datetime("2025-01-01") + pd.to_timedelta(rng.integers(0, 900, runs), unit="D")
    done = rng.random(runs) < 0.6
    completed = pd.to_datetime("2026-01-01") + pd.to_timedelta(rng.integers(0, 1500, runs), "D")
    return pd.DataFrame(
        {
            "war_resumed": war,
            "war_resumed_on": pd.Series(onset).where(war),
            "reintegration_completed_on": pd.Series(completed).where(done),
            "displaced_total": rng.poisson(80_000, runs),
            "casualties": pd.Series(rng.poisson(300, runs)).where(war).astype("Int64"),
            "relations.ARM-AZE": rng.normal(-2.0, 1.5, runs),
            "never": np.full(runs, np.nan),
        },
        index=pd.RangeIndex(runs, name="run"),
    )


def make_ensemble(name: str, runs: int, seed: int, war_rate: float = 0.3) -> Ensemble:
    start, horizon = date(2020, 9, 27), date(2030, 12, 31)
    days = monthly_days(start, date(2025, 1, 1), horizon)
    rng = np.random.default_rng(seed)
    drift = rng.normal(0, 0.3, (runs, 1))
    paths = np.cumsum(drift + rng.normal(0, 1, (runs, len(days))), axis=1).astype(np.float32)
    return Ensemble(
        name=name,
        start=start,
        horizon=horizon,
        branch=date(2025, 1, 1),
        seed=SeedRoot.of(seed),
        days=days,
        results=outcome_frame(runs, seed, war_rate),
        series={"relations:ARM-AZE": paths, "war": (paths < -5).astype(np.float32)},
    )


def test_summary_matches_numpy_on_the_results_frame():
    frame = outcome_frame(997, 1)
    summary = summarize(frame)
    war = summary.loc[("war_resumed", "probability")]
    assert war["estimate"] == pytest.approx(np.mean(frame["war_resumed"]))
    assert war["n"] == 997
    displaced = summary.loc[("displaced_total", "median")]
    np.testing.assert_allclose(
        [displaced[c] for c in QUANTILE_COLUMNS], np.quantile(frame["displaced_total"], QUANTILES)
    )
    assert displaced["mean"] == pytest.approx(frame["displaced_total"].mean())
    casualties = summary.loc[("casualties", "median")]
    present = frame["casualties"].dropna().to_numpy(dtype=float)
    assert casualties["n"] == len(present)
    assert casualties["estimate"] == pytest.approx(np.median(present))
    occurred = summary.loc[("reintegration_completed_on", "probability")]
    assert occurred["estimate"] == pytest.approx(frame["reintegration_completed_on"].notna().mean())
    dated = summary.loc[("reintegration_completed_on", "median")]
    days = frame["reintegration_completed_on"].dropna().to_numpy().astype("datetime64[D]")
    expected = np.quantile(days.astype(np.int64), 0.5, method="inverted_cdf")
    assert dated["estimate"] == pd.Timestamp(np.datetime64(int(expected), "D"))
    assert summary.loc[("never", "probability"), "estimate"] == 0.0


def test_intervals_contain_their_estimate_and_probabilities_are_in_0_1():
    summary = summarize(outcome_frame(301, 2))
    for (_, statistic), row in summary.iterrows():
        assert row["low"] <= row["estimate"] <= row["high"]
        if statistic == "probability":
            assert 0.0 <= row["low"] <= row["estimate"] <= row["high"] <= 1.0


@given(st.integers(0, 500), st.integers(1, 500), st.sampled_from([0.8, 0.9, 0.95, 0.99]))
def test_wilson_stays_in_0_1_around_the_proportion(successes, trials, level):
    successes = min(successes, trials)
    low, high = wilson(successes, trials, level)
    assert 0.0 <= low <= successes / trials <= high <= 1.0


def test_wilson_matches_the_published_value():
    # 81 of 263 (Newcombe 1998, Table I): 0.2553 to 0.3662
    assert wilson(81, 263) == pytest.approx((0.2553, 0.3662), abs=1e-4)


@given(st.lists(st.floats(-1e6, 1e6), min_size=1, max_size=300))
def test_the_median_interval_contains_the_median(values):
    ordered = np.sort(np.asarray(values))
    low, high = median_interval(ordered)
    assert low <= np.median(ordered) <= high


def test_the_median_interval_covers_the_true_median_about_95_percent_of_the_time():
    rng = np.random.default_rng(0)
    hits = sum(
        low <= 0.0 <= high
        for low, high in (median_interval(np.sort(rng.normal(size=101))) for _ in range(2000))
    )
    assert 0.93 <= hits / 2000 <= 0.98


def test_difference_of_proportions_is_newcombes_interval():
    # Newcombe 1998, example (e): 56/70 - 48/80 = 0.2000, hybrid score 0.0524 to 0.3339
    base = summarize(pd.DataFrame({"x": np.arange(80) < 48})).loc[("x", "probability")]
    other = summarize(pd.DataFrame({"x": np.arange(70) < 56})).loc[("x", "probability")]
    assert difference(base, other) == pytest.approx((0.2, 0.0524, 0.3339), abs=1e-4)


def test_difference_of_medians_and_dates_in_days():
    a, b = outcome_frame(2000, 3), outcome_frame(2000, 4)
    b["displaced_total"] += 1000
    b["war_resumed_on"] += pd.Timedelta(days=60)
    table = compare({"a": summarize(a), "b": summarize(b)})
    shifted = table.loc[("b", "displaced_total", "median")]
    assert shifted["diff_low"] < shifted["diff"] < shifted["diff_high"]
    assert shifted["diff_low"] < 1000 < shifted["diff_high"]
    dated = table.loc[("b", "war_resumed_on", "median")]
    assert dated["diff_low"] < 60 < dated["diff_high"]
    assert math.isnan(table.loc[("a", "displaced_total", "median"), "diff"])


def synthetic(*ensembles: Ensemble) -> Comparison:
    """A comparison of made-up ensembles: the first is every other one's baseline."""
    from simulator.scenario import Scenario

    scenarios = tuple(
        Scenario(name=e.name, start=e.start, horizon=e.horizon, branch_at=e.branch)
        for e in ensembles
    )
    against = {e.name: (None if i == 0 else ensembles[0].name) for i, e in enumerate(ensembles)}
    return Comparison(ensembles, scenarios, against, tuple(against), "first")


def test_numbers_read_as_a_reader_expects():
    assert format_estimate("probability", 0.5, 0.4, 0.6) == "50.0% [40.0, 60.0]"
    assert format_estimate("number", 170_625.0, 170_625.0, 170_625.0) == "170,625"
    assert format_estimate("number", 3.0, 1.0, 6.0) == "3 [1, 6]"
    assert format_estimate("number", 0.7251, 0.381, 0.7259) == "0.725 [0.381, 0.726]"
    # a difference is never rounded into its own interval (it was "-1 [-1, -1]")
    assert format_difference("number", -0.8125, -1.22, -0.40) == "-0.81 [-1.22, -0.40]"
    assert format_difference("probability", -0.325, -0.613, 0.002) == "-32.5 pts [-61.3, +0.2]"
    assert format_difference("date", -135.0, -963.0, 693.0) == "-135 days [-963, +693]"


def test_rows_leave_out_repeats_empty_and_constant_outcomes():
    base, other = make_ensemble("base", 400, 5), make_ensemble("other", 400, 6, war_rate=0.6)
    for e in (base, other):
        e.results["same"] = 7
    found = outcomes(synthetic(base, other), synthetic(base, other).table())
    keys = [(r.metric, r.statistic) for r in found.rows]
    assert ("war_resumed", "probability") in keys
    assert ("war_resumed_on", "probability") not in keys  # the same yes/no as war_resumed
    assert ("war_resumed_on", "median") in keys
    assert ("reintegration_completed_on", "probability") in keys  # no yes/no twin: kept
    assert not any(m == "never" for m, _ in keys)  # no run has a value
    assert not any(m == "same" for m, _ in keys) and any(
        c.startswith("Same") for c in found.constant
    )
    war = next(r for r in found.rows if r.metric == "war_resumed")
    assert war.label == "War resumes" and war.term.unit == "probability"
    assert war.differences["other"].startswith("+") and "pts" in war.differences["other"]
    displaced = next(r for r in found.rows if r.metric == "displaced_total")
    assert displaced.spreads["base"].startswith("runs 5-95%: ")


def test_the_terminal_summary_fits_80_columns_with_four_scenarios():
    four = [make_ensemble(f"a scenario with a long name {i}", 100, i) for i in range(4)]
    text = terminal_summary(synthetic(*four))
    assert max(len(line) for line in text.splitlines()) <= 80
    assert "War resumes" in text and "difference" in text


def test_a_headline_answers_for_each_asked_outcome_beside_its_baseline():
    base, other = make_ensemble("base", 400, 5), make_ensemble("other", 400, 6, war_rate=0.6)
    said = headlines(synthetic(base, other), synthetic(base, other).table())
    war = [s for s in said if s.startswith("War resumes")]
    assert len(war) == 2 and "in other, against" in war[1] and "difference +" in war[1]
    assert "2025-01-01 to 2030-12-31" in war[0]


def test_the_report_folder_is_written_whole_with_its_provenance(tmp_path):
    base, other = make_ensemble("base", 300, 7), make_ensemble("=other", 200, 8, war_rate=0.7)
    written = write_report(synthetic(base, other), tmp_path / "report")
    names = {path.name for path in written}
    assert names == {
        "index.html", "results.csv", "summary.csv", "results.parquet", "series.parquet"
    }  # fmt: skip
    page = (tmp_path / "report" / "index.html").read_text("utf-8")
    assert "<script>" in page and "Plotly" in page and 'src="http' not in page  # self-contained
    assert page.count('class="chart"') >= 2 and 'id="provenance"' in page
    results = pd.read_csv(tmp_path / "report" / "results.csv")
    assert len(results) == 500 and list(results.columns[:2]) == ["scenario", "run"]
    assert "'=other" in set(results["scenario"])  # a spreadsheet would run =other
    assert not list((tmp_path / "report").glob(".*.tmp"))


def test_text_from_a_scenario_is_escaped_in_the_page(tmp_path):
    hostile = "<script>alert(1)</script>"
    base, other = make_ensemble("base", 50, 7), make_ensemble(hostile, 50, 8)
    write_report(synthetic(base, other), tmp_path / "r")
    page = (tmp_path / "r" / "index.html").read_text("utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert page.count("<script>alert(1)") == 0 and page.count("</script>alert") == 0


# --- the command line, with the engine ----------------------------------------------------------

RECORDED = "scenarios/nagorno_karabakh.toml"
ALTERNATIVE = "scenarios/reinforced_peacekeeping.toml"


def test_compare_prints_the_summary_and_writes_the_report(tmp_path, capsys):
    from simulator.cli import main

    out = tmp_path / "report"
    argv = ["compare", RECORDED, ALTERNATIVE, "--runs", "6", "--seed", "4", "--out", str(out)]
    assert main([*argv, "--workers", "2"]) == 0
    printed = capsys.readouterr().out
    assert "Reinforced peacekeeping mandate" in printed and "seed 4" in printed
    assert "window 2023-01-10 to 2030-12-31; beside Nagorno-Karabakh 2020-2024, branched" in printed
    assert "War resumes" in printed and "war_resumed" not in printed
    results = pd.read_parquet(out / "results.parquet")
    assert sorted(results["scenario"].unique()) == [
        "Nagorno-Karabakh 2020-2024",
        "Nagorno-Karabakh 2020-2024, branched 2023-01-10",
        "Reinforced peacekeeping mandate",
    ]
    assert len(results) == 18


def test_the_ensemble_command_runs_one_scenario_on_a_local_dask_cluster(capsys):
    import argparse

    from simulator.cli.compare import add_ensemble_arguments, run_ensemble_command

    parser = argparse.ArgumentParser()
    parser.add_argument("scenario")
    parser.add_argument("--seed", type=int)  # a command's own option is kept, not doubled
    add_ensemble_arguments(parser)
    args = parser.parse_args(
        [RECORDED, "--runs", "8", "--seed", "2", "--dask", "local", "--workers", "2"]
    )
    assert run_ensemble_command(args) == 0
    assert "8 runs per scenario, seed 2" in capsys.readouterr().out


def test_bad_arguments_are_one_line_errors(capsys, tmp_path):
    from simulator.cli import main

    with pytest.raises(SystemExit):
        main(["compare", RECORDED, "--runs", "0"])
    assert "expected a whole number from 1 to 1,000,000" in capsys.readouterr().err
    assert main(["compare", str(tmp_path / "missing.toml"), "--runs", "2"]) == 2
    assert capsys.readouterr().err.startswith("diplosim: error:")


def test_the_scenarios_ensemble_and_outputs_tables_are_the_defaults(tmp_path, capsys):
    import attrs

    from simulator import load_scenario
    from simulator.cli import main
    from simulator.scenario import dump_scenario

    recorded = load_scenario(RECORDED)
    chosen = attrs.evolve(
        recorded,
        ensemble=attrs.evolve(recorded.ensemble, runs=5, seed=3),
        outputs=("war_resumed", "casualties"),
    )
    path = tmp_path / "chosen.toml"
    path.write_text(dump_scenario(chosen), "utf-8")
    assert main(["compare", str(path), "--workers", "1"]) == 0
    printed = capsys.readouterr().out
    assert "5 runs per scenario, seed 3" in printed
    asked = [line for line in printed.splitlines() if line.startswith("* ")]
    assert [line.split(",")[0] for line in asked] == ["* War resumes", "* Casualties"]
