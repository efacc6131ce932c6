"""Static figures for the command line: relations indices day by day (`replay --plot`,
`relations --plot`). The report's charts are interactive (`simulator.charts`).

The function returns a matplotlib `Figure` built without pyplot, so nothing depends on a global
backend: the command line saves it in the format its file's suffix names.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

from matplotlib.dates import AutoDateLocator, ConciseDateFormatter
from matplotlib.figure import Figure


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
