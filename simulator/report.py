"""Reports of comparisons: a terminal summary readable at 80 columns, and a folder with a
self-contained HTML page (interactive charts embedded), CSV and Parquet files.

The page answers first: a headline per outcome the scenarios ask about (their `[outputs]`
metrics, else the main ones), each alternative beside its matched baseline on the same window;
then every outcome with its plain name, unit and definition, the estimate with the interval
of the estimate, the spread of outcomes over runs, and the difference to the baseline; then
the charts, every scenario overlaid on one axis; then where the numbers come from. Rows that
repeat another (a date's "has a value" beside the yes/no outcome it dates) are left out, and
outcomes that are the same in every run of every scenario are listed once, apart.
"""

from __future__ import annotations

import html
import math
import textwrap
from datetime import UTC, datetime
from pathlib import Path

import attrs
import pandas as pd

from simulator import __version__
from simulator.comparison import Comparison, question_of, window_of
from simulator.glossary import Term, describe
from simulator.outputs import write_files
from simulator.results import parquet_writers, provenance, results_frame
from simulator.terminal import safe

HEADLINES = ("war_resumed", "peace_agreement", "displaced_at_horizon", "control_at_horizon")
WIDTH = 80


# --- numbers as text ----------------------------------------------------------------------------


def _decimals(value: float, digits: int = 3) -> int:
    """Places that show *digits* significant digits of *value* (none past the units)."""
    size = abs(float(value))
    if size == 0 or not math.isfinite(size):
        return 0
    return int(min(6, max(0, digits - 1 - math.floor(math.log10(size)))))


def _places(*values: float) -> int:
    """Whole numbers (counts) without decimals; others to three significant digits."""
    if all(float(v).is_integer() for v in values if not _missing(v)):
        return 0
    return _decimals(values[0])


def _missing(value) -> bool:
    return value is None or value is pd.NaT or (isinstance(value, float) and math.isnan(value))


def format_value(kind: str, value, places: int | None = None) -> str:
    """Probabilities as percentages, dates as ISO, numbers to three significant digits."""
    if _missing(value):
        return "-"
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat()
    if kind == "probability":
        return f"{100 * value:.1f}%"
    places = _decimals(value) if places is None else places
    return f"{value:,.{places}f}"


def format_estimate(kind: str, estimate, low, high) -> str:
    """`47.5% [21.3, 72.0]`: the estimate and the interval of the estimate."""
    if _missing(estimate):
        return "-"
    if kind == "probability":
        return f"{100 * estimate:.1f}% [{100 * low:.1f}, {100 * high:.1f}]"
    places = _places(estimate, low, high) if kind == "number" else None
    parts = [format_value(kind, v, places) for v in (estimate, low, high)]
    if parts[0] == parts[1] == parts[2]:
        return parts[0]
    return "{} [{}, {}]".format(*parts)


def format_difference(kind: str, diff: float, low: float, high: float) -> str:
    """`-32.5 pts [-61.3, -1.2]`; days for dates; numbers to two significant digits of the
    interval's half-width, so a difference is never rounded into its own interval."""
    if _missing(diff):
        return "-"
    if kind == "probability":
        return f"{100 * diff:+.1f} pts [{100 * low:+.1f}, {100 * high:+.1f}]"
    if kind == "date":
        return f"{diff:+,.0f} days [{low:+,.0f}, {high:+,.0f}]"
    half = (high - low) / 2
    places = max(_decimals(half, 2), _decimals(diff, 2)) if half or diff else 0
    return f"{diff:+,.{places}f} [{low:+,.{places}f}, {high:+,.{places}f}]"


# --- the rows -----------------------------------------------------------------------------------


@attrs.frozen
class Row:
    """One outcome as a reader sees it: its label and term, and per scenario the estimate,
    the spread of outcomes and the difference to its baseline (text)."""

    metric: str
    statistic: str
    label: str
    term: Term
    estimates: dict[str, str]
    spreads: dict[str, str]
    differences: dict[str, str]

    @property
    def unit(self) -> str:
        """The unit of this row: a date's "by the horizon" row is a probability."""
        return "probability" if self.statistic == "probability" else self.term.unit


@attrs.frozen
class Outcomes:
    """The rows to show, and the outcomes the same in every run of every scenario."""

    rows: list[Row]
    constant: list[str]


def outcomes(comparison: Comparison, table: pd.DataFrame) -> Outcomes:
    """The table of a comparison as rows, repeats and empty rows left out."""
    names = [e.name for e in comparison.ensembles]
    scenario = comparison.scenarios[-1]
    keys = list(dict.fromkeys((m, s) for _, m, s in table.index))
    rows, constant = [], []
    for metric, statistic in keys:
        present = [n for n in names if (n, metric, statistic) in table.index]
        entries = {n: table.loc[(n, metric, statistic)] for n in present}
        if all(e["n"] == 0 for e in entries.values()):
            continue  # no run of any scenario has a value
        if statistic == "probability" and _dates_a_yes_no(comparison, metric):
            continue  # the same yes/no as the outcome this metric dates
        term = describe(metric, scenario)
        label = _label(term, metric, statistic)
        shown = {
            n: format_estimate(e["kind"], e["estimate"], e["low"], e["high"])
            for n, e in entries.items()
        }
        if _same_everywhere(entries):
            first = next(iter(entries.values()))
            constant.append(f"{label}: {format_value(first['kind'], first['estimate'])}")
            continue
        spreads = {n: _spread(e) for n, e in entries.items()}
        differences = {
            n: format_difference(e["kind"], e["diff"], e["diff_low"], e["diff_high"])
            for n, e in entries.items()
            if isinstance(e["baseline"], str)
        }
        rows.append(Row(metric, statistic, label, term, shown, spreads, differences))
    return Outcomes(rows, constant)


def _label(term: Term, metric: str, statistic: str) -> str:
    if term.unit == "date":
        if statistic == "probability":
            return f"{term.event or term.name} by the horizon"
        return f"{term.name} (median of the runs where it comes)"
    return term.name


def _dates_a_yes_no(comparison: Comparison, metric: str) -> bool:
    """Whether the date *metric* has a value in exactly the runs where a yes/no outcome is
    yes, in every ensemble (then its "has a value" row repeats that outcome's)."""
    twins = None
    for ensemble in comparison.ensembles:
        frame = ensemble.results
        if metric not in frame or not pd.api.types.is_datetime64_any_dtype(frame[metric]):
            return False
        has = frame[metric].notna().to_numpy()
        same = {
            c
            for c in frame.columns
            if pd.api.types.is_bool_dtype(frame[c]) and (frame[c].to_numpy(bool) == has).all()
        }
        twins = same if twins is None else twins & same
        if not twins:
            return False
    return bool(twins)


def _same_everywhere(entries: dict) -> bool:
    """Every run of every scenario gave the same value."""
    values = set()
    for e in entries.values():
        if e["kind"] == "probability":
            if e["estimate"] not in (0.0, 1.0):
                return False
            values.add(e["estimate"])
        else:
            if not e.get("p05") == e.get("p95") == e["estimate"]:
                return False
            values.add(e["estimate"])
    return len(values) == 1


def _spread(entry) -> str:
    """The spread of outcomes: 5-95% of runs for a number or a date; for a yes/no outcome
    with parameter uncertainty, the 5-95% range of its chance over the parameter sets."""
    kind = entry["kind"]
    if kind == "probability":
        share = entry.get("param_share")
        if share is None or _missing(share):
            return ""
        low, high = (format_value(kind, entry[c]) for c in ("param_low", "param_high"))
        return f"parameter sets 5-95%: {low} to {high}, {share:.0%} of the variance"
    low, high = entry.get("p05"), entry.get("p95")
    if _missing(low):
        return ""
    places = _places(entry["estimate"], low, high) if kind == "number" else None
    return f"runs 5-95%: {format_value(kind, low, places)} to {format_value(kind, high, places)}"


# --- headlines ----------------------------------------------------------------------------------


def headline_metrics(comparison: Comparison) -> list[str]:
    """What the scenarios ask about: their `[outputs]` metrics, else the main outcomes."""
    asked = [m for s in comparison.scenarios for m in s.outputs]
    chosen = list(dict.fromkeys(asked)) or list(HEADLINES)
    present = {c for e in comparison.ensembles for c in e.results.columns}
    return [m for m in chosen if m in present]


def headlines(comparison: Comparison, table: pd.DataFrame) -> list[str]:
    """One sentence per asked outcome and listed scenario, beside its baseline if it has one."""
    sentences = []
    for metric in headline_metrics(comparison):
        statistic = "probability" if _is_yes_no(table, metric) else "median"
        for name in comparison.listed:
            key = (name, metric, statistic)
            if key not in table.index:
                continue
            entry = table.loc[key]
            term = describe(metric, comparison.scenario(name))
            window = window_of(comparison.scenario(name))
            text = f"{_label(term, metric, statistic)}, {window}: "
            text += f"{_estimate_with_spread(entry)} in {name}"
            base = entry["baseline"]
            if isinstance(base, str) and (base, metric, statistic) in table.index:
                other = table.loc[(base, metric, statistic)]
                role = "its matched baseline" if comparison.mode == "matched" else "the first"
                text += f", against {_estimate_with_spread(other)} in {role} ({base}): "
                text += "difference " + format_difference(
                    entry["kind"], entry["diff"], entry["diff_low"], entry["diff_high"]
                )
            sentences.append(text + ".")
    return sentences


def _is_yes_no(table: pd.DataFrame, metric: str) -> bool:
    kinds = table.xs(metric, level="metric")["kind"]
    return bool((kinds == "probability").all())


def _estimate_with_spread(entry) -> str:
    text = format_estimate(entry["kind"], entry["estimate"], entry["low"], entry["high"])
    spread = _spread(entry)
    return f"{text} ({spread})" if spread else text


# --- the terminal -------------------------------------------------------------------------------


def uncertainty_note(scenario, ensemble) -> str:
    """What the parameter draws of *ensemble* were, and so what its intervals cover."""
    if ensemble.parameters is None:
        return f"{scenario.name}: parameters as fitted (no draws): the intervals cover chance"
    given = scenario.uncertainties
    sets = int(ensemble.parameters["set"].max()) + 1
    source = []
    if given.fit is not None:
        source.append(f"the fit in {given.source} ({given.draws})")
    if given.distributions:
        source.append(f"{len(given.distributions)} distributions given")
    return (
        f"{scenario.name}: {sets:,} parameter sets x {given.runs_per_set} runs, drawn from "
        f"{' and '.join(source) or 'the design'} by {given.design}: the intervals cover chance "
        "and the parameters' uncertainty"
    )


def terminal_summary(comparison: Comparison, level: float = 0.95, width: int = WIDTH) -> str:
    """The comparison as plain text no wider than *width*: each scenario's question and
    window, the headlines, then every outcome as a block of one line per scenario."""
    table = comparison.table(level)
    found = outcomes(comparison, table)
    wrap = textwrap.TextWrapper(width=width, subsequent_indent="  ")
    lines = []
    for name in comparison.listed:
        scenario = comparison.scenario(name)
        lines.append(safe(name))
        lines += wrap.wrap("  " + safe(question_of(scenario))) if scenario.description else []
        beside = comparison.against.get(name)
        where = f"  window {window_of(scenario)}"
        lines += wrap.wrap(safe(where + (f"; beside {beside}" if beside else "")))
    lines.append("")
    for sentence in headlines(comparison, table):
        lines += textwrap.wrap(safe(sentence), width, initial_indent="* ", subsequent_indent="  ")
    lines.append("")
    label_width = 34
    for row in found.rows:
        lines += wrap.wrap(safe(f"{row.label} ({row.unit})"))
        for name, estimate in row.estimates.items():
            lines.append(f"  {_cut(safe(name), label_width):<{label_width}} {estimate}")
            if row.spreads.get(name):
                lines += wrap.wrap(f"      {row.spreads[name]}")
            if name in row.differences:
                lines.append(f"  {'  difference':<{label_width}} {row.differences[name]}")
    if found.constant:
        lines.append("")
        lines += wrap.wrap(
            safe("Same in every run of every scenario: " + "; ".join(found.constant))
        )
    lines.append("")
    lines += wrap.wrap(
        f"estimate [{level:.0%} interval of the estimate]; runs 5-95%: the spread of outcomes; "
        "differences are to the scenario's matched baseline (the scenario it extends, branched "
        "on the same day, without interventions), on the same window."
    )
    for scenario, ensemble in zip(comparison.scenarios, comparison.ensembles, strict=True):
        lines += wrap.wrap(safe(uncertainty_note(scenario, ensemble)))
    return "\n".join(line.rstrip() for line in lines)


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."


# --- the folder ---------------------------------------------------------------------------------


def write_report(comparison: Comparison, out: str | Path, level: float = 0.95) -> list[Path]:
    """Write index.html, results.csv, summary.csv, results.parquet and series.parquet into
    *out*, whole or not at all; return the paths."""
    from simulator.charts import report_charts

    ensembles = list(comparison.ensembles)
    table = comparison.table(level)
    sources = {s.name: s.source_path for s in comparison.scenarios}
    meta = provenance(ensembles, comparison.against, sources)
    results = pd.concat([results_frame(e) for e in ensembles], ignore_index=True)
    charts = report_charts(ensembles, comparison.scenarios[-1])
    page = _html(comparison, table, charts, meta, level)
    writers = {
        "index.html": lambda path: path.write_text(page, "utf-8"),
        "results.csv": lambda path: _save_csv(results, path),
        "summary.csv": lambda path: _save_csv(table.reset_index(), path),
        **parquet_writers(ensembles, meta),
    }
    return write_files(out, writers)


# A text cell a spreadsheet would run as a formula starts with one of these (OWASP, "CSV
# injection"): such a cell is written with a leading apostrophe, which spreadsheets hide.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _save_csv(frame: pd.DataFrame, path: Path) -> None:
    frame = frame.copy()
    for name in frame.columns:
        if pd.api.types.is_object_dtype(frame[name]) or pd.api.types.is_string_dtype(frame[name]):
            frame[name] = frame[name].map(
                lambda v: "'" + v if isinstance(v, str) and v.startswith(_FORMULA_STARTS) else v
            )
    frame.to_csv(path, index=False, date_format="%Y-%m-%d")


def _html(comparison: Comparison, table, charts, meta, level: float) -> str:
    import plotly.io as pio
    from plotly.offline import get_plotlyjs

    esc = html.escape
    found = outcomes(comparison, table)
    names = [e.name for e in comparison.ensembles]
    asked = "".join(
        f"<li><b>{esc(n)}</b>: {esc(question_of(comparison.scenario(n)))} "
        f"<span class=note>({esc(str(window_of(comparison.scenario(n))))})</span></li>"
        for n in comparison.listed
    )
    heads = "".join(f'<li class="headline">{esc(s)}</li>' for s in headlines(comparison, table))
    alternatives = [n for n in names if isinstance(comparison.against.get(n), str)]
    header = "<th>outcome</th>" + "".join(f"<th>{esc(n)}</th>" for n in names)
    header += "".join(f"<th>{esc(n)} &minus; its baseline</th>" for n in alternatives)
    body = []
    for row in found.rows:
        cells = [
            f"<td class=outcome><b>{esc(row.label)}</b> <span class=unit>({esc(row.unit)})"
            f"</span><br><span class=note>{esc(row.term.definition)}</span></td>"
        ]
        for n in names:
            spread = row.spreads.get(n, "")
            cells.append(
                f"<td>{esc(row.estimates.get(n, '-'))}"
                + (f"<br><span class=note>{esc(spread)}</span>" if spread else "")
                + "</td>"
            )
        cells += [f"<td>{esc(row.differences.get(n, '-'))}</td>" for n in alternatives]
        body.append("<tr>" + "".join(cells) + "</tr>")
    constant = (
        "<p class=note>Same in every run of every scenario: "
        + esc("; ".join(found.constant))
        + "</p>"
        if found.constant
        else ""
    )
    figures = "".join(
        '<figure class="chart">'
        + pio.to_html(figure, full_html=False, include_plotlyjs=False, div_id=f"chart-{i}")
        + "</figure>"
        for i, (_, figure) in enumerate(charts)
    )
    runs = {e.name: e.runs for e in comparison.ensembles}
    prov_rows = "".join(
        "<tr>"
        + "".join(
            f"<td>{esc(str(v))}</td>"
            for v in (
                e["name"],
                "matched baseline" if e["name"] not in comparison.listed else "asked",
                e["against"] or "-",
                e["source"] or "-",
                e["content_hash"][:16],
                e["id"],
                e["branch"],
                f"{e['branch']} to {e['horizon']}",
                f"{runs[e['name']]:,}",
            )
        )
        + "</tr>"
        for e in meta["ensembles"]
    )
    seed = comparison.ensembles[0].seed.entropy
    notes = "".join(
        f"<li>{esc(uncertainty_note(s, e))}</li>"
        for s, e in zip(comparison.scenarios, comparison.ensembles, strict=True)
    )
    written = datetime.now(UTC).isoformat(timespec="seconds")
    title = " vs ".join(comparison.listed)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>diplosim: {esc(title)}</title>
<script>{get_plotlyjs()}</script>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em auto; max-width: 72em; color: #222; }}
table {{ border-collapse: collapse; font-size: 0.85em; margin: 1em 0; }}
th, td {{ border: 1px solid #ccc; padding: 0.3em 0.6em; text-align: right; vertical-align: top; }}
td.outcome, th:first-child {{ text-align: left; max-width: 24em; }}
th {{ background: #f2f2f2; }}
.note, .unit {{ color: #666; font-size: 0.9em; }}
li.headline {{ margin: 0.4em 0; }}
figure.chart {{ margin: 1.5em 0; }}
</style></head><body>
<h1>{esc(title)}</h1>
<h2>The questions</h2><ul>{asked}</ul>
<h2>The answers</h2><ul id="headlines">{heads}</ul>
<p class=note>Estimate [{level:.0%} interval of the estimate]. The interval is how sure the
estimate is (it shrinks with more runs); the spread (runs 5-95%) is how much the outcomes vary.
Each alternative is set beside its matched baseline: the scenario it extends, branched on the
same day in the same way, to the same horizon, without interventions, so both count "after the
branch" over the same window. Differences treat the two ensembles as independent although they
share seeds, so their intervals are cautious.</p>
<h2>Every outcome</h2>
<table><thead><tr>{header}</tr></thead><tbody>{"".join(body)}</tbody></table>
{constant}
<h2>Over time</h2>
<p class=note>Hover for values; click a scenario in a legend to hide or show it. Lines are
medians (or shares of runs), bands the 5-95% range of runs.</p>
{figures}
<h2>Where these numbers come from</h2>
<table id="provenance"><thead><tr><th>scenario</th><th>role</th><th>set beside</th>
<th>file</th><th>content hash</th><th>ensemble</th><th>branch</th><th>window</th><th>runs</th>
</tr></thead><tbody>{prov_rows}</tbody></table>
<ul class=note>{notes}</ul>
<p class=note>diplosim {esc(__version__)}, written {esc(written)}, seed {esc(str(seed))} (run i
of every scenario uses child i of it). Replay run k:
<code>diplosim run SCENARIO --runs N --seed {esc(str(seed))} --index k</code>.
Files: <a href="results.csv">results.csv</a> and <a href="results.parquet">results.parquet</a>
(every run), <a href="series.parquet">series.parquet</a> (monthly series),
<a href="summary.csv">summary.csv</a> (this table as numbers).</p>
</body></html>
"""


def single(scenario, ensemble) -> Comparison:
    """A comparison of one ensemble with nothing: what `run --runs N` reports."""
    return Comparison((ensemble,), (scenario,), {ensemble.name: None}, (ensemble.name,), "alone")
