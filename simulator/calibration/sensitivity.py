"""Global sensitivity of a scenario's outcomes to its uncertain parameters: Sobol' indices or
Morris screening (SALib) over the factors of `[uncertainties]`, grouped by rule block.

The factors are the dimensions of the unit cube that `Uncertainties.at` maps to parameter
sets: one per distribution given, and for a fit one independent normal factor per fitted
parameter, grouped by block, since a block's parameters are drawn together through its
covariance (so an index is a block's, correlations within it included). Every sampled point is
run once with its own seed (run *i* seeded as run *i* of an ensemble), so chance is part of
each outcome: a factor that changes nothing, the `(chance)` row, shows how much of a total
effect chance alone gives. The indices are in docs/sensitivity.md.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from simulator.dynamics import Parameters
from simulator.ensemble import DESIGN_CHILD, Seed, SeedRoot, run_ensemble
from simulator.errors import DiplosimError
from simulator.outputs import write_files
from simulator.scenario import METRICS, Scenario

METHODS = ("sobol", "morris")
# The outcomes analysed when neither the caller nor the scenario's `[outputs] metrics` names any.
HEADLINE = (
    "war_resumed",
    "peace_agreement",
    "casualties",
    "displaced_total",
    "reintegration_at_horizon",
    "control_at_horizon",
    "runaway",
)
CHANCE = "(chance)"  # a factor that moves no parameter: what chance alone gives an index
MORRIS_LEVELS = 4
RESAMPLES = 100  # bootstrap resamples of SALib's confidence intervals
LEVEL = 0.95
TAIL_SHARE = 0.5  # noted when the farthest 1% of runs hold more of an outcome's variance
ANALYSIS_CHILD = DESIGN_CHILD + 1  # seeds the bootstrap; no run uses it (see DESIGN_CHILD)
COLUMNS = {
    "sobol": ("S1", "S1_conf", "ST", "ST_conf"),
    "morris": ("mu_star", "mu_star_conf", "sigma"),
}


class SensitivityError(DiplosimError, ValueError):
    """A sensitivity analysis or scenario discovery was asked for something it cannot do."""


def known_outcomes(scenario: Scenario) -> list[str]:
    """The metrics every run of *scenario* gives, the relations of its focus pairs included."""
    return [*METRICS, *(f"relations:{a}-{b}" for a, b in scenario.focus.pairs())]


def outcomes(scenario: Scenario, names: Sequence[str] | None = None) -> tuple[str, ...]:
    """*names* checked against the metrics of *scenario*; by default its `[outputs] metrics`,
    else `HEADLINE`."""
    chosen = tuple(names or scenario.outputs or HEADLINE)
    known = known_outcomes(scenario)
    for name in chosen:
        if name not in known:
            raise SensitivityError(f"unknown outcome {name!r} (one of {', '.join(known)})")
    return chosen


def problem(scenario: Scenario) -> dict[str, Any]:
    """The SALib problem of *scenario*'s `[uncertainties]`: each factor on [0, 1], grouped as
    `Uncertainties.factors` says, and last the `CHANCE` factor."""
    where = scenario.source_path or scenario.name
    given = scenario.uncertainties
    if not given:
        raise SensitivityError(f"{where}: the scenario has no [uncertainties]: nothing to vary")
    if given.fit is not None and given.draws == "posterior":
        raise SensitivityError(
            f'{where}: [uncertainties] draws = "posterior" picks whole draws, which are no '
            'factors to vary one at a time: use draws = "laplace"'
        )
    factors = [*given.factors(), ("chance", CHANCE)]
    return {
        "num_vars": len(factors),
        "names": [name for name, _ in factors],
        "groups": [group for _, group in factors],
        "bounds": [[0.0, 1.0]] * len(factors),
    }


def check(method: str, samples: int) -> None:
    """Refuse an unknown *method*, or a number of *samples* it cannot use."""
    if method not in METHODS:
        raise SensitivityError(f"unknown method {method!r} (one of {', '.join(METHODS)})")
    if method == "sobol" and (samples < 2 or samples & (samples - 1)):
        raise SensitivityError(f"Sobol' needs a power of 2 samples, e.g. 128 (got {samples})")
    if method == "morris" and samples < 2:
        raise SensitivityError(f"Morris needs at least 2 trajectories (got {samples})")


def run_count(spec: Mapping[str, Any], method: str, samples: int) -> int:
    """How many runs *method* makes of *samples*: N (groups + 2) for Sobol', N (groups + 1)
    for Morris."""
    groups = len(set(spec["groups"]))
    return samples * (groups + (2 if method == "sobol" else 1))


def sample(spec: Mapping[str, Any], method: str, samples: int, seed: Seed) -> np.ndarray:
    """SALib's points of the unit cube for *method*: Saltelli's scheme of *samples* base points
    (first and total order only) or *samples* Morris trajectories, the Morris levels moved to
    the middles of equal-probability bins (an end of a normal factor is infinite)."""
    from SALib.sample import morris as morris_sample
    from SALib.sample import sobol as sobol_sample

    check(method, samples)
    rng = np.random.default_rng(SeedRoot.of(seed).child(DESIGN_CHILD))
    if method == "sobol":
        return sobol_sample.sample(dict(spec), samples, calc_second_order=False, seed=rng)
    return morris_sample.sample(dict(spec), samples, num_levels=MORRIS_LEVELS, seed=rng)


def at(scenario: Scenario, method: str, u: np.ndarray) -> list[Parameters]:
    """The parameter sets at SALib's points *u* (the chance column dropped)."""
    u = np.asarray(u, dtype=float)[:, :-1]
    if method == "morris":
        u = (u * (MORRIS_LEVELS - 1) + 0.5) / MORRIS_LEVELS
    return scenario.uncertainties.at(u, scenario.dynamics, scenario.name)


def run_sets(
    scenario: Scenario,
    params: Sequence[Parameters],
    seed: Seed,
    *,
    workers: int | None = None,
    simulate: Callable | None = None,
) -> dict[str, tuple[str | None, np.ndarray | None]]:
    """Run *scenario* once under each of *params* (an ensemble whose run *i* has set *i*), on
    *workers* processes (default: all cores; the results do not depend on it): each metric as
    (kind, values): dates in days since 1970, NaN where a run gave None, no values for text."""
    ensemble = run_ensemble(
        scenario,
        len(params),
        seed,
        workers=workers,
        days=[],
        simulate=simulate,
        params=params,
        progress=False,
    )
    return {name: _as_numbers(column) for name, column in ensemble.results.items()}


def _as_numbers(column: pd.Series) -> tuple[str | None, np.ndarray | None]:
    if pd.api.types.is_bool_dtype(column.dtype):
        return "bool", column.astype(float).to_numpy(dtype=float, na_value=np.nan)
    if pd.api.types.is_datetime64_any_dtype(column.dtype):
        days = column.to_numpy().astype("datetime64[D]").astype(np.int64).astype(float)
        return "date", np.where(column.isna().to_numpy(), np.nan, days)
    if pd.api.types.is_numeric_dtype(column.dtype):
        return "number", column.to_numpy(dtype=float, na_value=np.nan)
    return "text", None


def measure(name: str, kind: str | None, values: np.ndarray | None) -> tuple[np.ndarray, str]:
    """The outcome *name* as numbers to analyse and what they measure: a bool as 0/1, a date
    as whether there is one, a number as itself. A `SensitivityError` says why it cannot be
    analysed (text, missing in some runs, the same in every run)."""
    if kind == "text" or values is None:
        raise SensitivityError(f"{name} is {'text' if kind == 'text' else 'never given'}")
    if kind == "date":
        y, unit = (~np.isnan(values)).astype(float), "has a date (0/1)"
    elif np.isnan(values).any():
        raise SensitivityError(f"{name} has no value in {int(np.isnan(values).sum())} runs")
    else:
        y, unit = values, "0/1" if kind == "bool" else "value"
    if np.ptp(y) == 0:
        raise SensitivityError(f"{name} is {y[0]:g} in every run")
    return y, unit


def indices(
    scenario: Scenario,
    method: str = "sobol",
    samples: int = 128,
    names: Sequence[str] | None = None,
    seed: Seed = 0,
    *,
    workers: int | None = None,
    simulate: Callable | None = None,
) -> pd.DataFrame:
    """Sensitivity indices of the outcomes *names* (see `outcomes`) of *scenario* by *method*,
    one row per outcome and factor group, the largest effect (`ST`, `mu_star`) first.

    Sobol': `S1` (the share of the outcome's variance the group explains alone) and `ST`
    (with its interactions), with SALib's bootstrap half-widths `S1_conf`, `ST_conf`. Morris:
    `mu_star`, the mean absolute change of the outcome when the group steps by half its
    probability range, `mu_star_conf`, and `sigma`, the spread of those changes (SALib gives
    it for single-factor groups only). `attrs` carry `method`, `samples`, `runs`, `seed`,
    `units` (what each outcome measures), `skipped` (outcome: why) and `notes` (outcome: a
    variance held by a few runs)."""
    wanted = outcomes(scenario, names)
    spec = problem(scenario)
    if seed is None:  # drawn once, so the design, the runs and the bootstrap share it
        seed = SeedRoot.of(None).entropy
    u = sample(spec, method, samples, seed)
    metrics = run_sets(scenario, at(scenario, method, u), seed, workers=workers, simulate=simulate)
    rows: list[dict[str, Any]] = []
    units, skipped, notes = {}, {}, {}
    analysis_seed = int(SeedRoot.of(seed).child(ANALYSIS_CHILD).generate_state(1)[0]) + 1
    sizes = pd.Series(spec["groups"]).value_counts()
    for name in wanted:
        try:
            y, units[name] = measure(name, *metrics.get(name, (None, None)))
        except SensitivityError as exc:
            skipped[name] = str(exc)
            continue
        few = _tail_share(y)
        if few > TAIL_SHARE:
            notes[name] = (
                f"{few:.0%} of its variance is in the 1% of runs farthest from the mean: "
                "its indices follow those runs"
            )
        found = _analyse(spec, method, u, y, analysis_seed)
        for group, values in found.items():
            rows.append({"outcome": name, "group": group, "factors": int(sizes[group]), **values})
    frame = pd.DataFrame(rows, columns=["outcome", "group", "factors", *COLUMNS[method]])
    if len(frame):
        key = "ST" if method == "sobol" else "mu_star"
        frame = frame.sort_values(
            ["outcome", key], ascending=[True, False], key=_outcome_order(wanted)
        ).reset_index(drop=True)
    frame.attrs.update(
        method=method,
        samples=samples,
        runs=len(u),
        seed=seed,
        units=units,
        skipped=skipped,
        notes=notes,
    )
    return frame


def _tail_share(y: np.ndarray) -> float:
    """The share of *y*'s sum of squared deviations held by its farthest 1% of runs."""
    squares = np.sort((y - y.mean()) ** 2)[::-1]
    return float(squares[: max(1, len(y) // 100)].sum() / squares.sum())


def _outcome_order(wanted: Sequence[str]) -> Callable[[pd.Series], pd.Series]:
    """A sort key keeping the outcomes in the order asked for."""
    place = {name: i for i, name in enumerate(wanted)}
    return lambda column: column.map(place) if column.name == "outcome" else column


def _analyse(
    spec: Mapping[str, Any], method: str, u: np.ndarray, y: np.ndarray, seed: int
) -> dict[str, dict[str, float]]:
    """SALib's indices of *y* by group."""
    from SALib.analyze import morris, sobol

    groups = list(pd.unique(np.asarray(spec["groups"])))
    if method == "sobol":
        found = sobol.analyze(
            dict(spec),
            y,
            calc_second_order=False,
            num_resamples=RESAMPLES,
            conf_level=LEVEL,
            seed=seed,
        )
        return {g: {k: float(found[k][i]) for k in COLUMNS["sobol"]} for i, g in enumerate(groups)}
    found = morris.analyze(
        dict(spec),
        u,
        y,
        num_resamples=RESAMPLES,
        conf_level=LEVEL,
        num_levels=MORRIS_LEVELS,
        seed=seed,
    )
    # SALib divides each change by the step on its grid; the step here is half the range
    step = MORRIS_LEVELS / (2 * (MORRIS_LEVELS - 1))
    return {
        g: {k: float(found[k][i]) * step for k in COLUMNS["morris"]} for i, g in enumerate(groups)
    }


def plot(frame: pd.DataFrame) -> Figure:
    """Bars of each group's index (Sobol': total effect, first order inside; Morris: mu_star)
    with their confidence half-widths, one panel per outcome."""
    sobol = frame.attrs.get("method", "sobol") == "sobol"
    names = list(pd.unique(frame["outcome"]))
    cols = min(len(names), 3)
    rows = math.ceil(len(names) / cols)
    groups = frame["group"].nunique()
    figure = Figure(figsize=(4.2 * cols + 1.6, (0.17 * groups + 1.0) * rows), layout="constrained")
    axes = figure.subplots(rows, cols, squeeze=False).ravel()
    for ax, name in zip(axes, names, strict=False):
        part = frame[frame["outcome"] == name].iloc[::-1]
        ticks = np.arange(len(part))
        colours = ["#7f7f7f" if g == CHANCE else "#1f77b4" for g in part["group"]]
        bars = {"error_kw": {"elinewidth": 0.6, "ecolor": "#555555"}, "color": colours}
        key = "ST" if sobol else "mu_star"
        if sobol:
            ax.barh(ticks, part["ST"], xerr=part["ST_conf"], alpha=0.45, **bars)
            ax.barh(ticks, part["S1"], height=0.4, **bars)
            ax.set_xlabel("total effect ST (first order S1 inside)")
        else:
            ax.barh(ticks, part["mu_star"], xerr=part["mu_star_conf"], **bars)
            ax.set_xlabel("mu* (outcome change per step)")
        floor = part.loc[part["group"] == CHANCE, key]
        if len(floor):  # what chance alone gives: groups near it are not told apart from it
            ax.axvline(float(floor.iloc[0]), color="#7f7f7f", linestyle="--", linewidth=0.8)
        ax.set_yticks(ticks, part["group"], fontsize=7)
        ax.set_title(name.replace("_", " "), fontsize=10)
        ax.axvline(0.0, color="black", linewidth=0.6)
    for ax in axes[len(names) :]:
        ax.set_visible(False)
    return figure


def write(frame: pd.DataFrame, out: str | Path) -> list[Path]:
    """`sensitivity.csv` (the frame) and `sensitivity.png` (`plot`) into the folder *out*."""
    return write_files(
        out,
        {
            "sensitivity.csv": lambda path: frame.to_csv(path, index=False),
            "sensitivity.png": lambda path: plot(frame).savefig(path, dpi=110, format="png"),
        },
    )
