"""What a dynamics process sees: the running state, the seeded Generator, a hazard clock, a pen."""

from __future__ import annotations

import math
from datetime import date

import numpy as np
from simpy import Environment, Event, Timeout

from simulator.events import AidDelivery, AidPledge, DiplomaticMeeting, Reported, Statement
from simulator.events import Event as Fact
from simulator.world import RunningState

DAYS_PER_YEAR = 365.25
INFINITY = float("inf")

# Events that change nothing but the relations index and the aid books: they wake only the
# processes whose hazards read the relations they move.
RELATIONS_ONLY = frozenset((Statement, DiplomaticMeeting, Reported, AidPledge, AidDelivery))

# Random numbers are drawn this many at a time: one scalar draw from a Generator costs about a
# microsecond, a draw from a list a fifth of that (for speed; the stream stays the seed's).
_BATCH = 64


class Context:
    """The running world as the processes share it; the engine owns one per run.

    `events` and `causes` are the run's log so far (parallel lists); `write` is the only way
    to change the world, so every change is an event of the log and wakes the processes that
    wait on a hazard it may change, to redraw it from the new state.
    """

    __slots__ = (
        "env",
        "state",
        "rng",
        "params",
        "events",
        "causes",
        "_start",
        "_recheck",
        "_half_life",
        "_tick",
        "_tick_at",
        "_watched",
        "_fronts",
        "_sleepers",
        "_still",
        "_steady",
        "_exponentials",
        "_uniforms",
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
        self._recheck = params.recheck_days
        self._half_life = state.half_life_days
        # Waits are SimPy events that the processes yield; a change of state hands the waiting
        # processes' callbacks to one fresh event, so a wake-up costs one SimPy step however
        # many processes it wakes, and no timer is ever rescheduled.
        self._tick: Timeout | None = None  # the recheck: waits on relations, no sooner timer
        self._tick_at = 0.0  # its time
        self._fronts = [  # each opponent of `state` with the pair the hostilities key
            (x, (params.state, x) if params.state < x else (x, params.state))
            for x in (params.authority, params.kin_state)
            if x
        ]
        self._watched: list[tuple[str, str]] = []  # the pairs whose relations a hazard read
        self._sleepers: list[Timeout] = []  # timers of waits on hazards that read relations
        self._still: Event | None = None  # waits on a zero rate that only a change can raise
        self._steady: list[Timeout] = []  # timers of waits on hazards constant between changes
        self._exponentials: list[float] = []
        self._uniforms: list[float] = []

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

    def exponential(self, scale: float) -> float:
        """A draw from the exponential distribution of mean *scale*."""
        draws = self._exponentials
        if not draws:
            draws = self._exponentials = self.rng.standard_exponential(_BATCH).tolist()
        return scale * draws.pop()

    def uniform(self) -> float:
        """A draw from the uniform distribution on [0, 1)."""
        draws = self._uniforms
        if not draws:
            draws = self._uniforms = self.rng.random(_BATCH).tolist()
        return draws.pop()

    def write(self, event: Fact, cause: str) -> int:
        """Append *event* (caused by *cause*) to the run, fold it, wake the waiting processes;
        return its index in the run (its version in the run's stream)."""
        index = len(self.events)
        self.events.append(event)
        self.causes.append(cause)
        state = self.state
        woken: list = []
        if type(event) in RELATIONS_ONLY:
            sums = state.relation_sums
            watched = self._watched
            before = [sums.get(pair) for pair in watched]
            state.apply(event)
            moved = zip(watched, before, strict=True)
            if any(sums.get(pair) is not entry for pair, entry in moved):
                self._wake_relations(woken)
        else:
            state.apply(event)
            self._wake_relations(woken)
            still = self._still
            if still is not None:
                woken += still.callbacks
                self._still = None
            if self._steady:
                _take(woken, self._steady)
                self._steady = []
        if woken:
            wake = Event(self.env)
            wake.callbacks = woken
            wake.succeed(False)
        return index

    def _wake_relations(self, woken: list) -> None:
        # Every wait on a hazard that reads relations: the next recheck is `recheck_days` on.
        tick = self._tick
        if tick is not None:
            woken += tick.callbacks
            tick.callbacks = []  # it rings on, unheard
            self._tick = None
        if self._sleepers:
            _take(woken, self._sleepers)
            self._sleepers = []

    def wait(self, rate: float, limit: float = INFINITY, relations: bool = True) -> Event:
        """An event that fires with value True when a hazard of *rate* (per year) strikes,
        or False when the state changes or *limit* days pass first.

        Waiting times are memoryless, so drawing afresh at each wake is exact for a hazard
        that is constant between wakes. A hazard that reads *relations* drifts as the index
        decays, so it is also redrawn at the recheck, every `recheck_days`; one that does not
        is woken only by events that change more than relations. A zero rate waits for a
        change only.
        """
        env = self.env
        delay = self.exponential(DAYS_PER_YEAR / rate) if rate > 0.0 else INFINITY
        if relations:
            tick = self._tick
            if tick is None or tick.callbacks is None:  # none set, or the last has rung
                tick = self._tick = Timeout(env, self._recheck, False)
                self._tick_at = env._now + self._recheck
            until = self._tick_at - env._now
            if delay >= until and limit >= until:
                return tick
            waiting = self._sleepers
        elif delay == INFINITY and limit == INFINITY:
            still = self._still
            if still is None:
                still = self._still = Event(env)
            return still
        else:
            waiting = self._steady
        fired = delay < limit
        timer = Timeout(env, delay if fired else limit, fired)
        waiting.append(timer)
        return timer

    def relations(self, a: str, b: str) -> float:
        """The relations index of *a* and *b* today (0 when either role is unset)."""
        if not a or not b:
            return 0.0
        pair = (a, b) if a < b else (b, a)
        if pair not in self._watched:
            self._watched.append(pair)
        entry = self.state.relation_sums.get(pair)
        if entry is None:
            return 0.0
        value, since = entry
        return value * 0.5 ** ((self._start + int(self.env._now) - since) / self._half_life)

    def at_war(self) -> list[str]:
        """The opponents (`authority`, `kin_state`, in this order) `state` is at war with."""
        hostilities = self.state.hostilities
        if not hostilities:
            return []
        return [x for x, pair in self._fronts if pair in hostilities]

    def share(self, actor: str) -> float:
        """The share of the contested region that *actor* controls."""
        shares = self.state.control.get(self.params.region)
        return shares.get(actor, 0.0) if shares else 0.0


def _take(woken: list, timers: list[Timeout]) -> None:
    # Moves the callbacks of the *timers* not yet rung to *woken*; a timer rings on, unheard.
    for timer in timers:
        if timer.callbacks:
            woken += timer.callbacks
            timer.callbacks = []


def lift(x: float) -> float:
    """A bounded multiplier of a relations term *x*: exp(x) clipped to [e^-3, e^3]."""
    return math.exp(-3.0 if x < -3.0 else 3.0 if x > 3.0 else x)


def tilt(x: float) -> float:
    """A soft multiplier of *x* in (0, 2), 1 at 0: for self-reinforcing behaviour (talks)."""
    return 2.0 / (1.0 + math.exp(-x))
