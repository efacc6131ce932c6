"""Scenario discovery: the box of parameter values in which an outcome mostly happens, found
by PRIM (EMA Workbench) in an ensemble drawn from the scenario's `[uncertainties]`.

PRIM peels the space of drawn parameter values, a thin slice at a time, keeping what raises
the share of runs with the outcome inside (the box's density) at the least loss of the runs
with it (its coverage). The box given is the one of the highest coverage whose density
reaches the threshold (the densest of those, on a tie); `trajectory` holds every box on the
way. See docs/sensitivity.md.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import attrs
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from simulator.calibration.sensitivity import SensitivityError, known_outcomes
from simulator.ensemble import Seed, run_ensemble
from simulator.outputs import write_files
from simulator.scenario import Scenario

PEEL_ALPHA = 0.05  # the share of the remaining runs one peel removes (EMA Workbench's default)
TRAJECTORY = ("coverage", "density", "mass", "res_dim", "n", "k")


@attrs.frozen
class Discovery:
    """The box PRIM found for *outcome*: `limits` (per restricted parameter: the box's `low`
    and `high`, the range drawn, PRIM's quasi-p-values of each side), its `coverage`,
    `density` and `mass`, the `share` of all runs with the outcome, and the `trajectory` of
    boxes (`chosen`: the row of the box given; None when no box of PRIM's least mass, 5% of
    the runs, reaches `threshold`, and then the trajectory is the whole space alone)."""

    outcome: str
    runs: int
    share: float
    threshold: float
    trajectory: pd.DataFrame
    chosen: int | None
    limits: pd.DataFrame

    @property
    def box(self) -> pd.Series | None:
        """Coverage, density, mass and restricted dimensions of the box given."""
        return None if self.chosen is None else self.trajectory.loc[self.chosen]


def outcome(results: pd.DataFrame, name: str, above: float | None = None) -> tuple[np.ndarray, str]:
    """Whether each run had the outcome *name*: a bool metric as it is, a date metric as having
    a date, a number as above *above*; and the outcome in words."""
    if name not in results.columns:
        raise SensitivityError(f"unknown outcome {name!r} (one of {', '.join(results.columns)})")
    column = results[name]
    if pd.api.types.is_bool_dtype(column) or pd.api.types.is_datetime64_any_dtype(column):
        if above is not None:
            raise SensitivityError(f"{name} is a yes/no outcome: --above is for numbers")
        if pd.api.types.is_datetime64_any_dtype(column):
            return column.notna().to_numpy(), f"{name} has a date"
        if column.isna().any():
            raise SensitivityError(f"{name} has no value in {int(column.isna().sum())} runs")
        return column.to_numpy(dtype=bool), name
    if not pd.api.types.is_numeric_dtype(column):
        raise SensitivityError(f"{name} is not a number, a yes/no nor a date")
    if above is None:
        raise SensitivityError(f"{name} is a number: say which runs count with --above V")
    if column.isna().any():
        raise SensitivityError(f"{name} has no value in {int(column.isna().sum())} runs")
    return (column > above).to_numpy(), f"{name} > {above:g}"


def find(x: pd.DataFrame, y: np.ndarray, threshold: float, described: str = "y") -> Discovery:
    """PRIM on parameter values *x* (one row a run) and whether each run had the outcome *y*;
    the box of the highest coverage with density >= *threshold* (in (0, 1])."""
    _check_threshold(threshold)
    prim = _prim()
    y = np.asarray(y, dtype=bool)
    share = float(y.mean())
    if not 0.0 < share < 1.0:
        raise SensitivityError(
            f"{described} {'in every' if share else 'in no'} run: no box to find"
        )
    # PRIM counts y >= threshold as the outcome, and returns the whole space when its densest
    # box misses the threshold (then no row of the trajectory reaches it either)
    with _quiet():
        box = prim.Prim(x, y.astype(int), threshold=threshold, peel_alpha=PEEL_ALPHA).find_box()
    trajectory = box.peeling_trajectory[list(TRAJECTORY)].astype(
        {"res_dim": int, "n": int, "k": int}
    )
    reaching = trajectory[trajectory["density"] >= threshold]
    best = reaching.sort_values(["coverage", "density"], ascending=False, kind="stable")
    chosen = None if best.empty else int(best.index[0])
    limits = _limits(box, chosen, x)
    return Discovery(described, len(y), share, threshold, trajectory, chosen, limits)


def check(
    scenario: Scenario,
    name: str,
    above: float | None = None,
    threshold: float = 0.8,
    simulate: Callable | None = None,
) -> None:
    """Refuse, before any ensemble runs, a scenario with nothing to vary, an unknown outcome,
    a threshold outside (0, 1], and a number without *above* or a yes/no outcome with it."""
    where = scenario.source_path or scenario.name
    if not scenario.uncertainties:
        raise SensitivityError(f"{where}: the scenario has no [uncertainties]: nothing to vary")
    if name not in known_outcomes(scenario):
        known = ", ".join(known_outcomes(scenario))
        raise SensitivityError(f"unknown outcome {name!r} (one of {known})")
    _check_threshold(threshold)
    if simulate is None:
        from simulator.engine import simulate
    # one run at the scenario's own values tells a yes/no outcome from a number (a metric with
    # no value in it is told by the ensemble's runs, in `outcome`)
    probe = simulate(scenario, np.random.SeedSequence(0), scenario.dynamics).metrics.get(name)
    if isinstance(probe, bool | date) and above is not None:
        raise SensitivityError(f"{name} is a yes/no outcome: --above is for numbers")
    if isinstance(probe, int | float) and not isinstance(probe, bool) and above is None:
        raise SensitivityError(f"{name} is a number: say which runs count with --above V")


def discover(
    scenario: Scenario,
    name: str,
    *,
    runs: int = 1000,
    above: float | None = None,
    threshold: float = 0.8,
    seed: Seed = 0,
    workers: int | None = None,
    simulate: Callable | None = None,
) -> Discovery:
    """Run an ensemble of *runs* parameter sets of *scenario* (one run each: PRIM wants the
    space covered more than repeats) and `find` the box of the outcome *name* (see `outcome`)."""
    check(scenario, name, above, threshold, simulate)
    given = scenario.uncertainties
    once = attrs.evolve(scenario, uncertainties=attrs.evolve(given, runs_per_set=1))
    ensemble = run_ensemble(
        once, runs, seed, workers=workers, progress=False, days=[], simulate=simulate
    )
    y, described = outcome(ensemble.results, name, above)
    x = ensemble.parameters.drop(columns="set")
    return find(x, y, threshold, described)


def _check_threshold(threshold: float) -> None:
    if not 0.0 < threshold <= 1.0:
        raise SensitivityError(f"the density threshold must be in (0, 1] (got {threshold:g})")


def _prim():
    """EMA Workbench's prim module, without the warnings its import gives about optional
    packages (ipyparallel, altair) it does not need here."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from ema_workbench.analysis import prim
    return prim


@contextmanager
def _quiet() -> Iterator[None]:
    """EMA Workbench's log and the warnings from inside PRIM (pandas') held back."""
    logger = logging.getLogger("EMA")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        logger.setLevel(level)


def _limits(box, chosen: int | None, x: pd.DataFrame) -> pd.DataFrame:
    """The restricted parameters of box *chosen*, the firmest first: its low and high, the
    range drawn and the quasi-p-values of the lower and upper restriction (NaN for a side
    left open)."""
    columns = ["parameter", "low", "high", "drawn_low", "drawn_high", "qp_low", "qp_high"]
    if chosen is None:
        return pd.DataFrame(columns=columns)
    with _quiet():
        _, found = box.inspect(chosen, style="data")[0]
    rows = []
    for name, (low, high, qp_low, qp_high) in zip(found.index, found.to_numpy(), strict=True):
        rows.append((name, low, high, x[name].min(), x[name].max(), qp_low, qp_high))
    limits = pd.DataFrame(rows, columns=columns)
    firmest = limits[["qp_low", "qp_high"]].min(axis=1)  # the firmer side of each
    return limits.iloc[firmest.argsort(kind="stable")].reset_index(drop=True)


def plot(found: Discovery) -> Figure:
    """The peeling trajectory (density against coverage, coloured by restricted dimensions,
    the box given ringed) and the box's limits within the ranges drawn."""
    figure = Figure(figsize=(11, 4.2), layout="constrained")
    left, right = figure.subplots(1, 2, width_ratios=(1, 1.2))
    t = found.trajectory
    points = left.scatter(t["coverage"], t["density"], c=t["res_dim"], cmap="viridis", s=18)
    figure.colorbar(points, ax=left, label="restricted parameters")
    left.axhline(found.threshold, color="grey", linestyle="--", linewidth=0.8)
    if found.chosen is not None:
        box = t.loc[found.chosen]
        left.scatter([box["coverage"]], [box["density"]], s=120, facecolors="none", color="red")
    left.set_xlabel("coverage")
    left.set_ylabel("density")
    left.set_title(f"PRIM peeling: {found.outcome}", fontsize=10)
    limits = found.limits
    if limits.empty:
        why = "no box reaches the threshold" if found.chosen is None else "no restriction needed"
        right.text(0.5, 0.5, why, ha="center", va="center")
        right.set_axis_off()
        return figure
    span = (limits["drawn_high"] - limits["drawn_low"]).replace(0.0, 1.0)
    low = (limits["low"] - limits["drawn_low"]) / span
    high = (limits["high"] - limits["drawn_low"]) / span
    ticks = np.arange(len(limits))
    right.barh(ticks, high - low, left=low, color="#1f77b4")
    right.set_yticks(ticks, limits["parameter"], fontsize=8)
    right.set_xlim(0.0, 1.0)
    right.set_xlabel("box within the range drawn (0: lowest drawn, 1: highest)")
    right.invert_yaxis()
    return figure


def write(found: Discovery, out: str | Path) -> list[Path]:
    """`trajectory.csv` (a `chosen` column marks the box given), `box.csv` (its limits) and
    `discovery.png` (`plot`) into the folder *out*."""
    trajectory = found.trajectory.assign(chosen=found.trajectory.index == found.chosen)
    return write_files(
        out,
        {
            "trajectory.csv": lambda p: trajectory.to_csv(p, index_label="box"),
            "box.csv": lambda p: found.limits.to_csv(p, index=False),
            "discovery.png": lambda p: plot(found).savefig(p, dpi=110, format="png"),
        },
    )
