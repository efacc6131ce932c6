"""Interactive charts of ensembles (plotly): every scenario overlaid on one axis per outcome.

A reader hovers for values and clicks a legend entry to hide or show a scenario. A chart is
drawn only when it carries something: the runs of some scenario disagree, or the scenarios
differ from each other; a series every run and every scenario agree on is left out (it is
in the tables). Bands are the 5-95% range of the runs (chance, and the parameters when the
scenario draws them); lines are medians, or for "by date" charts the share of runs.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from simulator.ensemble import Ensemble
from simulator.glossary import describe

COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2")
ONSETS = ("war_resumed_on", "peace_agreement_on", "reintegration_completed_on")
SERIES = ("displaced", "population", "peacekeepers", "control", "reintegration")


def colour(index: int) -> str:
    return COLOURS[index % len(COLOURS)]


def report_charts(ensembles: Sequence[Ensemble], scenario=None) -> list[tuple[str, go.Figure]]:
    """The charts worth drawing for *ensembles*, as (title, figure)."""
    charts = []
    for metric in ONSETS:
        figure = onset(ensembles, metric)
        if figure is not None:
            charts.append((figure.layout.title.text, figure))
    names = list(dict.fromkeys(n for e in ensembles for n in e.series))
    for name in [n for n in names if n.startswith("relations:")] + list(SERIES):
        figure = band(ensembles, name, scenario)
        if figure is not None:
            charts.append((figure.layout.title.text, figure))
    return charts


def onset(ensembles: Sequence[Ensemble], metric: str) -> go.Figure | None:
    """The share of runs in which *metric* (a date) has come by each day, per scenario."""
    traces = []
    informative = False
    for index, ensemble in enumerate(ensembles):
        if metric not in ensemble.results:
            continue
        values = pd.to_datetime(ensemble.results[metric])
        dates = ensemble.dates
        came = np.sort(values.dropna().to_numpy(dtype="datetime64[s]"))
        reached = np.searchsorted(came, dates.to_numpy(dtype="datetime64[s]"), side="right")
        share = reached / max(len(values), 1)
        informative |= bool(len(came))
        traces.append(
            go.Scatter(
                x=dates,
                y=share,
                name=ensemble.name,
                mode="lines",
                line={"shape": "hv", "color": colour(index)},
                hovertemplate="%{x|%Y-%m-%d}: %{y:.1%}<extra>" + _hover(ensemble.name) + "</extra>",
            )
        )
    if not informative:
        return None
    term = describe(metric)
    title = f"{term.event or term.name}: share of runs by date"
    return _figure(traces, title, "share of runs", percent=True)


def band(ensembles: Sequence[Ensemble], name: str, scenario=None) -> go.Figure | None:
    """Median and 5-95% band of series *name* over time, per scenario; None when it carries
    nothing (every run of every scenario the same)."""
    traces = []
    medians = []
    spread = False
    for index, ensemble in enumerate(ensembles):
        values = ensemble.series.get(name)
        if values is None or np.isnan(values).all():
            continue
        with np.errstate(all="ignore"):
            low, mid, high = np.nanquantile(values.astype(float), [0.05, 0.5, 0.95], axis=0)
        spread |= bool(np.nanmax(high - low) > 0)
        medians.append(pd.Series(mid, index=ensemble.dates))
        dates = list(ensemble.dates)
        tint = colour(index)
        traces.append(
            go.Scatter(
                x=dates + dates[::-1],
                y=list(high) + list(low[::-1]),
                fill="toself",
                fillcolor=_transparent(tint),
                line={"width": 0},
                hoverinfo="skip",
                legendgroup=ensemble.name,
                showlegend=False,
                name=f"{ensemble.name} 5-95%",
            )
        )
        traces.append(
            go.Scatter(
                x=dates,
                y=mid,
                name=ensemble.name,
                legendgroup=ensemble.name,
                mode="lines",
                line={"color": tint},
                hovertemplate="%{x|%Y-%m-%d}: %{y:,.3g}<extra>"
                + _hover(ensemble.name)
                + "</extra>",
            )
        )
    if not traces or not (spread or _differ(medians)):
        return None
    term = describe(name, scenario)
    return _figure(traces, f"{term.name} ({term.unit}): median and 5-95% of runs", term.unit)


def _differ(medians: list[pd.Series]) -> bool:
    """Whether the scenarios' medians differ on some day they share."""
    if len(medians) < 2:
        return False
    joined = pd.concat(medians, axis=1, join="inner")
    return bool(len(joined) and (joined.max(axis=1) - joined.min(axis=1)).max() > 0)


def _figure(traces: list, title: str, unit: str, percent: bool = False) -> go.Figure:
    figure = go.Figure(traces)
    figure.update_layout(
        title={"text": title},
        template="plotly_white",
        height=380,
        margin={"l": 60, "r": 20, "t": 50, "b": 40},
        legend={"orientation": "h", "y": -0.15},
        xaxis={"title": None},
        yaxis={"title": unit, "tickformat": ".0%" if percent else None},
        hovermode="x unified",
    )
    return figure


def _transparent(hex_colour: str, alpha: float = 0.18) -> str:
    red, green, blue = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({red},{green},{blue},{alpha})"


def _hover(name: str) -> str:
    """A scenario name safe inside plotly's hover template (which reads %{...} and <...>)."""
    return name.replace("%", "%%").replace("<", "&lt;").replace(">", "&gt;")
