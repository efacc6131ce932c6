"""The comparison notebook runs from top to bottom (few runs) and what it shows is computed.

The notebook is executed once (module fixture) with `DIPLOSIM_NOTEBOOK_RUNS` small. Its cells
are found by their tags (`numbers`, `conclusions`, `events`, `sweep`, `key-numbers`); its last
cell prints its key numbers as JSON. The numbers it shows are checked against what it saved
(`summary.csv`, the table as numbers, and each ensemble's runs through `load_results`), so a
table, a sentence or a verdict that does not follow from the runs fails here.
"""

from __future__ import annotations

import json
import math
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pandas as pd
import pytest
from nbclient import NotebookClient

from simulator.results import load_results

NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "compare_scenarios.ipynb"
RUNS = 8
PLOTLY = "application/vnd.plotly.v1+json"


@pytest.fixture(scope="module")
def executed():
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DIPLOSIM_NOTEBOOK_RUNS", str(RUNS))
        client = NotebookClient(
            notebook,
            timeout=120,  # a cell; the whole notebook takes seconds at this size
            kernel_name="python3",
            resources={"metadata": {"path": str(NOTEBOOK.parent)}},
        )
        client.execute()  # raises CellExecutionError naming the cell if any cell fails
    return notebook


@pytest.fixture(scope="module")
def key(executed) -> dict:
    (cell,) = tagged(executed, "key-numbers")
    found = json.loads("".join(o.text for o in cell.outputs if o.output_type == "stream"))
    yield found
    shutil.rmtree(found["folder"], ignore_errors=True)  # the report the notebook wrote


@pytest.fixture(scope="module")
def saved(key) -> pd.DataFrame:
    """The table the notebook wrote (summary.csv), war_resumed rows, by scenario."""
    frame = pd.read_csv(Path(key["folder"]) / "summary.csv")
    rows = frame[(frame["metric"] == "war_resumed") & (frame["statistic"] == "probability")]
    # estimate, low and high also hold the dates of other rows: read as text
    return rows.set_index("scenario")


def tagged(notebook, tag: str) -> list:
    return [c for c in notebook.cells if tag in c.metadata.get("tags", [])]


def rich(cell, mimetype: str) -> list[str]:
    return [
        o.data[mimetype]
        for o in cell.outputs
        if o.output_type in ("display_data", "execute_result") and mimetype in o.data
    ]


class _Table(HTMLParser):
    """The header and body rows of the first <table> of a pandas HTML output (cell texts)."""

    def __init__(self) -> None:
        super().__init__()
        self.head: list[list[str]] = []
        self.body: list[list[tuple[str, str]]] = []  # (th or td, text)
        self._part = self._cell = None
        self._text = ""

    def handle_starttag(self, tag, attrs):
        if tag in ("thead", "tbody"):
            self._part = tag
        elif tag == "tr" and self._part:
            (self.head if self._part == "thead" else self.body).append([])
        elif tag in ("th", "td") and self._part:
            self._cell, self._text = tag, ""

    def handle_endtag(self, tag):
        if tag in ("th", "td") and self._cell:
            text = self._text.strip()
            if self._part == "thead":
                self.head[-1].append(text)
            else:
                self.body[-1].append((self._cell, text))
            self._cell = None
        elif tag in ("thead", "tbody"):
            self._part = None

    def handle_data(self, data):
        if self._cell:
            self._text += data


def table_of(html: str) -> _Table:
    assert '<table border="1" class="dataframe"' in html, "not a pandas DataFrame"
    parser = _Table()
    parser.feed(html)
    return parser


def war_resumed_share(folder: str, name: str) -> float:
    results = load_results(folder, name).results
    assert len(results) == RUNS
    return float(results["war_resumed"].astype(bool).mean())


def test_every_cell_runs_and_the_notebook_used_the_runs_asked(executed, key):
    outputs = [o for c in executed.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    assert key["runs"] == RUNS
    printed = "".join(o.get("text", "") for o in outputs)
    assert f"{RUNS:,} runs per scenario" in printed


def test_the_outcomes_table_is_a_frame_of_numbers_that_match_the_runs(executed, key):
    (cell,) = tagged(executed, "numbers")
    (html,) = rich(cell, "text/html")
    table = table_of(html)
    header = [c for row in table.head for c in row if c]
    assert header[:6] == ["estimate", "low", "high", "diff", "diff_low", "diff_high"]
    names = list(key["war_resumed"])  # every ensemble: listed scenarios and baselines
    assert len(table.body) == 3 * len(names)  # three outcomes a scenario
    estimates: dict[str, list[float]] = {}
    for row in table.body:
        scenario = [text for kind, text in row if kind == "th"][-1]
        values = [float(text) for kind, text in row if kind == "td"]  # NaN reads as nan
        assert len(values) == 6
        estimates.setdefault(scenario, []).append(values[0])
    assert sorted(estimates) == sorted(names)
    for name in names:
        share = war_resumed_share(key["folder"], name)
        assert any(math.isclose(v, share, abs_tol=5e-4) for v in estimates[name]), name
        assert math.isclose(key["war_resumed"][name]["estimate"], share, abs_tol=1e-12)


def test_the_conclusions_state_the_table_s_numbers_and_follow_from_them(executed, key, saved):
    (cell,) = tagged(executed, "conclusions")
    (text,) = rich(cell, "text/markdown")
    lines = text.splitlines()
    alternatives = [n for n, base in key["against"].items() if base]
    assert len(alternatives) == 2
    assert set(key["conclusions"]) == set(alternatives)
    for name in alternatives:
        base = key["against"][name]
        (line,) = [line for line in lines if line.startswith(f"- **{name}**")]
        mine, theirs = (
            war_resumed_share(key["folder"], name),
            war_resumed_share(key["folder"], base),
        )
        row = saved.loc[name]
        assert row["baseline"] == base
        assert math.isclose(float(row["estimate"]), mine) and math.isclose(
            row["diff"], mine - theirs
        )
        assert math.isclose(key["war_resumed"][name]["diff_low"], row["diff_low"])
        assert math.isclose(key["war_resumed"][name]["diff_high"], row["diff_high"])
        for p in (mine, theirs):
            assert f"{100 * p:.1f}%" in line
        assert f"Difference {100 * (mine - theirs):+.1f} points" in line
        assert f"[{100 * row['diff_low']:+.1f}, {100 * row['diff_high']:+.1f}]" in line
        if row["diff_high"] < 0:
            expected = "clearly negative"
        elif row["diff_low"] > 0:
            expected = "clearly positive"
        else:
            expected = "not distinguishable"
        assert key["conclusions"][name] == expected
        assert f"**{expected}**" in line


def test_one_run_is_shown_event_by_event_with_causes(executed, key):
    (cell,) = tagged(executed, "events")
    table = table_of(rich(cell, "text/html")[-1])
    header = [c for row in table.head for c in row if c]
    assert header == ["date", "type", "cause", "summary"]
    assert table.body, "no events after the branch"
    causes = {[t for k, t in row if k == "td"][2] for row in table.body}
    causes.discard("...")  # the row marking rows left out of a long table
    assert causes and all(
        re.fullmatch(r"record|scenario|(rule|intervention):\w+", c) for c in causes
    )
    assert any(c.startswith("rule:") for c in causes)  # the dynamics wrote some of the path
    assert key["run"]["events"] >= len(table.body) - 1
    assert set(key["run"]["causes"]) >= causes
    assert 0 <= key["run"]["index"] < RUNS


def test_the_sweep_gives_a_probability_with_its_interval_at_each_value(executed, key):
    sweep = key["sweep"]
    rows = sweep["rows"]
    assert 3 <= len(rows) <= 4
    values = [r[sweep["parameter"]] for r in rows]
    assert len(set(values)) == len(values)
    for r in rows:
        assert r["runs"] == RUNS
        assert math.isclose(r["probability"], r["war resumed"] / r["runs"])
        assert 0.0 <= r["low"] <= r["probability"] <= r["high"] <= 1.0
    # the scenario's own value is the alternative as compared: same runs, same seed, same answer
    (own,) = [r for r in rows if r[sweep["parameter"]] == sweep["scenario_value"]]
    assert math.isclose(own["probability"], key["war_resumed"][key["run"]["scenario"]]["estimate"])
    # ... because it is the same scenario: the sweep changed the parameter and nothing else
    hashes = sweep["content_hashes"]
    assert len(set(hashes)) == len(rows)
    compared = load_results(key["folder"], key["run"]["scenario"])
    assert hashes[rows.index(own)] == compared.content_hash
    (cell,) = tagged(executed, "sweep")
    assert len(table_of(rich(cell, "text/html")[0]).body) == len(rows)


def test_the_charts_are_interactive_figures(executed):
    figures = [d for c in executed.cells if c.cell_type == "code" for d in rich(c, PLOTLY)]
    assert len(figures) >= 3  # war onset, bands over time, the sweep
    assert all(figure["data"] for figure in figures)


def test_the_prose_states_no_numbers_a_rerun_could_contradict(executed):
    for cell in executed.cells:
        if cell.cell_type == "markdown":
            assert not re.search(r"\d\.\d|\d+(\.\d+)? ?(pts|points)\b", cell.source), cell.source
