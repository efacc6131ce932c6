"""Comparisons on equal windows: each alternative beside its matched baseline, whatever else is
listed and in whatever order; a comparison with the first scenario refuses unequal windows."""

from __future__ import annotations

import pandas as pd
import pytest

from simulator.comparison import (
    ComparisonError,
    matched_baseline,
    plan,
    run_comparison,
    window_of,
)
from simulator.scenario import load_scenario

RECORDED = "scenarios/nagorno_karabakh.toml"
PEACEKEEPING = "scenarios/reinforced_peacekeeping.toml"
CORRIDOR = "scenarios/monitored_aid_corridor.toml"


@pytest.fixture(scope="module")
def cases():
    return {path: load_scenario(path) for path in (RECORDED, PEACEKEEPING, CORRIDOR)}


def test_the_matched_baseline_is_the_parent_branched_the_same_way_without_interventions(cases):
    alternative = cases[PEACEKEEPING]
    baseline = matched_baseline(alternative)
    assert window_of(baseline) == window_of(alternative)
    assert baseline.keep_record == alternative.keep_record and baseline.interventions == ()
    assert baseline.events == cases[RECORDED].events
    assert baseline.dynamics == cases[RECORDED].dynamics  # not the alternative's changes
    assert baseline.name == "Nagorno-Karabakh 2020-2024, branched 2023-01-10"
    assert matched_baseline(cases[RECORDED]) is None  # a recorded case is its own baseline


def test_each_alternative_gets_its_own_baseline_once(cases):
    chosen = plan([cases[RECORDED], cases[PEACEKEEPING], cases[CORRIDOR], cases[PEACEKEEPING]])
    names = [s.name for s in chosen.scenarios]
    assert len(names) == len(set(names)) == 5  # the same scenario twice runs once
    assert len(chosen.listed) == 3
    assert chosen.against["Reinforced peacekeeping mandate"].endswith("branched 2023-01-10")
    assert chosen.against["Internationally monitored aid corridor"].endswith("2023-03-01")
    assert chosen.against["Nagorno-Karabakh 2020-2024"] is None
    for name, base in chosen.against.items():
        if base is not None:
            scenario = next(s for s in chosen.scenarios if s.name == name)
            beside = next(s for s in chosen.scenarios if s.name == base)
            assert window_of(scenario) == window_of(beside)


def _differences(comparison, name):
    table = comparison.table()
    return table.xs(name, level="scenario")[["baseline", "diff", "diff_low", "diff_high"]]


def test_an_alternative_s_difference_does_not_depend_on_what_is_listed_first(cases):
    first = run_comparison([cases[RECORDED], cases[PEACEKEEPING]], 6, 4, workers=1)
    second = run_comparison(
        [cases[PEACEKEEPING], cases[CORRIDOR], cases[RECORDED]], 6, 4, workers=1
    )
    name = "Reinforced peacekeeping mandate"
    pd.testing.assert_frame_equal(_differences(first, name), _differences(second, name))
    war = _differences(first, name).loc[("war_resumed", "probability")]
    assert war["baseline"] == "Nagorno-Karabakh 2020-2024, branched 2023-01-10"


def test_comparing_with_the_first_refuses_windows_that_differ(cases):
    with pytest.raises(ComparisonError) as refused:
        plan([cases[RECORDED], cases[PEACEKEEPING]], against="first")
    message = str(refused.value)
    assert "2023-01-10 to 2030-12-31" in message and "2024-08-31 to 2030-12-31" in message
    assert "different windows" in message and len(message.splitlines()) == 1
    same = plan([cases[PEACEKEEPING], matched_baseline(cases[PEACEKEEPING])], against="first")
    assert list(same.against.values()) == [None, "Reinforced peacekeeping mandate"]


def test_the_command_refuses_misaligned_windows_in_one_line(capsys):
    from simulator.cli import main

    argv = ["compare", RECORDED, PEACEKEEPING, "--against", "first", "--runs", "2"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "different windows" in err and "Traceback" not in err
