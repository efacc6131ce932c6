"""Figures: relations fan charts, probabilities over time and distributions of ensembles, and
relations indices day by day.

Each function returns a matplotlib `Figure` built without pyplot, so nothing depends on a global
backend: a notebook displays the figure, `report.write_report` and the command line save it as
PNG. The functions of ensembles take them with the first as the baseline.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

import numpy as np
import pandas as pd
from matplotlib.dates import AutoDateLocator, ConciseDateFormatter
from matplotlib.figure import Figure
from matplotlib.ticker import StrMethodFormatter

from simulator.ensemble import Ensemble
from simulator.summary import z_value

RELATIONS_PREFIX = "relations"
# The metrics the standard plots read, each the first of its names that the results have.
WAR_METRICS = ("war_resumed_on", "war_resumed_date")
REINTEGRATION_METRICS = ("reintegration_completed_on", "reintegration_completed")
DISPLACED_METRICS = ("displaced_total", "displaced_at_horizon", "displaced")  # every one there
BANDS = ((0.05, 0.95), (0.25, 0.75))
COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2")


def find_metric(ensembles: Sequence[Ensemble], names: Sequence[str]) -> str | None:
    """The first of *names* that is a column of any ensemble's results, or None."""
    for name in names:
        if any(name in ensemble.results.columns for ensemble in ensembles):
            return name
    return None


def relations_series(ensembles: Sequence[Ensemble]) -> list[str]:
    """The relations-index series of the ensembles, in first-seen order."""
    names: list[str] = []
    for ensemble in ensembles:
        for name in ensemble.series:
            if name.startswith(RELATIONS_PREFIX) and name not in names:
                names.append(name)
    return names


def fan_chart(ensembles: Sequence[Ensemble], names: Sequence[str] | None = None) -> Figure:
    """Median and 50% / 90% bands of each relations index (rows) for each scenario (columns)."""
    names = list(names or relations_series(ensembles))
    if not names:
        raise ValueError("no relations series to plot")
    rows, cols = len(names), len(ensembles)
    figure = Figure(figsize=(3.6 * cols + 0.6, 2.4 * rows + 0.8), layout="constrained")
    axes = figure.subplots(rows, cols, sharex=True, sharey="row", squeeze=False)
    for col, (ensemble, colour) in enumerate(zip(ensembles, _colours(ensembles), strict=True)):
        dates = ensemble.dates
        for row, name in enumerate(names):
            ax = axes[row][col]
            values = ensemble.series.get(name)
            if values is None or not np.isfinite(values).any():
                ax.text(0.5, 0.5, "not in this scenario", ha="center", transform=ax.transAxes)
            else:
                for alpha, (low, high) in zip((0.18, 0.35), BANDS, strict=True):
                    lo, hi = np.nanquantile(values, [low, high], axis=0)
                    ax.fill_between(dates, lo, hi, color=colour, alpha=alpha, linewidth=0)
                ax.plot(dates, np.nanmedian(values, axis=0), color=colour, linewidth=1.6)
            ax.axhline(0.0, color="grey", linewidth=0.6)
            if row == 0:
                ax.set_title(ensemble.name, fontsize=10)
            if col == 0:
                ax.set_ylabel(_label(name), fontsize=9)
            ax.tick_params(labelsize=8)
            _date_axis(ax)
    figure.suptitle("Relations index: median, 50% and 90% of runs", fontsize=11)
    return figure


def onset_probability(
    ensembles: Sequence[Ensemble], metric: str, title: str, level: float = 0.95
) -> Figure:
    """P(the date *metric* has been reached by day d) for each scenario, with Wilson bands."""
    figure = Figure(figsize=(8, 4.2), layout="constrained")
    ax = figure.subplots()
    z = z_value(level)
    for ensemble, colour in zip(ensembles, _colours(ensembles), strict=True):
        days, probability, low, high = cumulative_probability(ensemble, metric, z)
        ax.fill_between(days, low, high, color=colour, alpha=0.2, linewidth=0)
        ax.plot(days, probability, color=colour, label=ensemble.name, linewidth=1.6)
    ax.set_ylim(-0.02, 1.02)
    _date_axis(ax)
    ax.set_ylabel("probability")
    ax.set_title(f"{title} ({level:.0%} interval shaded)", fontsize=11)
    ax.legend(fontsize=8, loc="best")
    ax.grid(alpha=0.3)
    return figure


def cumulative_probability(
    ensemble: Ensemble, metric: str, z: float = 1.96
) -> tuple[pd.DatetimeIndex, np.ndarray, np.ndarray, np.ndarray]:
    """Daily from the branch date to the horizon: the share of runs whose date *metric* is on
    or before that day, with a Wilson interval (a missing metric or date: not reached)."""
    days = pd.date_range(ensemble.branch, ensemble.horizon, freq="D")
    n = ensemble.runs
    column = ensemble.results.get(metric)
    if column is not None and pd.api.types.is_datetime64_any_dtype(column.dtype):
        reached = np.sort(column.dropna().to_numpy().astype("datetime64[D]"))
    else:
        reached = np.array([], dtype="datetime64[D]")
    counts = np.searchsorted(reached, days.to_numpy().astype("datetime64[D]"), side="right")
    p = counts / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return days, p, np.clip(centre - half, 0, p), np.clip(centre + half, p, 1)


def distribution(ensembles: Sequence[Ensemble], metrics: Sequence[str]) -> Figure:
    """Histograms of counts (e.g. people displaced), one panel per metric, one outline per
    scenario, medians dashed."""
    metrics = [m for m in metrics if any(len(numbers(e, m)) for e in ensembles)]
    if not metrics:
        raise ValueError("no values to plot")
    figure = Figure(figsize=(8, 3.4 * len(metrics) + 0.4), layout="constrained")
    axes = figure.subplots(len(metrics), 1, squeeze=False)[:, 0]
    for ax, metric in zip(axes, metrics, strict=True):
        samples = [numbers(ensemble, metric) for ensemble in ensembles]
        pooled = np.concatenate(samples)
        low, high = pooled.min(), pooled.max()
        if low == high:  # one value in every run: a bar of visible width around it
            low, high = low - max(1.0, abs(low) * 0.01), high + max(1.0, abs(high) * 0.01)
        bins = np.linspace(low, high, min(40, max(5, len(np.unique(pooled)))) + 1)
        colours = _colours(ensembles)
        for ensemble, values, colour in zip(ensembles, samples, colours, strict=True):
            if not len(values):
                continue
            weights = np.full(len(values), 1.0 / len(values))
            for style, alpha in (("stepfilled", 0.25), ("step", 1.0)):
                ax.hist(values, bins, weights=weights, histtype=style, alpha=alpha, color=colour)
            median = float(np.median(values))
            ax.axvline(median, color=colour, linestyle="--", linewidth=1.2)
            ax.plot([], [], color=colour, label=f"{ensemble.name} (median {median:,.0f})")
        ax.xaxis.set_major_formatter(StrMethodFormatter("{x:,.0f}"))
        ax.set_xlabel(metric.replace("_", " "))
        ax.set_ylabel("share of runs")
        ax.legend(fontsize=8)
        ax.grid(alpha=0.3)
    figure.suptitle("People displaced: distribution over runs", fontsize=11)
    return figure


def relations_lines(
    series: Mapping[str, Sequence[float]], days: Sequence[date], title: str
) -> Figure:
    """One line per named daily relations index in *series* over *days*, on one axis."""
    figure = Figure(figsize=(10, 4.5), layout="constrained")
    ax = figure.subplots()
    for name, values in series.items():
        ax.plot(days, values, label=name, linewidth=1.2)
    ax.axhline(0.0, color="grey", linewidth=0.6)
    ax.set_title(title)
    ax.set_ylabel("decayed sum of Goldstein weights")
    ax.legend(loc="best", fontsize="small")
    locator = AutoDateLocator()
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(ConciseDateFormatter(locator))
    return figure


def numbers(ensemble: Ensemble, metric: str) -> np.ndarray:
    """The values of the number *metric* over the runs that have one."""
    column = ensemble.results.get(metric)
    if column is None or not pd.api.types.is_numeric_dtype(column.dtype):
        return np.array([], dtype=np.float64)
    return column.dropna().to_numpy(dtype=np.float64)


def _date_axis(ax) -> None:
    locator = AutoDateLocator(maxticks=6)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(ConciseDateFormatter(locator))


def _colours(ensembles: Sequence[Ensemble]) -> list[str]:
    return [COLOURS[i % len(COLOURS)] for i in range(len(ensembles))]


def _label(name: str) -> str:
    pair = name[len(RELATIONS_PREFIX) :].lstrip(":._ ")
    return f"relations {pair}" if pair else "relations"
