"""The SimPy engine: replay the record to the branch point, then let the rules write on.

Time is days from the scenario start. No rule acts before the branch, so the recorded prefix
is a fold done once per scenario and the SimPy clock starts at the branch day. From there one
SimPy process a run goes from piece to piece of constant hazard (docs/model.md, "Pieces"),
waiting with `env.timeout` only: it draws the first day with an event, writes that day's
drawn events with the scheduled ones (the kept record, the interventions), folds them into a
`world.RunningState` and moves on. Each event's cause:

    "record"            a recorded event before the branch point
    "scenario"          an event the scenario schedules after it
    "rule:<name>"       drawn from the hazards of rule <name> (`dynamics.RULES`)
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Sequence
from datetime import date
from functools import cached_property
from typing import TYPE_CHECKING, Any

import attrs
import numpy as np
import simpy

from simulator import dynamics, metrics
from simulator import events as events_module
from simulator.dynamics import Parameters, View
from simulator.events import Event
from simulator.questions import answers
from simulator.scenario import Scenario
from simulator.world import RunningState, WorldState

if TYPE_CHECKING:
    import pandas as pd

Seed = int | np.random.SeedSequence


def seed_label(seed: Seed) -> str:
    """The seed as the run's stream names it: the integer, or a SeedSequence's entropy and
    spawn key (`<entropy>-<k1>-<k2>...`)."""
    if isinstance(seed, np.random.SeedSequence):
        return "-".join(str(x) for x in (seed.entropy, *seed.spawn_key))
    return str(int(seed))


@attrs.define(eq=False)
class Run:
    """One simulated path: its events and causes (parallel lists), metrics and final state.

    `states` (a daily DataFrame) and `sample(days)` are computed from the events on demand,
    so a run costs nothing for what nobody reads.
    """

    scenario: Scenario = attrs.field(repr=False)
    seed: Seed
    events: list[Event] = attrs.field(repr=False)
    causes: list[str] = attrs.field(repr=False)
    metrics: dict[str, Any] = attrs.field(repr=False)
    final: WorldState = attrs.field(repr=False)
    params: Parameters = attrs.field(repr=False)  # the dynamics it ran with

    @property
    def name(self) -> str:
        return self.scenario.name

    @property
    def content_hash(self) -> str:
        return self.scenario.content_hash

    @property
    def stream(self) -> str:
        """The store stream of this run alone: `run/<scenario>/<hash>/seed-<seed>`."""
        from simulator.recording import run_stream

        return run_stream(self.name, self.content_hash, seed_label(self.seed))

    @property
    def recorded(self) -> int:
        """How many events come from the record before the branch point."""
        return sum(1 for cause in self.causes if cause == "record")

    def sample(self, days: Sequence[int] | np.ndarray) -> dict[str, np.ndarray]:
        """The daily series at *days* (days from the scenario start), each an array."""
        return sample(self.scenario, self.events, days, self.params)

    @cached_property
    def states(self) -> pd.DataFrame:
        """The daily state series from start to horizon, a pandas DataFrame by date."""
        import pandas as pd

        sc = self.scenario
        n = (sc.horizon - sc.start).days + 1
        series = self.sample(np.arange(n))
        index = pd.date_range(sc.start, periods=n, freq="D", name="date")
        return pd.DataFrame(series, index=index)


def simulate(scenario: Scenario, seed: Seed = 0, params: Parameters | None = None) -> Run:
    """Run *scenario* once with the Generator `numpy.random.default_rng(seed)`, under *params*
    (default: the scenario's dynamics; an ensemble passes each run's parameter set)."""
    params = scenario.dynamics if params is None else params
    start = scenario.start.toordinal()
    # The record before the branch point is folded in at once: nothing else happens before
    # the branch day, so replaying it at its days would write the same events in the same
    # order, only slower. The clock starts at the branch day.
    prefix, folded = _recorded(scenario, params.relations_half_life_days)
    state = RunningState(folded)
    day = max(scenario.branch_date.toordinal() - start, 0)
    until = scenario.horizon.toordinal() - start + 1
    log_events, causes = list(prefix), ["record"] * len(prefix)
    path = _Path(scenario, params, state, np.random.default_rng(seed), log_events, causes)
    if day < until:
        env = simpy.Environment(initial_time=day)
        env.process(_path(env, path, until))
        env.run(until=until)
    final = state.snapshot()
    found = metrics.compute(
        log_events, final, scenario.focus, scenario.branch_date, scenario.horizon
    )
    found["runaway"] = path.drawn >= MAX_DRAWN
    for name, answer in answers(scenario.questions, log_events, scenario.branch_date).items():
        if answer is not None:  # a question closed before the branch is not asked
            found[f"question:{name}"] = answer
    return Run(scenario, seed, log_events, causes, found, final, params)


# A guard, set by hand, not a parameter of the model: self-exciting hazards (talks beget
# talks) explode for some parameter values, writing events without end. A run stops once its
# rules have written this many events and says so (metric `runaway`); the recorded cases'
# runs at the fitted values write about a hundred, so this is twenty times as many.
MAX_DRAWN = 2_000


@attrs.define
class _Path:
    """The run being written: its scenario, dynamics, state, Generator and log (events and
    causes)."""

    scenario: Scenario
    params: Parameters
    state: RunningState
    rng: np.random.Generator
    events: list[Event]
    causes: list[str]
    drawn: int = 0  # events the rules wrote

    def write(self, day_events: list[tuple[Event, str]]) -> None:
        """Append one day's events and fold them: they take effect from the next day."""
        for event, cause in day_events:
            self.events.append(event)
            self.causes.append(cause)
            self.drawn += cause != "scenario"
        self.state.apply_all(event for event, _ in day_events)


def _path(env: simpy.Environment, path: _Path, until: int):
    """The one SimPy process of a run: from piece to piece of constant hazard, it draws the
    first day with an event (each day is event-free with probability exp(-total rate)), draws
    that day's events, writes them with the scheduled ones, and moves on (docs/model.md)."""
    scenario, params, state, rng = path.scenario, path.params, path.state, path.rng
    cast = scenario.cast
    start = scenario.start.toordinal()
    recheck = params.recheck_days
    schedule = list(scenario.scheduled())
    position = 0
    while True:
        t = int(env.now)
        if t >= until or path.drawn >= MAX_DRAWN:
            return
        ordinal = start + t
        view = View(state, cast, ordinal)
        rates = dynamics.table(view, params) if params.enabled else None
        boundary = dynamics.next_boundary(ordinal, start, recheck, view.deadline, start + until)
        boundary -= start
        total = rates.total if rates is not None else 0.0
        # The first day of the piece with a drawn event: each day is free of them with
        # probability exp(-total), whatever the scheduled events do.
        drawn = t + math.floor(rng.standard_exponential() / total) if total > 0.0 else math.inf
        scheduled = (
            schedule[position].occurred_at.toordinal() - start
            if position < len(schedule)
            else math.inf
        )
        day = min(drawn, scheduled)
        if day >= boundary:
            yield env.timeout(boundary - t)
            continue
        if day > t:
            yield env.timeout(day - t)
        written: list[tuple[Event, str]] = []
        while (
            position < len(schedule) and schedule[position].occurred_at.toordinal() == start + day
        ):
            written.append((schedule[position], "scenario"))
            position += 1
        if day == drawn:
            # The same state (and rates) as at the piece's start; the date it is written on.
            room = MAX_DRAWN - path.drawn
            written += _draw(rates, View(state, cast, start + day), rng, params, room)
        path.write(written)
        yield env.timeout(1)


def _draw(
    rates: dynamics.Table,
    view: View,
    rng: np.random.Generator,
    params: dynamics.Parameters,
    room: int,
) -> list[tuple[Event, str]]:
    """The drawn events of a day that has some: independent Poisson counts per tuple,
    conditioned on at least one (a total count, then a multinomial split); no more than
    *room* (a run that has run away stops at `MAX_DRAWN`)."""
    total = rates.total
    n = min(_positive_poisson(rng, total), room)
    flat = np.asarray([r for rs in rates.rates for r in rs])
    counts = rng.multinomial(n, flat / flat.sum()) if len(flat) > 1 else [n]
    written = []
    place = 0
    for rule, keys in zip(rates.rules, rates.keys, strict=True):
        for key in keys:
            for _ in range(int(counts[place])):
                written.append((rule.write(key, view, rng, params), f"rule:{rule.name}"))
            place += 1
    return written


def _positive_poisson(rng: np.random.Generator, mean: float) -> int:
    """A Poisson count of *mean* conditioned on being at least 1 (by inversion)."""
    u = rng.random() * -math.expm1(-mean)  # uniform on (0, P(N >= 1))
    n, term = 1, mean * math.exp(-mean)
    cumulative = term
    while cumulative < u and n < 10_000:
        n += 1
        term *= mean / n
        cumulative += term
    return n


# The fold of the recorded prefix of the last few scenarios run, by half-life of the relations:
# the same for all their runs (kept for speed; an entry holds its scenario, so no other object
# can come to share its id).
_PREFIXES: dict[tuple[int, float], tuple[Scenario, tuple[Event, ...], WorldState]] = {}
_KEEP = 8


def _recorded(scenario: Scenario, half_life: float) -> tuple[tuple[Event, ...], WorldState]:
    """*scenario*'s recorded prefix and the state it folds to with relations of *half_life*."""
    entry = _PREFIXES.get((id(scenario), half_life))
    if entry is None or entry[0] is not scenario:
        prefix = tuple(scenario.recorded_prefix())
        state = RunningState(half_life_days=half_life)
        state.apply_all(prefix)
        entry = (scenario, prefix, state.snapshot())
        while len(_PREFIXES) >= _KEEP:
            del _PREFIXES[next(iter(_PREFIXES))]
        _PREFIXES[id(scenario), half_life] = entry
    return entry[1], entry[2]


# --- the daily series -------------------------------------------------------------------------


def columns(scenario: Scenario) -> list[str]:
    """The names of the series `sample` gives, in order."""
    return [f"relations:{a}-{b}" for a, b in scenario.focus.pairs()] + list(_SCALARS)


# Events that change nothing but the relations index and the aid books.
_RELATIONS_ONLY = frozenset(
    (
        events_module.Statement,
        events_module.DiplomaticMeeting,
        events_module.Reported,
        events_module.AidPledge,
        events_module.AidDelivery,
        events_module.Recognition,
    )
)

_SCALARS = (
    "war",
    "blockade",
    "peacekeepers",
    "population",
    "displaced",
    "reintegration",
    "control",
)


def sample(
    scenario: Scenario,
    events: Sequence[Event],
    days: Sequence[int] | np.ndarray,
    params: Parameters | None = None,
) -> dict[str, np.ndarray]:
    """The state series of *scenario*'s path *events* at *days* from its start, folding the
    events once: relations of each followed pair, war (1 while the focus holder is at war),
    blockade (1/0), peacekeepers (troops), population, displaced, reintegration (0..1) and
    the control share of the focus holder, all of the focus region (`Scenario.focus`);
    relations decay as *params* (default: the scenario's dynamics) say."""
    params = scenario.dynamics if params is None else params
    wanted = np.asarray(days, dtype=np.int64)
    order = np.argsort(wanted, kind="stable")
    pairs = scenario.focus.pairs()
    first = scenario.start.toordinal() + (int(wanted.min()) if wanted.size else 0)
    prefix, folded = _recorded(scenario, params.relations_half_life_days)
    position = len(prefix)
    if (
        position
        and first >= folded.day.toordinal()
        and len(events) >= position
        and all(a is b for a, b in zip(events[:position], prefix, strict=True))
    ):
        state = RunningState(folded)  # the run's own record: folded once for all its runs
    else:
        state = RunningState(half_life_days=params.relations_half_life_days)
        position = 0
    half_life = state.half_life_days
    sums = state.relation_sums
    region, me = scenario.focus.region, scenario.focus.holder
    ordinals = [e.occurred_at.toordinal() for e in events]
    # How many events before each index change more than relations: the step series move
    # only at those, so they are read again only then.
    steps = [0]
    for e in events:
        steps.append(steps[-1] + (type(e) not in _RELATIONS_ONLY))
    rows = []  # the series' values at each day, in day order
    scalars = None
    for day in (wanted[order] + scenario.start.toordinal()).tolist():
        stop = bisect_right(ordinals, day, position)
        if stop > position:
            state.apply_all(events[position:stop])
            if steps[stop] != steps[position]:
                scalars = None
            position = stop
        if scalars is None:
            scalars = _scalars(state, region, me)
        row = []
        for pair in pairs:
            entry = sums.get(pair)
            if entry is None:
                row.append(0.0)
            else:
                value, since = entry
                row.append(value * 0.5 ** ((max(day, state._ordinal) - since) / half_life))
        row.extend(scalars)
        rows.append(row)
    table = np.array(rows, dtype=float).reshape(len(rows), len(pairs) + len(_SCALARS))
    out = {}
    for column, name in enumerate(columns(scenario)):
        values = np.empty(len(wanted))
        values[order] = table[:, column]
        out[name] = values
    return out


def _scalars(state: RunningState, region: str, me: str) -> tuple[float, ...]:
    """The step series of *state* in `_SCALARS` order."""
    war = any(me in p for p in state.hostilities) if me else bool(state.hostilities)
    blockade = state.blockaded(region) if region else any(state.blockades.values())
    troops = {r: sum(v.values()) for r, v in state.peacekeepers.items()}
    counts = [
        values.get(region, 0) if region else sum(values.values())
        for values in (troops, state.population, state.displaced, state.reintegration)
    ]
    shares = state.control.get(region, {}) if region else {}
    control = shares.get(me, 0.0) if me else np.nan
    return (float(war), float(blockade), *counts, control)


def day_of(scenario: Scenario, day: date) -> int:
    """*day* as days from *scenario*'s start (the engine's clock)."""
    return (day - scenario.start).days
