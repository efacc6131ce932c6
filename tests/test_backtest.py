"""Backtests: no look-ahead at an origin, and scores that agree with a hand computation."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import attrs
import pytest

from simulator import events as ev
from simulator import scoring
from simulator.backtest import backtest, cut, every
from simulator.calibration.fit import fit
from simulator.ensemble import run_ensemble
from simulator.errors import DiplosimError
from simulator.scenario import load_scenario

RECORDED = Path(__file__).resolve().parent.parent / "scenarios" / "nagorno_karabakh.toml"
ORIGIN = date(2022, 3, 26)

QUESTIONS = """
[[questions]]
name = "offensive_nkr"
text = "Will Azerbaijan attack the NKR by the end of 2023?"
kind = "event"
event = "Offensive"
actors = ["AZE", "NKR"]
by = 2023-12-31

[[questions]]
name = "displaced"
text = "How many people will be displaced from NK by mid-2024?"
kind = "count"
count = "displaced"
region = "NK"
by = 2024-06-30
"""


@pytest.fixture(scope="module")
def asked(tmp_path_factory):
    path = tmp_path_factory.mktemp("bt") / "nk.toml"
    path.write_text(f'extends = "{RECORDED}"\n[scenario]\nname = "asked"\n' + QUESTIONS, "utf-8")
    return load_scenario(path, extends_root=RECORDED.parent)


def test_a_decisive_later_event_leaves_an_earlier_forecast_unchanged(asked):
    later = ORIGIN + timedelta(days=40)
    decisive = ev.Offensive(
        occurred_at=later, attacker="AZE", defender="NKR", region="NK", casualties=5000
    )
    events = sorted([*asked.events, decisive], key=lambda e: e.occurred_at)
    changed = attrs.evolve(asked, events=events)
    before = backtest(asked, [ORIGIN], runs=12, seed=3, workers=1).forecasts
    after = backtest(changed, [ORIGIN], runs=12, seed=3, workers=1).forecasts
    assert before["forecast"].tolist() == after["forecast"].tolist()
    assert before["crps"].tolist() != after["crps"].tolist()  # the outcome did change


def test_the_scores_agree_with_a_hand_computation(asked):
    found = backtest(asked, [ORIGIN], runs=8, seed=1, workers=1).forecasts
    row = found.set_index("question").loc["offensive_nkr"]
    ensemble = run_ensemble(cut(asked, ORIGIN, fit([asked], until=ORIGIN)), 8, 1, workers=1)
    yes = int(ensemble.results["question:offensive_nkr"].sum())
    p = (yes + 0.5) / 9
    assert row["forecast"] == pytest.approx(p)
    assert row["outcome"]  # the September 2023 offensive
    assert row["brier"] == pytest.approx((p - 1) ** 2)
    # the base rate: AZE-NKR offensives in the record before the origin, as a Poisson rate
    past = [
        e
        for e in asked.events
        if type(e) is ev.Offensive and {"AZE", "NKR"} <= set(e.actors()) and e.occurred_at < ORIGIN
    ]
    days = (ORIGIN - asked.start).days
    window = (date(2023, 12, 31) - ORIGIN).days + 1
    rate = scoring.clip(1 - pytest.importorskip("math").exp(-len(past) / days * window))
    assert row["brier_base_rate"] == pytest.approx((rate - 1) ** 2)
    assert row["brier_persistence"] == pytest.approx((0.01 - 1) ** 2)
    assert row["brier_coin"] == pytest.approx(0.25)


def test_origins_every_six_months_stay_inside_the_record(asked):
    origins = every(asked, 6)
    assert origins[0] == date(2021, 3, 26) and origins[-1] < date(2024, 8, 31)
    assert all((b - a).days in range(181, 185) for a, b in zip(origins, origins[1:], strict=False))


def test_a_scenario_without_questions_or_an_origin_outside_is_refused(asked):
    plain = attrs.evolve(asked, questions=())
    with pytest.raises(DiplosimError, match="no \\[\\[questions\\]\\]"):
        backtest(plain, [ORIGIN])
    with pytest.raises(DiplosimError, match="outside the record"):
        backtest(asked, [date(2030, 1, 1)])
