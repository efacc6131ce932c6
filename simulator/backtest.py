"""Backtests: the forecasts the model would have made at past origins, scored against what the
record says happened, beside baselines that know only the record before each origin.

At each origin: the parameters are fitted on the record before it (pooled with the other
cases given, each cut there too: `calibration.fit.fit(until=origin)`); the scenario is cut to
its record before the origin (its cast rebuilt from that, its interventions and own parameter
values dropped) and branched there, with parameter uncertainty from that fit's Laplace
approximation when the scenario has `[uncertainties]`; an ensemble answers each of the
scenario's questions still open at the origin, and the record (its events up to the end of
its observed window) gives the outcome. Nothing dated on or after an origin reaches that
origin's forecast.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date, timedelta
from pathlib import Path

import attrs
import numpy as np
import pandas as pd

from simulator import scoring
from simulator.calibration.fit import fit, observed, observed_window
from simulator.calibration.uncertainties import Uncertainties
from simulator.ensemble import run_ensemble
from simulator.errors import DiplosimError
from simulator.outputs import write_files
from simulator.questions import Question, answers
from simulator.scenario import Scenario

BASELINES = ("base_rate", "persistence", "coin")
PIT_SEED = 20240601  # the randomised PIT's ties are broken by a fixed generator


class BacktestError(DiplosimError):
    """A backtest that cannot be run as asked (no questions, origins outside the record...)."""


@attrs.frozen(eq=False)
class Backtest:
    """One row per (origin, question) scored: the forecast, the outcome and the scores of the
    model and of each baseline (`forecasts`); the origins and runs they came from."""

    scenario: str
    origins: tuple[date, ...]
    runs: int
    forecasts: pd.DataFrame

    def by_origin(self) -> pd.DataFrame:
        """Mean scores per origin and overall (the last row, `all`)."""
        return summarise(self.forecasts)


def every(scenario: Scenario, months: int) -> list[date]:
    """Origins every *months* months from the scenario's start, before its record ends."""
    start, end = observed_window(scenario)
    out, step = [], 1
    while True:
        year, month = divmod(start.month - 1 + months * step, 12)
        day = min(start.day, 28)
        origin = date(start.year + year, month + 1, day)
        if origin >= end:
            return out
        out.append(origin)
        step += 1


def backtest(
    scenario: Scenario,
    origins: Sequence[date],
    runs: int = 300,
    seed: int = 0,
    pool: Sequence[Scenario] = (),
    workers: int | None = None,
) -> Backtest:
    """Forecast *scenario*'s questions at each of *origins* and score them (module docstring);
    the fits pool *scenario* with the cases in *pool*."""
    if not scenario.questions:
        raise BacktestError(f"{scenario.source_path or scenario.name}: no [[questions]] to score")
    start, end = observed_window(scenario)
    for origin in origins:
        if not start < origin < end:
            raise BacktestError(
                f"origin {origin} is outside the record of {scenario.name} ({start} to {end})"
            )
    rows = []
    for origin in sorted(origins):
        rows += _origin(scenario, origin, runs, seed, pool, workers, end)
    frame = pd.DataFrame(rows)
    if frame.empty:
        raise BacktestError(f"no question of {scenario.name} is open and settled at the origins")
    return Backtest(scenario.name, tuple(sorted(origins)), runs, frame)


def cut(scenario: Scenario, origin: date, fitted) -> Scenario:
    """*scenario* as a forecast from *origin* sees it: its record before the origin, branched
    there on the parameters *fitted* before it (their Laplace draws with [uncertainties])."""
    seen, _, _ = observed(scenario, origin)
    uncertainties = Uncertainties()
    if scenario.uncertainties:
        given = scenario.uncertainties
        uncertainties = Uncertainties(
            distributions=given.distributions,
            fit=fitted,
            source=f"the fit before {origin}",
            design=given.design,
            runs_per_set=given.runs_per_set,
        )
    return attrs.evolve(
        seen,
        branch_at=origin,
        keep_record=False,
        dynamics=fitted.parameters(scenario.name),
        uncertainties=uncertainties,
    )


def _origin(scenario, origin, runs, seed, pool, workers, end) -> list[dict]:
    # A pooled case whose record starts after the origin has nothing to give yet.
    usable = [s for s in pool if s.start < origin]
    fitted = fit([scenario, *usable], until=origin)
    forecast = cut(scenario, origin, fitted)
    ensemble = run_ensemble(forecast, runs, seed, workers=workers, days=[], progress=False)
    record = [e for e in scenario.events if e.occurred_at < end]
    settled = [q for q in scenario.questions if origin <= q.by < end]
    outcomes = answers(settled, record, origin)
    before = [e for e in record if e.occurred_at < origin]
    rng = np.random.default_rng(PIT_SEED)
    rows = []
    for q in settled:
        column = ensemble.results.get(f"question:{q.name}")
        if column is None or outcomes[q.name] is None:
            continue
        y = outcomes[q.name]
        row = {"origin": origin, "question": q.name, "kind": q.kind, "outcome": float(y)}
        baselines = _baselines(q, before, scenario.start, origin)
        if q.numeric:
            values = column.to_numpy(dtype=float)
            row |= {
                "forecast": float(np.median(values)),
                "crps": scoring.crps(values, float(y)),
                "pit": scoring.pit(values, float(y), rng),
            }
            for name in ("base_rate", "persistence"):
                row[f"crps_{name}"] = abs(baselines[name] - float(y))
        else:
            yes = int(column.astype(bool).sum())
            p = scoring.probability(yes, len(column))
            row |= {
                "forecast": p,
                "brier": scoring.brier(p, int(y)),
                "log": scoring.log_score(p, int(y)),
                "p_outcome": p if y else 1.0 - p,
            }
            for name in BASELINES:
                b = baselines[name]
                row[f"brier_{name}"] = scoring.brier(b, int(y))
                row[f"log_{name}"] = scoring.log_score(b, int(y))
        rows.append(row)
    return rows


def _baselines(q: Question, before: Sequence, start: date, origin: date) -> dict[str, float]:
    """The baselines' forecasts of *q* from the record *before* the origin: the base rate of
    its event (or the share of the past it held, for a state), persistence (nothing new
    happens; a state stays as it is at the origin) and a coin."""
    days = (origin - start).days
    window = (q.by - origin).days + 1
    if q.kind in ("control", "mission"):
        points = [start + timedelta(days=d) for d in range(0, days, 30)] or [start]
        held = [answers([attrs.evolve(q, by=p)], before, start)[q.name] for p in points]
        now = answers([attrs.evolve(q, by=origin - timedelta(days=1))], before, start)[q.name]
        return {
            "base_rate": scoring.clip(float(np.mean(held))),
            "persistence": scoring.clip(float(now)),
            "coin": scoring.coin(),
        }
    if q.numeric:
        past = answers([attrs.evolve(q, by=origin - timedelta(days=1))], before, start)[q.name]
        return {"base_rate": past / max(days, 1) * window, "persistence": 0.0}
    count = _occurrences(q, before, start)
    return {
        "base_rate": scoring.base_rate_probability(count, days, window),
        "persistence": scoring.clip(0.0),
        "coin": scoring.coin(),
    }


def _occurrences(q: Question, before: Sequence, start: date) -> int:
    """How many events of the past answer *q* yes (each on its own)."""
    return sum(bool(answers([q], [e], start)[q.name]) for e in before)


def summarise(forecasts: pd.DataFrame) -> pd.DataFrame:
    """Mean scores per origin and over all (`all`), with counts and the Brier skill score of
    the model against the base rate (1 - Brier / Brier of the base rate: above 0 is better)."""
    columns = [c for c in forecasts.columns if c.startswith(("brier", "log", "crps"))]
    groups = [(str(o), f) for o, f in forecasts.groupby("origin")] + [("all", forecasts)]
    rows = []
    for label, part in groups:
        row: dict[str, object] = {"origin": label}
        row["yes/no"] = int(part["kind"].ne("count").sum())
        row["counts"] = int(part["kind"].eq("count").sum())
        for c in columns:
            row[c] = float(part[c].mean()) if part[c].notna().any() else math.nan
        row["brier_skill"] = scoring.skill(
            row.get("brier", math.nan), row.get("brier_base_rate", math.nan)
        )
        rows.append(row)
    return pd.DataFrame(rows).set_index("origin")


def write(found: Backtest, out: str | Path) -> list[Path]:
    """forecasts.csv (one row per origin and question), scores.csv (per origin and overall)
    and reliability.png (the yes/no forecasts' reliability diagram, with a warning when there
    are too few of them for one) into the folder *out*, whole or not at all."""
    forecasts = found.forecasts
    yes_no = forecasts[forecasts["kind"] != "count"]
    warning = None
    if len(yes_no) < scoring.MIN_RELIABILITY_QUESTIONS:
        warning = (
            f"only {len(yes_no)} yes/no forecasts (fewer than "
            f"{scoring.MIN_RELIABILITY_QUESTIONS}): the diagram is mostly noise"
        )
    frame = scoring.reliability(
        yes_no["forecast"].to_numpy(dtype=float), yes_no["outcome"].to_numpy(dtype=float)
    )
    figure = scoring.reliability_figure(frame, f"{found.scenario}: reliability", warning)
    return write_files(
        out,
        {
            "forecasts.csv": lambda p: forecasts.to_csv(p, index=False),
            "scores.csv": lambda p: found.by_origin().to_csv(p),
            "reliability.png": lambda p: figure.savefig(p, dpi=110, format="png"),
        },
    )
