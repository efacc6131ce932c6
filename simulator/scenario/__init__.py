"""Scenario files: the TOML format, `extends`, interventions, validation, the `Scenario` value.

A scenario names its actors and regions, carries the recorded events, says where the
simulation branches from the record, what it changes after that point, which dynamics
parameters it runs with, how large its ensembles are and which metrics it reports. Loading
only parses data (`tomllib`); nothing in a file is ever executed. Every problem becomes one
line, `file:line: key.path: what is wrong (what was expected)`. The format: docs/scenarios.md.

    problems     key paths, the errors that carry them, the Locator that finds their lines
    value        the Scenario value and the checks of its meaning
    interventions  drop, insert and change of the events scheduled after the branch point
    read         the shape of each table (one reader per table)
    load         files, `extends`, and the file:line of every problem
    write        a Scenario back as TOML
"""

from simulator.scenario.interventions import Intervention, Match
from simulator.scenario.load import load_scenario, parse_scenario
from simulator.scenario.problems import InvalidScenario, KeyPath, Locator, render_path
from simulator.scenario.value import METRICS, Ensemble, Scenario
from simulator.scenario.write import dump_scenario, toml_document

__all__ = [
    "METRICS",
    "Ensemble",
    "Intervention",
    "InvalidScenario",
    "KeyPath",
    "Locator",
    "Match",
    "Scenario",
    "dump_scenario",
    "load_scenario",
    "parse_scenario",
    "render_path",
    "toml_document",
]
