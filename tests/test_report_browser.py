"""The report in a real browser: headless Chromium opens index.html from disk (no network),
runs its scripts, and the headline and every chart are there, drawn."""

from __future__ import annotations

import os
import re
import shutil
import subprocess

import pytest

from simulator.report import write_report
from tests.test_report import make_ensemble, synthetic

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = (
    "--headless",
    "--no-sandbox",  # these tests run as root
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


@pytest.fixture
def browser():
    if CHROMIUM is None:
        if os.environ.get("CI"):
            pytest.fail("Chromium is missing: .ci/run installs Debian's chromium package")
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    return CHROMIUM


def rendered(browser: str, page, profile) -> str:
    """The page's DOM once its scripts have run."""
    done = subprocess.run(
        [browser, *FLAGS, f"--user-data-dir={profile}", "--virtual-time-budget=15000",
         "--dump-dom", page.as_uri()],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def test_the_report_opens_with_its_headline_and_every_chart_drawn(browser, tmp_path):
    base, other = make_ensemble("base", 200, 7), make_ensemble("other", 200, 8, war_rate=0.7)
    write_report(synthetic(base, other), tmp_path / "report")
    page = tmp_path / "report" / "index.html"
    source = page.read_text("utf-8")
    charts = re.findall(r'id="(chart-\d+)"', source)
    assert charts, "the report has no chart"
    dom = rendered(browser, page, tmp_path / "profile")
    said = re.findall(r'<li class="headline">(War resumes[^<]*)</li>', dom)
    assert len(said) == 2 and "in other, against" in said[1]
    for chart in charts:
        drawn = re.search(rf'<div id="{chart}" class="[^"]*js-plotly-plot[^"]*"', dom)
        assert drawn, f"{chart} was not drawn"
    assert dom.count('class="main-svg"') >= len(charts)  # each chart's SVG is in the page
    assert 'id="provenance"' in dom
