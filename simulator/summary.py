"""Summary statistics of ensembles: probabilities with intervals, quantiles and differences.

The choices, each simple, free of resampling and documented in docs/ensembles.md:

- A yes/no outcome (a bool metric; "has a value" for a date) is a probability with a Wilson
  score interval: it stays inside [0, 1] and keeps its coverage near 0 and 1, where the
  plain normal (Wald) interval collapses to zero width.
- A number or a date is described by its quantiles (numpy's linear rule for numbers; for dates
  the observed date at that rank, numpy's `inverted_cdf`) and its median has a
  distribution-free interval between two order statistics (binomial ranks).
- Between two scenarios: a difference of probabilities gets Newcombe's hybrid score interval
  (the normal approximation built on the two Wilson intervals, so it too behaves at 0 and 1);
  a difference of medians gets a normal-approximation interval whose standard errors are read
  off each median's order-statistic interval (half its width / z), as Price and Bonett (2002).
  Both treat the scenarios as independent samples; with common random numbers (the same seed
  for every scenario) the true uncertainty of a difference is smaller, so they are cautious.
- With parameter uncertainty (`sets`: each run's parameter set, several runs a set) the runs
  of a set are not independent. A one-way random-effects analysis of variance of the outcome
  over the sets splits its variance into the part between sets (the parameters) and within
  them (chance): `param_share` is the parameters' share. The estimate's interval then uses
  the effective number of runs (n over the design effect), and `param_low`..`param_high` is
  the 5-95% range, over the parameter sets, of the outcome's mean (a probability, for yes/no)
  under each set, each set's mean shrunk towards the overall one by the method-of-moments
  factor that takes out the chance noise of its few runs.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from statistics import NormalDist

import attrs
import numpy as np
import pandas as pd

QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
QUANTILE_COLUMNS = tuple(f"p{round(q * 100):02d}" for q in QUANTILES)
PARAMETER_COLUMNS = ("param_low", "param_high", "param_share")
COLUMNS = ("kind", "n", "estimate", "low", "high", "mean", *QUANTILE_COLUMNS, *PARAMETER_COLUMNS)
PROBABILITY, MEDIAN = "probability", "median"


def z_value(level: float) -> float:
    """The two-sided standard normal quantile for a confidence *level* (0.95 -> 1.96)."""
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must be in (0, 1) (got {level!r})")
    return NormalDist().inv_cdf(0.5 + level / 2.0)


def wilson(successes: int, trials: int, level: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of a proportion *successes* / *trials* (NaNs when no trials)."""
    if trials == 0:
        return math.nan, math.nan
    z = z_value(level)
    p = successes / trials
    denominator = 1.0 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denominator
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denominator
    # clipped so that rounding never puts the estimate outside its own interval
    return max(0.0, min(p, centre - half)), min(1.0, max(p, centre + half))


def median_interval(
    ordered: np.ndarray, level: float = 0.95, design_effect: float = 1.0
) -> tuple[float, float]:
    """Distribution-free interval of the median of the sorted sample *ordered*.

    The order statistics of ranks floor((n - z sqrt n) / 2) and ceil(1 + (n + z sqrt n) / 2)
    (1-based, clipped to the sample) cover the true median with probability ~ *level*; for
    a clustered sample, sqrt n becomes sqrt(n x *design_effect*).
    """
    n = len(ordered)
    if n == 0:
        return math.nan, math.nan
    z = z_value(level)
    spread = z * math.sqrt(n * max(design_effect, 1.0))
    low = max(1, math.floor((n - spread) / 2))
    high = min(n, math.ceil(1 + (n + spread) / 2))
    return float(ordered[low - 1]), float(ordered[high - 1])


def summarize(
    results: pd.DataFrame, level: float = 0.95, sets: np.ndarray | None = None
) -> pd.DataFrame:
    """One row per (metric, statistic) of *results* (one row per run, one column per metric).

    bool -> `probability`; number -> `median` (with mean and quantiles over runs that have a
    value); date -> `probability` that it has a value and `median` date; a column with no
    value in any run -> `probability` 0 (the event it dates never happened). Text is skipped.
    With *sets* (each run's parameter set) the intervals allow for the runs of a set being
    alike, and the parameter columns are filled (see the module's docstring).
    """
    rows: dict[tuple[str, str], dict] = {}
    groups = None if sets is None else np.asarray(sets)
    for name in results.columns:
        column = results[name]
        if pd.api.types.is_bool_dtype(column.dtype):
            keep = column.notna().to_numpy()
            y = column[keep].astype(bool).to_numpy(dtype=float)
            rows[name, PROBABILITY] = _probability(
                int(y.sum()), len(y), level, _split(y, groups, keep)
            )
        elif pd.api.types.is_datetime64_any_dtype(column.dtype):
            y = column.notna().to_numpy(dtype=float)
            whole = np.ones(len(y), dtype=bool)
            rows[name, PROBABILITY] = _probability(
                int(y.sum()), len(y), level, _split(y, groups, whole)
            )
            days = column.dropna().to_numpy().astype("datetime64[D]").astype(np.int64)
            rows[name, MEDIAN] = _as_dates(_spread(days, level, "inverted_cdf"))
        elif pd.api.types.is_numeric_dtype(column.dtype):
            keep = column.notna().to_numpy()
            values = column[keep].to_numpy(dtype=np.float64)
            if len(values):
                split = _split(values, groups, keep)
                rows[name, MEDIAN] = {"kind": "number", **_spread(values, level, "linear", split)}
            else:
                rows[name, PROBABILITY] = _probability(0, len(column), level)
    frame = pd.DataFrame.from_dict(rows, orient="index", columns=list(COLUMNS))
    frame.index = pd.MultiIndex.from_tuples(list(rows), names=["metric", "statistic"])
    frame["n"] = frame["n"].astype(np.int64)
    return frame


@attrs.frozen
class Split:
    """An outcome's variance split over parameter sets: the design effect of the clustering,
    the parameters' share of the variance and the 5-95% range of the sets' shrunk means."""

    design_effect: float
    share: float
    low: float
    high: float

    def columns(self) -> dict:
        return {"param_low": self.low, "param_high": self.high, "param_share": self.share}


def variance_split(values: np.ndarray, sets: np.ndarray) -> Split | None:
    """One-way random-effects ANOVA of *values* grouped by *sets* (None with fewer than two
    sets or no set of two runs)."""
    labels, groups = np.unique(sets, return_inverse=True)
    counts = np.bincount(groups)
    k, n = len(labels), len(values)
    if k < 2 or n <= k:
        return None
    means = np.bincount(groups, weights=values) / counts
    grand = float(values.mean())
    between = float(counts @ (means - grand) ** 2) / (k - 1)
    within = float(((values - means[groups]) ** 2).sum()) / (n - k)
    size = (n - float(counts @ counts) / n) / (k - 1)  # the mean set size, for unequal sets
    sigma_b = max(0.0, (between - within) / size)
    total = sigma_b + within
    scale = float(np.abs(values).max())
    if total <= (1e-9 * scale) ** 2:  # a constant, up to rounding: nothing to split
        return Split(1.0, 0.0, grand, grand)
    share = sigma_b / total if total > 0 else 0.0
    # var(grand mean) with clustering is ~ between / n; without it, total / n
    design_effect = between / total if total > 0 else 1.0
    noisy = sigma_b + within / size
    shrink = math.sqrt(sigma_b / noisy) if noisy > 0 else 0.0
    shrunk = grand + shrink * (means - grand)
    low, high = np.quantile(shrunk, (0.05, 0.95))
    return Split(design_effect, share, float(low), float(high))


def _split(values: np.ndarray, sets: np.ndarray | None, keep: np.ndarray) -> Split | None:
    return None if sets is None else variance_split(values, sets[keep])


def _probability(successes: int, trials: int, level: float, split: Split | None = None) -> dict:
    effective = trials
    if split is not None and trials:
        effective = max(1, min(trials, round(trials / max(split.design_effect, 1e-9))))
    estimate = successes / trials if trials else math.nan
    low, high = wilson(round(estimate * effective) if trials else 0, effective, level)
    low, high = min(low, estimate), max(high, estimate)
    row = {"kind": "probability", "n": trials, "estimate": estimate, "low": low, "high": high}
    return row | (split.columns() if split is not None else {})


def _spread(values: np.ndarray, level: float, method: str, split: Split | None = None) -> dict:
    ordered = np.sort(values)
    row = {"n": len(ordered)}
    if not len(ordered):
        return row
    quantiles = np.quantile(ordered, QUANTILES, method=method)
    row.update(zip(QUANTILE_COLUMNS, (float(q) for q in quantiles), strict=True))
    row["estimate"] = row["p50"]
    effect = 1.0 if split is None else split.design_effect
    row["low"], row["high"] = median_interval(ordered, level, effect)
    row["mean"] = float(ordered.mean())
    return row | (split.columns() if split is not None else {})


def _as_dates(row: dict) -> dict:
    dated = {"kind": "date", "n": row["n"]}
    for key in ("estimate", "low", "high", *QUANTILE_COLUMNS):
        if key in row:
            dated[key] = pd.Timestamp(np.datetime64(round(row[key]), "D"))
    return dated


def compare(
    summaries: Mapping[str, pd.DataFrame],
    level: float = 0.95,
    against: Mapping[str, str | None] | None = None,
) -> pd.DataFrame:
    """Each scenario's estimates beside those of the scenario it is set against, and the
    difference with its interval.

    *summaries* maps scenario name -> `summarize` frame; *against* maps a name to the name of
    its baseline (None: none), by default the first scenario for every other one. Rows:
    (scenario, metric, statistic); `baseline` names what it is set against; `diff`,
    `diff_low`, `diff_high` are the scenario minus that baseline (days for dates), empty for
    a scenario set against none.
    """
    names = list(summaries)
    if not names:
        raise ValueError("nothing to compare: no summaries given")
    if against is None:
        against = {name: (None if i == 0 else names[0]) for i, name in enumerate(names)}
    rows = []
    for name in names:
        summary = summaries[name]
        base_name = against.get(name)
        base = None if base_name is None else summaries[base_name]
        for key, row in summary.iterrows():
            entry = {"scenario": name, "metric": key[0], "statistic": key[1]}
            entry.update({c: row[c] for c in ("kind", "n", "estimate", "low", "high")})
            entry.update({c: row[c] for c in (*QUANTILE_COLUMNS, *PARAMETER_COLUMNS)})
            entry["baseline"] = base_name
            entry["diff"] = entry["diff_low"] = entry["diff_high"] = math.nan
            if base is not None and key in base.index:
                diff = difference(base.loc[key], row, level)
                entry["diff"], entry["diff_low"], entry["diff_high"] = diff
            rows.append(entry)
    frame = pd.DataFrame(rows)
    return frame.set_index(["scenario", "metric", "statistic"])


def difference(base: pd.Series, other: pd.Series, level: float = 0.95) -> tuple[float, ...]:
    """*other* minus *base* (two summary rows) with its interval; NaNs when undefined."""
    if base["kind"] != other["kind"] or base["n"] == 0 or other["n"] == 0:
        return math.nan, math.nan, math.nan
    if base["kind"] == "probability":
        return newcombe(base, other)
    z = z_value(level)
    values = [_number(row[c]) for row in (base, other) for c in ("estimate", "low", "high")]
    b, b_low, b_high, o, o_low, o_high = values
    if any(math.isnan(v) for v in values):
        return math.nan, math.nan, math.nan
    se = math.hypot((b_high - b_low) / (2 * z), (o_high - o_low) / (2 * z))
    return o - b, o - b - z * se, o - b + z * se


def newcombe(base: pd.Series, other: pd.Series) -> tuple[float, float, float]:
    """Newcombe's hybrid score interval of p_other - p_base from the two Wilson intervals."""
    p1, l1, u1 = base["estimate"], base["low"], base["high"]
    p2, l2, u2 = other["estimate"], other["low"], other["high"]
    d = p2 - p1
    low = d - math.sqrt((p2 - l2) ** 2 + (u1 - p1) ** 2)
    high = d + math.sqrt((u2 - p2) ** 2 + (p1 - l1) ** 2)
    return d, low, high


def _number(value) -> float:
    """Floats as they are, dates as days since 1970-01-01 (so differences are in days)."""
    if isinstance(value, pd.Timestamp):
        return float((value - pd.Timestamp("1970-01-01")).days)
    if value is None or value is pd.NaT:
        return math.nan
    return float(value)
