"""Reports of ensembles: terminal tables, and a folder of CSV files, PNG plots and index.html.

The statistics come from `simulator.summary`, the figures from `simulator.plots`; this module
only lays them out.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from pathlib import Path

import attrs
import pandas as pd
from rich.table import Table

from simulator import plots
from simulator.ensemble import Ensemble
from simulator.summary import compare, summarize
from simulator.terminal import cell


def format_value(kind: str, value, decimals: int | None = None) -> str:
    """A summary value as text: probabilities to 3 places, dates as ISO, numbers to *decimals*
    places (default: three significant digits, at least the units)."""
    if value is None or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat()
    if kind == "probability":
        return f"{value:.3f}"
    places = _decimals(value) if decimals is None else decimals
    return f"{value:,.{places}f}"


def format_estimate(kind: str, estimate, low, high) -> str:
    """`0.421 [0.390, 0.452]`, the interval to the estimate's precision."""
    if format_value(kind, estimate) == "-":
        return "-"
    places = _decimals(estimate) if kind == "number" else None
    parts = (format_value(kind, v, places) for v in (estimate, low, high))
    return "{} [{}, {}]".format(*parts)


def format_difference(
    kind: str, diff: float, low: float, high: float, places: int | None = None
) -> str:
    """`+0.120 [+0.080, +0.160]`, in days for dates, numbers to *places*; `-` when undefined."""
    if math.isnan(diff):
        return "-"
    if kind == "probability":
        return f"{diff:+.3f} [{low:+.3f}, {high:+.3f}]"
    if kind == "date":
        return f"{diff:+,.0f} d [{low:+,.0f}, {high:+,.0f}]"
    places = _decimals(max(abs(low), abs(high))) if places is None else places
    return f"{diff:+,.{places}f} [{low:+,.{places}f}, {high:+,.{places}f}]"


def _decimals(value: float) -> int:
    """Places that show three significant digits of *value* (none past the units above 100)."""
    size = abs(float(value))
    if size == 0 or not math.isfinite(size):
        return 0
    return int(min(6, max(0, 2 - math.floor(math.log10(size)))))


def comparison(
    ensembles: Sequence[Ensemble], level: float = 0.95, metrics: Sequence[str] | None = None
) -> pd.DataFrame:
    """`summary.compare` of the ensembles' summaries (the first is the baseline), of *metrics*
    only when given (a scenario's `[outputs] metrics`)."""
    summaries = {}
    for ensemble in _unique(ensembles):
        results = ensemble.results
        if metrics:
            results = results[[m for m in results.columns if m in set(metrics)]]
        sets = None if ensemble.parameters is None else ensemble.parameters["set"].to_numpy()
        summaries[ensemble.name] = summarize(results, level, sets)
    return compare(summaries, level)


def comparison_rows(table: pd.DataFrame) -> tuple[list[str], list[list[str]]]:
    """A `comparison` frame as text: a header and one row per (metric, statistic), each
    scenario's estimate with its interval, then each other scenario's difference to the first;
    for a scenario with parameter uncertainty, a column of what the parameters do (the 5-95%
    range over parameter sets, and their share of the variance)."""
    names = list(dict.fromkeys(table.index.get_level_values("scenario")))
    uncertain = [n for n in names if _has_parameters(table, n)]
    header = [
        "metric",
        "statistic",
        *names,
        *(f"{n}: over parameters" for n in uncertain),
        *(f"{n} - {names[0]}" for n in names[1:]),
    ]
    keys = list(dict.fromkeys((m, s) for _, m, s in table.index))
    rows = []
    for metric, statistic in keys:
        cells, diffs = [], []
        for name in names:
            key = (name, metric, statistic)
            if key not in table.index:
                cells.append("-")
                diffs.append("-")
                continue
            row = table.loc[key]
            cells.append(format_estimate(row["kind"], row["estimate"], row["low"], row["high"]))
            places = _decimals(row["estimate"]) if row["kind"] == "number" else None
            diffs.append(
                format_difference(
                    row["kind"], row["diff"], row["diff_low"], row["diff_high"], places
                )
            )
        spreads = [_over_parameters(table, (n, metric, statistic)) for n in uncertain]
        rows.append([metric, statistic, *cells, *spreads, *diffs[1:]])
    return header, rows


def _has_parameters(table: pd.DataFrame, name: str) -> bool:
    if "param_share" not in table.columns:
        return False
    return bool(table.xs(name, level="scenario")["param_share"].notna().any())


def _over_parameters(table: pd.DataFrame, key: tuple) -> str:
    """`0.05-0.71, 64% of variance` for one row, `-` when it has none."""
    if key not in table.index:
        return "-"
    row = table.loc[key]
    share = row.get("param_share")
    if share is None or pd.isna(share):
        return "-"
    kind = "probability" if row["kind"] == "probability" else "number"
    low, high = (format_value(kind, row[c]) for c in ("param_low", "param_high"))
    return f"{low} to {high}, {share:.0%} of variance"


def rich_table(table: pd.DataFrame, level: float = 0.95, title: str | None = None) -> Table:
    """The comparison (or a single scenario's summary through `comparison`) for the terminal."""
    header, rows = comparison_rows(table)
    caption = f"estimate [{level:.0%} interval of the estimate]; dates as YYYY-MM-DD"
    if any(h.endswith(": over parameters") for h in header):
        caption += (
            "; with parameter uncertainty, each run draws a parameter set, so the estimate "
            "covers chance and the parameters; 'over parameters' is the 5-95% range of the "
            "outcome's mean (probability) over parameter sets and the parameters' share of "
            "the outcome's variance (the rest is chance)"
        )
    out = Table(title=cell(title) if title else None, caption=caption)
    for index, name in enumerate(header):
        out.add_column(cell(name), justify="left" if index < 2 else "right", overflow="fold")
    for row in rows:
        out.add_row(*(cell(c) for c in row))
    return out


def write_report(
    ensembles: Sequence[Ensemble],
    out: str | Path,
    level: float = 0.95,
    metrics: Sequence[str] | None = None,
) -> list[Path]:
    """Write results.csv, summary.csv, the plots and index.html into *out*; return the paths.

    results.csv has one row per run of each scenario (columns `scenario`, `run`, then the
    metrics); summary.csv is the `comparison` frame. A plot whose data no scenario has (no
    relations series, no displacement metric) is left out, and so not named. *metrics* limits
    the summary to those metrics; results.csv and the plots keep everything.
    """
    ensembles = _unique(ensembles)
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []

    results = pd.concat([_results(e) for e in ensembles], ignore_index=True)
    results = results[["scenario", *[c for c in results.columns if c != "scenario"]]]
    written.append(_save_csv(results, folder / "results.csv"))
    table = comparison(ensembles, level, metrics)
    written.append(_save_csv(table.reset_index(), folder / "summary.csv"))

    figures = []
    if plots.relations_series(ensembles):
        figures.append(("relations.png", "Relations index", plots.fan_chart(ensembles)))
    for name, candidates, title in (
        ("reintegration.png", plots.REINTEGRATION_METRICS, "Reintegration completed"),
        ("war.png", plots.WAR_METRICS, "War resumed"),
    ):
        metric = plots.find_metric(ensembles, candidates)
        if metric is not None:
            figure = plots.onset_probability(
                ensembles, metric, f"P({title.lower()} by date)", level
            )
            figures.append((name, title, figure))
    counts = plots.DISPLACED_METRICS
    if any(len(plots.numbers(e, metric)) for e in ensembles for metric in counts):
        figures.append(("displaced.png", "People displaced", plots.distribution(ensembles, counts)))
    for filename, _, figure in figures:
        figure.savefig(folder / filename, dpi=110)
        written.append(folder / filename)

    page = folder / "index.html"
    page.write_text(_html(ensembles, table, [(f, t) for f, t, _ in figures], level), "utf-8")
    written.append(page)
    return written


def _results(ensemble: Ensemble) -> pd.DataFrame:
    """One row per run: its index, its metrics and, with parameter uncertainty, its parameter
    set (`parameter_set`) and the values drawn (`parameter:<name>`)."""
    frame = ensemble.results
    if ensemble.parameters is not None:
        drawn = ensemble.parameters.rename(
            columns=lambda c: "parameter_set" if c == "set" else f"parameter:{c}"
        )
        frame = frame.join(drawn)
    return frame.reset_index().assign(scenario=ensemble.name)


# A text cell a spreadsheet would run as a formula starts with one of these (OWASP, "CSV
# injection"): such a cell is written with a leading apostrophe, which spreadsheets hide.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _save_csv(frame: pd.DataFrame, path: Path) -> Path:
    frame = frame.copy()
    for name in frame.columns:
        if pd.api.types.is_object_dtype(frame[name]) or pd.api.types.is_string_dtype(frame[name]):
            frame[name] = frame[name].map(
                lambda v: "'" + v if isinstance(v, str) and v.startswith(_FORMULA_STARTS) else v
            )
    frame.to_csv(path, index=False, date_format="%Y-%m-%d")
    return path


def _unique(ensembles: Sequence[Ensemble]) -> list[Ensemble]:
    """The ensembles with distinct names (`name (2)` for a repeat), as tables key on names."""
    seen: dict[str, int] = {}
    unique = []
    for ensemble in ensembles:
        count = seen[ensemble.name] = seen.get(ensemble.name, 0) + 1
        unique.append(
            ensemble if count == 1 else attrs.evolve(ensemble, name=f"{ensemble.name} ({count})")
        )
    return unique


def _html(ensembles: list[Ensemble], table: pd.DataFrame, figures: list, level: float) -> str:
    header, rows = comparison_rows(table)
    esc = html.escape
    head = "".join(f"<th>{esc(h)}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(f"<td>{esc(cell)}</td>" for cell in row) + "</tr>" for row in rows
    )
    runs = ", ".join(f"{esc(e.name)}: {e.runs:,} runs" for e in ensembles)
    if any(e.parameters is not None for e in ensembles):
        runs += (
            ". Where a scenario has parameter uncertainty, each run draws a parameter set: its "
            "estimates cover chance and the parameters, and the 'over parameters' column gives "
            "the 5-95% range of the outcome's mean over the parameter sets and the parameters' "
            "share of its variance (docs/calibration.md)"
        )
    images = "".join(
        f'<figure><img src="{esc(f)}" alt="{esc(t)}"><figcaption>{esc(t)}</figcaption></figure>'
        for f, t in figures
    )
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>diplosim: scenario comparison</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em; color: #222; }}
table {{ border-collapse: collapse; font-size: 0.85em; }}
th, td {{ border: 1px solid #ccc; padding: 0.3em 0.6em; text-align: right; }}
td:nth-child(-n+2), th:nth-child(-n+2) {{ text-align: left; }}
th {{ background: #f2f2f2; }}
img {{ max-width: 100%; }}
figure {{ margin: 2em 0; }}
</style></head><body>
<h1>Scenario comparison</h1>
<p>{runs}. Estimates with {level:.0%} intervals: probabilities (Wilson), medians
(order statistics); differences to the first scenario (Newcombe for probabilities, normal
approximation for medians; dates in days). <a href="results.csv">results.csv</a> has every run,
<a href="summary.csv">summary.csv</a> this table.</p>
<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>
{images}
</body></html>
"""
