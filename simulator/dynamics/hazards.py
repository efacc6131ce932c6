"""One piece of constant hazard: the rates of every rule's tuples on a day, and where the
piece ends.

The state changes only on days with events, and the covariates drift only through the decay
of the hostile and cooperative sums and the "recent" windows. So the model is defined on
pieces: a piece starts on a day, its hazards are those of the state at the start of that day,
and it ends at the first of: a day with an event (its events are drawn from, or scored
against, that day's hazards; they take effect from the next day), the next recheck day (every
`recheck_days` from the scenario's start, when the decayed sums are read afresh), the end of
a "recent" window or a mandate (`View.deadline`), or the horizon. Within a piece each tuple's
events a day are Poisson with mean `rate / 365.25`: the engine draws exactly that and the
likelihood scores exactly that.
"""

from __future__ import annotations

import math
from operator import mul

import attrs

from simulator.dynamics.parameters import Parameters
from simulator.dynamics.rules import RULES, Key, Row, Rule
from simulator.dynamics.view import View

DAYS_PER_YEAR = 365.25


@attrs.define
class Table:
    """The tuples of each rule with their covariates and their rates (events a day)."""

    rules: list[Rule]
    keys: list[list[Key]]
    rows: list[list[Row]]
    rates: list[list[float]]
    total: float  # the sum of all rates (events a day)


def table(v: View, params: Parameters) -> Table:
    """The hazards of every rule's tuples in the state *v*, under *params*."""
    rules, keys, rows, rates = [], [], [], []
    total = 0.0
    exp = math.exp
    for rule in RULES:
        found = rule.risk(v)
        if not found:
            continue
        b = params.coefficients(rule.name)
        ks = [k for k, _ in found]
        xs = [x for _, x in found]
        rs = [exp(sum(map(mul, b, x))) / DAYS_PER_YEAR for x in xs]
        rules.append(rule)
        keys.append(ks)
        rows.append(xs)
        rates.append(rs)
        total += sum(rs)
    return Table(rules, keys, rows, rates, total)


def next_boundary(ordinal: int, start: int, recheck_days: int, deadline: float, until: int) -> int:
    """The first day after *ordinal* on which the piece that starts there must end without an
    event: the next recheck day counted from *start*, *deadline*, or *until*."""
    recheck = start + ((ordinal - start) // recheck_days + 1) * recheck_days
    end = min(recheck, until)
    if deadline < end:
        end = int(deadline)
    return end
