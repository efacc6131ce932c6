"""The SimPy engine: replay the record to the branch point, then let the dynamics write on.

Time is days from the scenario start. The recorded prefix is replayed at its recorded days,
in order; from the branch date the scheduled events (the kept record) come at their days and
the dynamics processes run until the horizon. Every event of a run goes through one
`Context.write`, which folds it into a `world.RunningState` and notes its cause:

    "record"            a recorded event before the branch point
    "scenario"          an event the scenario schedules after it
    "process:<name>"    a decision of the dynamics process <name>
    "event:<index>"     a consequence of the run's event at <index> (its version in the stream)
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from functools import cached_property
from typing import Any

import attrs
import numpy as np
import simpy

from simulator import dynamics, metrics
from simulator.dynamics.context import Context
from simulator.events import Event
from simulator.scenario import Scenario
from simulator.world import RunningState, WorldState

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

    @property
    def name(self) -> str:
        return self.scenario.name

    @property
    def content_hash(self) -> str:
        return self.scenario.content_hash

    @property
    def stream(self) -> str:
        """The store stream of this run: `run/<scenario name>/<seed>`."""
        return f"run/{self.scenario.name}/{seed_label(self.seed)}"

    @property
    def recorded(self) -> int:
        """How many events come from the record before the branch point."""
        return sum(1 for cause in self.causes if cause == "record")

    def sample(self, days: Sequence[int] | np.ndarray) -> dict[str, np.ndarray]:
        """The daily series at *days* (days from the scenario start), each an array."""
        return sample(self.scenario, self.events, days)

    @cached_property
    def states(self):
        """The daily state series from start to horizon, a pandas DataFrame by date."""
        import pandas as pd

        sc = self.scenario
        n = (sc.horizon - sc.start).days + 1
        series = self.sample(np.arange(n))
        index = pd.date_range(sc.start, periods=n, freq="D", name="date")
        return pd.DataFrame(series, index=index)


def simulate(scenario: Scenario, seed: Seed = 0) -> Run:
    """Run *scenario* once with the Generator `numpy.random.default_rng(seed)`."""
    params = scenario.dynamics
    dynamics.check_roles(
        params, scenario.actors, scenario.regions, scenario.source_path or scenario.name
    )
    env = simpy.Environment()
    state = RunningState(half_life_days=params.relations_half_life_days)
    ctx = Context(env, state, np.random.default_rng(seed), params, scenario.start)
    start = scenario.start.toordinal()
    env.process(_replay(ctx, scenario.recorded_prefix(), "record", start))
    scheduled = scenario.scheduled()
    if scheduled:
        env.process(_replay(ctx, scheduled, "scenario", start))
    chosen = dynamics.processes(params)
    if chosen:
        env.process(_branch(ctx, chosen, scenario.branch_date.toordinal() - start))
    env.run(until=scenario.horizon.toordinal() - start + 1)
    final = state.snapshot()
    found = metrics.compute(
        ctx.events, final, params, list(scenario.actors), scenario.branch_date, scenario.horizon
    )
    return Run(scenario, seed, ctx.events, ctx.causes, found, final)


def _replay(ctx: Context, events: Sequence[Event], cause: str, start: int):
    env = ctx.env
    for event in events:
        delay = event.occurred_at.toordinal() - start - env.now
        if delay > 0:
            yield env.timeout(delay)
        ctx.write(event, cause)


def _branch(ctx: Context, chosen, day: int):
    if day > 0:
        yield ctx.env.timeout(day)
    for _name, process in chosen:
        ctx.env.process(process(ctx))


# --- the daily series -------------------------------------------------------------------------


def columns(scenario: Scenario) -> list[str]:
    """The names of the series `sample` gives, in order."""
    pairs = metrics.pairs(scenario.dynamics, list(scenario.actors))
    return [f"relations:{a}-{b}" for a, b in pairs] + list(_SCALARS)


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
    scenario: Scenario, events: Sequence[Event], days: Sequence[int] | np.ndarray
) -> dict[str, np.ndarray]:
    """The state series of *scenario*'s path *events* at *days* from its start, folding the
    events once: relations of each followed pair, war (1 when the `state` role, or anyone,
    is at war), blockade (1/0), peacekeepers (troops), population, displaced, reintegration
    (0..1) and the control share of `state`, all of the role `region` (else of all regions)."""
    params = scenario.dynamics
    wanted = np.asarray(days, dtype=np.int64)
    order = np.argsort(wanted, kind="stable")
    pairs = metrics.pairs(params, list(scenario.actors))
    names = columns(scenario)
    out = {name: np.zeros(len(wanted)) for name in names}
    state = RunningState(half_life_days=params.relations_half_life_days)
    start = scenario.start
    region, me = params.region, params.state
    position, count = 0, len(events)
    for slot in order:
        day = start + timedelta(days=int(wanted[slot]))
        while position < count and events[position].occurred_at <= day:
            state.apply(events[position])
            position += 1
        for a, b in pairs:
            if state.day is None or state.relation_sums.get((a, b)) is None:
                continue
            out[f"relations:{a}-{b}"][slot] = state.relations(a, b, max(day, state.day))
        out["war"][slot] = float(
            any(me in p for p in state.hostilities) if me else bool(state.hostilities)
        )
        out["blockade"][slot] = float(
            state.blockaded(region) if region else any(state.blockades.values())
        )
        for name, values in (
            ("peacekeepers", {r: sum(v.values()) for r, v in state.peacekeepers.items()}),
            ("population", state.population),
            ("displaced", state.displaced),
            ("reintegration", state.reintegration),
        ):
            out[name][slot] = values.get(region, 0) if region else sum(values.values())
        shares = state.control.get(region, {}) if region else {}
        out["control"][slot] = shares.get(me, 0.0) if me else np.nan
    return out


def day_of(scenario: Scenario, day: date) -> int:
    """*day* as days from *scenario*'s start (the engine's clock)."""
    return (day - scenario.start).days
