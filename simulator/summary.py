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
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from statistics import NormalDist

import numpy as np
import pandas as pd

QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
QUANTILE_COLUMNS = tuple(f"p{round(q * 100):02d}" for q in QUANTILES)
COLUMNS = ("kind", "n", "estimate", "low", "high", "mean", *QUANTILE_COLUMNS)
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


def median_interval(ordered: np.ndarray, level: float = 0.95) -> tuple[float, float]:
    """Distribution-free interval of the median of the sorted sample *ordered*.

    The order statistics of ranks floor((n - z sqrt n) / 2) and ceil(1 + (n + z sqrt n) / 2)
    (1-based, clipped to the sample) cover the true median with probability ~ *level*.
    """
    n = len(ordered)
    if n == 0:
        return math.nan, math.nan
    z = z_value(level)
    low = max(1, math.floor((n - z * math.sqrt(n)) / 2))
    high = min(n, math.ceil(1 + (n + z * math.sqrt(n)) / 2))
    return float(ordered[low - 1]), float(ordered[high - 1])


def summarize(results: pd.DataFrame, level: float = 0.95) -> pd.DataFrame:
    """One row per (metric, statistic) of *results* (one row per run, one column per metric).

    bool -> `probability`; number -> `median` (with mean and quantiles over runs that have a
    value); date -> `probability` that it has a value and `median` date; a column with no
    value in any run -> `probability` 0 (the event it dates never happened). Text is skipped.
    """
    rows: dict[tuple[str, str], dict] = {}
    for name in results.columns:
        column = results[name]
        if pd.api.types.is_bool_dtype(column.dtype):
            present = column.dropna().astype(bool)
            rows[name, PROBABILITY] = _probability(int(present.sum()), len(present), level)
        elif pd.api.types.is_datetime64_any_dtype(column.dtype):
            rows[name, PROBABILITY] = _probability(int(column.notna().sum()), len(column), level)
            days = column.dropna().to_numpy().astype("datetime64[D]").astype(np.int64)
            rows[name, MEDIAN] = _as_dates(_spread(days, level, "inverted_cdf"))
        elif pd.api.types.is_numeric_dtype(column.dtype):
            values = column.dropna().to_numpy(dtype=np.float64)
            if len(values):
                rows[name, MEDIAN] = {"kind": "number", **_spread(values, level, "linear")}
            else:
                rows[name, PROBABILITY] = _probability(0, len(column), level)
    frame = pd.DataFrame.from_dict(rows, orient="index", columns=list(COLUMNS))
    frame.index = pd.MultiIndex.from_tuples(list(rows), names=["metric", "statistic"])
    frame["n"] = frame["n"].astype(np.int64)
    return frame


def _probability(successes: int, trials: int, level: float) -> dict:
    low, high = wilson(successes, trials, level)
    estimate = successes / trials if trials else math.nan
    return {"kind": "probability", "n": trials, "estimate": estimate, "low": low, "high": high}


def _spread(values: np.ndarray, level: float, method: str) -> dict:
    ordered = np.sort(values)
    row = {"n": len(ordered)}
    if not len(ordered):
        return row
    quantiles = np.quantile(ordered, QUANTILES, method=method)
    row.update(zip(QUANTILE_COLUMNS, (float(q) for q in quantiles), strict=True))
    row["estimate"] = row["p50"]
    row["low"], row["high"] = median_interval(ordered, level)
    row["mean"] = float(ordered.mean())
    return row


def _as_dates(row: dict) -> dict:
    dated = {"kind": "date", "n": row["n"]}
    for key in ("estimate", "low", "high", *QUANTILE_COLUMNS):
        if key in row:
            dated[key] = pd.Timestamp(np.datetime64(round(row[key]), "D"))
    return dated


def compare(summaries: Mapping[str, pd.DataFrame], level: float = 0.95) -> pd.DataFrame:
    """Each scenario's estimates beside the first one's, and the difference with its interval.

    *summaries* maps scenario name -> `summarize` frame, the first being the baseline. Rows:
    (scenario, metric, statistic); `diff`, `diff_low`, `diff_high` are the scenario minus the
    baseline (days for dates) and are empty for the baseline itself.
    """
    names = list(summaries)
    if not names:
        raise ValueError("nothing to compare: no summaries given")
    base = summaries[names[0]]
    rows = []
    for name in names:
        summary = summaries[name]
        for key, row in summary.iterrows():
            entry = {"scenario": name, "metric": key[0], "statistic": key[1]}
            entry.update({c: row[c] for c in ("kind", "n", "estimate", "low", "high")})
            entry["diff"] = entry["diff_low"] = entry["diff_high"] = math.nan
            if name != names[0] and key in base.index:
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
