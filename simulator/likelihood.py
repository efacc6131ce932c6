"""The exact log-likelihood of an event log under the dynamics, broken down by rule.

The model is the one the engine draws from (docs/model.md, "Pieces"): within a piece of
constant hazard each tuple's events a day are Poisson with mean `rate / 365.25`, the rates read
from the state at the piece's start. So the log-likelihood of a log from a day on is

    sum over rule events of log(daily rate of its tuple)
    - sum over pieces and tuples of (daily rate x days)
    - sum over days and tuples of log(events that day of that tuple)!
    + the log-densities of the events' marks,

events that no rule writes (a population count, a statement by an outsider, a ceasefire the
record gives as an agreement) being conditioned on: they enter the state, not the score. An
event of a kind a rule writes that fits no tuple of its rule in that state makes the log
impossible; `Likelihood.impossible` says which and why.

`design` keeps the same pieces as a Poisson regression (covariate rows, exposure days and
counts per rule) and the marks' values, so that a new set of parameters is scored with a few
array operations: the shape a fit needs.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from datetime import date, timedelta

import attrs
import numpy as np

from simulator import dynamics
from simulator.dynamics import Parameters, View
from simulator.events import Event
from simulator.scenario import Scenario
from simulator.world import RunningState


@attrs.define
class RuleScore:
    """One rule's part: its events, the sum of their log-rates (per day), the integral of its
    rates (expected events), the log n! of its tied counts, and its marks' log-density."""

    events: int = 0
    log_rates: float = 0.0
    expected: float = 0.0
    ties: float = 0.0
    marks: float = 0.0

    @property
    def total(self) -> float:
        return self.log_rates - self.expected - self.ties + self.marks


@attrs.define
class Design:
    """One rule's Poisson regression (covariate rows, exposure in days, event counts) and the
    values of its events' marks (`Rule.mark_value`: what `Rule.mark_density` scores)."""

    rows: list[tuple[float, ...]] = attrs.field(factory=list)
    days: list[float] = attrs.field(factory=list)
    counts: list[int] = attrs.field(factory=list)
    marks: list = attrs.field(factory=list)
    _arrays: tuple[np.ndarray, ...] | None = attrs.field(default=None, repr=False)

    def loglik(self, coefficients: Sequence[float]) -> float:
        """The hazard part of the log-likelihood (without the constant log n! terms)."""
        if not self.rows:
            return 0.0
        if self._arrays is None:  # built once: a fit scores the same design many times
            self._arrays = (
                np.asarray(self.rows),
                np.asarray(self.days),
                np.asarray(self.counts, dtype=float),
            )
        x, days, n = self._arrays
        eta = x @ np.asarray(coefficients) - math.log(dynamics.DAYS_PER_YEAR)
        return float(n @ eta - days @ np.exp(eta))


@attrs.define
class Likelihood:
    """The log-likelihood of a log and its parts (`by_rule`), how many events were conditioned
    on (`exogenous`), and the events no rule could have written (`impossible`: (index, why))."""

    by_rule: dict[str, RuleScore]
    exogenous: int
    impossible: list[tuple[int, str]]
    designs: dict[str, Design]
    since: date

    @property
    def total(self) -> float:
        if self.impossible:
            return -math.inf
        return sum(score.total for score in self.by_rule.values())

    @property
    def scored(self) -> int:
        return sum(score.events for score in self.by_rule.values())


def log_likelihood(
    scenario: Scenario,
    events: Sequence[Event] | None = None,
    params: Parameters | None = None,
    since: date | None = None,
    design: bool = False,
    conditioned: Iterable[int] = (),
    until: date | None = None,
) -> Likelihood:
    """The log-likelihood of *events* (default: the scenario's record) from *since* (default:
    the scenario's branch date; its start scores the whole record) to *until* (excluded;
    default: the day after the horizon), under *params* (default: the scenario's dynamics).
    Events from *until* on are not read. Events before *since* are folded, not scored;
    so are the events at the indices *conditioned* (what a scenario forces on a path, e.g.
    the indices whose cause is "scenario" in a `Run`). With *design*, each rule's
    Poisson-regression design is kept too."""
    params = scenario.dynamics if params is None else params
    log = scenario.events if events is None else events
    cast = scenario.cast
    start = scenario.start.toordinal()
    since = scenario.branch_date if since is None else since
    until = (scenario.horizon + timedelta(days=1) if until is None else until).toordinal()
    state = RunningState(half_life_days=params.relations_half_life_days)
    position = 0
    first = since.toordinal()
    while position < len(log) and log[position].occurred_at.toordinal() < first:
        position += 1
    state.apply_all(log[:position])
    scores = {rule.name: RuleScore() for rule in dynamics.RULES}
    designs = {rule.name: Design() for rule in dynamics.RULES} if design else {}
    exogenous = 0
    impossible: list[tuple[int, str]] = []
    forced = set(conditioned)
    t = first
    while t < until:
        view = View(state, cast, t)
        rates = dynamics.table(view, params)
        boundary = dynamics.next_boundary(t, start, params.recheck_days, view.deadline, until)
        day = log[position].occurred_at.toordinal() if position < len(log) else math.inf
        if day >= boundary:  # also every event from *until* on: boundary <= until
            _integrate(rates, boundary - t, scores, designs, None)
            t = boundary
            continue
        # Days t .. day-1 without events; on `day` the counts of each tuple.
        end = position
        while end < len(log) and log[end].occurred_at.toordinal() == day:
            end += 1
        counts: dict[tuple[str, tuple], int] = {}
        for index in range(position, end):
            event = log[index]
            if index in forced:
                exogenous += 1
                continue
            claims = dynamics.classify(event, view)
            if claims is None:
                exogenous += 1
                continue
            for rule_name, key in claims:
                if not _in_risk(rates, rule_name, key):
                    impossible.append((index, _why(event, rule_name, key)))
                    continue
                counts[(rule_name, key)] = counts.get((rule_name, key), 0) + 1
                rule = dynamics.BY_NAME[rule_name]
                value = rule.mark_value(event, key, view)
                if value is not None:
                    scores[rule_name].marks += rule.mark_density(value, params)
                    if design:
                        designs[rule_name].marks.append(value)
        _integrate(rates, day + 1 - t, scores, designs, counts)
        state.apply_all(log[position:end])
        position = end
        t = day + 1
    return Likelihood(scores, exogenous, impossible, designs, since)


def _in_risk(rates: dynamics.Table, rule_name: str, key: tuple) -> bool:
    for rule, keys in zip(rates.rules, rates.keys, strict=True):
        if rule.name == rule_name:
            return key in keys
    return False


def _why(event: Event, rule_name: str, key: tuple) -> str:
    return (
        f"{type(event).__name__} of {event.occurred_at}: rule {rule_name} has no tuple "
        f"{'/'.join(key)} in the state of that day (docs/model.md lists each rule's risk set)"
    )


def _integrate(
    rates: dynamics.Table,
    days: int,
    scores: dict[str, RuleScore],
    designs: dict[str, Design],
    counts: dict[tuple[str, tuple], int] | None,
) -> None:
    """Add a piece of *days* days whose last day has *counts* events per (rule, tuple)."""
    for rule, keys, rows, rs in zip(rates.rules, rates.keys, rates.rows, rates.rates, strict=True):
        score = scores[rule.name]
        score.expected += days * sum(rs)
        design = designs.get(rule.name)
        for key, row, rate in zip(keys, rows, rs, strict=True):
            n = counts.get((rule.name, key), 0) if counts else 0
            if n:
                score.events += n
                score.log_rates += n * math.log(rate)
                score.ties += math.lgamma(n + 1)
            if design is not None:
                design.rows.append(row)
                design.days.append(float(days))
                design.counts.append(n)
