"""Plain names, units and definitions of the metrics and series a report shows.

Metric names (`war_resumed_on`) are for code and files; a reader gets "Date war resumes", a
unit and one sentence of what is counted (docs/model.md has the rules behind each). Names made
from the scenario (`relations:A-B`, `question:<name>`) are described from it.
"""

from __future__ import annotations

from typing import Any

import attrs


@attrs.frozen
class Term:
    """What a metric or series is: a plain `name`, its `unit` and a one-sentence `definition`;
    for a date, the `event` it is the date of (its share of runs is that event's chance)."""

    name: str
    unit: str
    definition: str
    event: str = ""


METRICS: dict[str, Term] = {
    "war_resumed": Term(
        "War resumes",
        "probability",
        "an offensive or armed intervention dated on or after the branch date, by the horizon",
    ),
    "war_resumed_on": Term(
        "Date war resumes",
        "date",
        "the day of the first offensive or armed intervention on or after the branch date",
        "War resumes",
    ),
    "offensives": Term(
        "Offensives",
        "count",
        "offensives and armed interventions from the branch date to the horizon",
    ),
    "casualties": Term(
        "Casualties", "people", "deaths reported in those offensives and interventions"
    ),
    "displaced_total": Term(
        "People displaced",
        "people",
        "people displaced from the region over the whole path, the record before the branch "
        "included",
    ),
    "returned_total": Term(
        "People returned",
        "people",
        "people returned to the region over the whole path, the record before the branch included",
    ),
    "displaced_at_horizon": Term(
        "Displaced at the horizon", "people", "people of the region still displaced at the horizon"
    ),
    "population_at_horizon": Term(
        "Population at the horizon", "people", "people living in the region at the horizon"
    ),
    "reintegration_at_horizon": Term(
        "Reintegration at the horizon",
        "share (0-1)",
        "the weighted share of the region's reintegration milestones reached by the horizon",
    ),
    "reintegration_completed_on": Term(
        "Date reintegration completes",
        "date",
        "the day the region reaches the last reintegration milestone (none: not by the horizon)",
        "Reintegration completes",
    ),
    "peace_agreement": Term(
        "Peace agreement signed",
        "probability",
        "a peace agreement signed by two of the parties on any day of the path, the record "
        "included",
    ),
    "peace_agreement_on": Term(
        "Date of the peace agreement",
        "date",
        "the day the first such agreement is signed",
        "Peace agreement signed",
    ),
    "aid_delivered_share": Term(
        "Aid delivered",
        "share of pledged",
        "aid delivered in USD over aid pledged in USD (above 1: aid delivered unpledged)",
    ),
    "peacekeepers_at_horizon": Term(
        "Peacekeepers at the horizon",
        "troops",
        "peacekeepers deployed in the region at the horizon",
    ),
    "control_at_horizon": Term(
        "Control at the horizon",
        "share of the region",
        "the share of the region the holder controls at the horizon",
    ),
    "runaway": Term(
        "Runaway path",
        "probability",
        "the path reached the engine's cap on simulated events (the model's rates ran away)",
    ),
}

SERIES: dict[str, Term] = {
    "war": Term("At war", "probability", "the holder is at war with someone on that day"),
    "blockade": Term("Blockade", "probability", "the region is blockaded on that day"),
    "peacekeepers": Term("Peacekeepers", "troops", "peacekeepers deployed in the region"),
    "population": Term("Population", "people", "people living in the region"),
    "displaced": Term("Displaced", "people", "people of the region displaced"),
    "reintegration": Term(
        "Reintegration", "share (0-1)", "the weighted share of reintegration milestones reached"
    ),
    "control": Term("Control", "share of the region", "the share the holder controls"),
}


def describe(name: str, scenario: Any = None) -> Term:
    """The term for metric or series *name*; names made from a scenario use its questions."""
    if name in METRICS:
        return METRICS[name]
    if name in SERIES:
        return SERIES[name]
    if name.startswith("relations:"):
        pair = name.removeprefix("relations:").replace("-", " and ", 1)
        return Term(
            f"Relations of {pair}",
            "index",
            "the decayed sum of the Goldstein weights of the events between them (negative: "
            "hostile, positive: cooperative)",
        )
    if name.startswith("question:"):
        asked = name.removeprefix("question:")
        for question in getattr(scenario, "questions", ()):
            if question.name == asked:
                unit = "count" if question.numeric else "probability"
                return Term(question.text, unit, f"question {asked!r}, by {question.by}")
        return Term(asked.replace("_", " ").capitalize(), "value", f"question {asked!r}")
    return Term(name.replace("_", " ").capitalize(), "value", name)
