"""What a dynamics process sees: the running state, the seeded Generator, a hazard clock, a pen."""

from __future__ import annotations

import math
from datetime import date

import numpy as np
from simpy import Environment, Event, Timeout
from simpy.events import PENDING

from simulator.events import AidDelivery, AidPledge, DiplomaticMeeting, Reported, Statement
from simulator.events import Event as Fact
from simulator.world import RunningState

DAYS_PER_YEAR = 365.25
INFINITY = float("inf")

# Events that change nothing but the relations index and the aid books: they wake only the
# processes whose hazards read relations.
_RELATIONS_ONLY = frozenset((Statement, DiplomaticMeeting, Reported, AidPledge, AidDelivery))


def _ring(timer: Timeout) -> None:
    # The timer of one `wait`: wakes its process unless a change of state woke it first.
    wake, fired = timer._value
    if wake._value is PENDING:
        wake.succeed(fired)


class Context:
    """The running world as the processes share it; the engine owns one per run.

    `events` and `causes` are the run's log so far (parallel lists); `write` is the only way
    to change the world, so every change is an event of the log and wakes every process that
    waits on a hazard, to redraw it from the new state.
    """

    __slots__ = (
        "env",
        "state",
        "rng",
        "params",
        "events",
        "causes",
        "_start",
        "_sleepers",
        "_steady",
        "_recheck",
        "_half_life",
    )

    def __init__(
        self,
        env: Environment,
        state: RunningState,
        rng: np.random.Generator,
        params,
        start: date,
    ) -> None:
        self.env = env
        self.state = state
        self.rng = rng
        self.params = params
        self.events: list[Fact] = []
        self.causes: list[str] = []
        self._start = start.toordinal()
        self._sleepers: list[Event] = []  # waits on hazards that read relations
        self._steady: list[Event] = []  # waits on hazards constant between changes of state
        self._recheck = params.recheck_days
        self._half_life = state.half_life_days

    @property
    def ordinal(self) -> int:
        """Today's date as an ordinal (the simulation clock counts days from the start)."""
        return self._start + int(self.env._now)

    @property
    def today(self) -> date:
        return date.fromordinal(self._start + int(self.env._now))

    def days_until(self, ordinal: int) -> float:
        """Days from now to the start of the day *ordinal*."""
        return ordinal - self._start - self.env._now

    def write(self, event: Fact, cause: str) -> int:
        """Append *event* (caused by *cause*) to the run, fold it, wake the waiting processes;
        return its index in the run (its version in the run's stream)."""
        index = len(self.events)
        self.events.append(event)
        self.causes.append(cause)
        self.state.apply(event)
        sleepers = self._sleepers
        if sleepers:
            self._sleepers = []
            for wake in sleepers:
                if wake._value is PENDING:
                    wake.succeed(False)
        steady = self._steady
        if steady and type(event) not in _RELATIONS_ONLY:
            self._steady = []
            for wake in steady:
                if wake._value is PENDING:
                    wake.succeed(False)
        return index

    def wait(self, rate: float, limit: float = INFINITY, relations: bool = True) -> Event:
        """An event that fires with value True when a hazard of *rate* (per year) strikes,
        or False when the state changes or *limit* days pass first.

        Waiting times are memoryless, so drawing afresh at each wake is exact for a hazard
        that is constant between wakes. A hazard that reads *relations* drifts as the index
        decays, so it is also redrawn every `recheck_days`; one that does not is woken only
        by events that change more than relations. A zero rate waits for a change only.
        """
        env = self.env
        wake = Event(env)
        if relations:
            self._sleepers.append(wake)
            if self._recheck < limit:
                limit = self._recheck
        else:
            self._steady.append(wake)
        if rate > 0.0:
            delay = self.rng.exponential(DAYS_PER_YEAR / rate)
            fired = delay < limit
            if not fired:
                delay = limit
        elif limit < INFINITY:
            delay, fired = limit, False
        else:
            return wake
        Timeout(env, delay, (wake, fired)).callbacks.append(_ring)
        return wake

    def relations(self, a: str, b: str) -> float:
        """The relations index of *a* and *b* today (0 when either role is unset)."""
        entry = self.state.relation_sums.get((a, b) if a < b else (b, a))
        if entry is None or not a or not b:
            return 0.0
        value, since = entry
        return value * 0.5 ** ((self.ordinal - since) / self._half_life)

    def share(self, actor: str) -> float:
        """The share of the contested region that *actor* controls."""
        shares = self.state.control.get(self.params.region)
        return shares.get(actor, 0.0) if shares else 0.0


def lift(x: float) -> float:
    """A bounded multiplier of a relations term *x*: exp(x) clipped to [e^-3, e^3]."""
    return math.exp(-3.0 if x < -3.0 else 3.0 if x > 3.0 else x)


def tilt(x: float) -> float:
    """A soft multiplier of *x* in (0, 2), 1 at 0: for self-reinforcing behaviour (talks)."""
    return 2.0 / (1.0 + math.exp(-x))
