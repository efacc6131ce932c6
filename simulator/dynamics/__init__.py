"""The dynamics: a relational event model of the actors (docs/model.md).

Each rule (`rules.RULES`) gives, for every actor tuple it can apply to in the folded state, a
hazard `exp(b . x)` a year, log-linear in covariates `x` read from the state (`view.View`);
`Parameters` holds the coefficients `b` and the marks' parameters. `hazards` turns a state
into the table of rates of one piece of constant hazard, the same table for the engine, which
draws from it, and for the likelihood, which scores a log against it.
"""

from simulator.dynamics.hazards import DAYS_PER_YEAR, Table, next_boundary, table
from simulator.dynamics.parameters import DEFAULTS, Parameters
from simulator.dynamics.rules import BY_NAME, RULES, Rule, classify
from simulator.dynamics.view import View

__all__ = [
    "BY_NAME",
    "DAYS_PER_YEAR",
    "DEFAULTS",
    "RULES",
    "Parameters",
    "Rule",
    "Table",
    "View",
    "classify",
    "next_boundary",
    "table",
]
