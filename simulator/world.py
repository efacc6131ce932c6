"""The world state as a pure fold of events: control, hostilities, aid, peacekeepers, people,
reintegration and the relations index between actors (rules and scales in `docs/world.md`).

`fold(events)` and `apply(state, event)` return frozen `WorldState` values. Inside, a mutable
`RunningState` applies events to plain dicts through a table of handlers keyed by event type
and freezes once at the end; the engine uses a `RunningState` directly, since it reads the
state after every event. Both share one set of read methods (`_Reads`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date
from itertools import combinations, takewhile

import attrs

from simulator import cameo
from simulator import events as ev
from simulator.errors import EventError

# Half-life of the relations index: six months. GDELT and ICEWS dyadic series are usually read
# monthly to quarterly; at 180 days a season's events keep near full weight, a ceasefire counts
# half after six months and about 1/16 after two years (four half-lives). See docs/world.md.
DEFAULT_HALF_LIFE_DAYS = 180.0

# Weight of each reintegration milestone in a region's progress (they sum to exactly 1: all
# weights are multiples of 1/16, so the float sum is exact in any order). The five steps of
# state building (separate institutions gone, administration, security, documents,
# infrastructure) weigh one eighth each; property and rights weigh three sixteenths each,
# because whether the displaced come back and live there as citizens hinges on them.
MILESTONE_WEIGHTS: Mapping[str, float] = {
    "institutions_dissolved": 0.125,
    "administration": 0.125,
    "security": 0.125,
    "documents": 0.125,
    "property": 0.1875,
    "infrastructure": 0.125,
    "rights": 0.1875,
}
assert set(MILESTONE_WEIGHTS) == set(ev.MILESTONES) and sum(MILESTONE_WEIGHTS.values()) == 1.0

# A holding smaller than this is no holding (shares are fractions of a region).
SHARE_EPSILON = 1e-12

Pair = tuple[str, str]


def pair(a: str, b: str) -> Pair:
    """The unordered pair of actors *a* and *b* as the state keys it (sorted)."""
    return (a, b) if a <= b else (b, a)


def decay(days: int, half_life_days: float) -> float:
    """The factor by which the relations index shrinks over *days* (1/2 per half-life)."""
    return 0.5 ** (days / half_life_days)


def _check_half_life(half_life_days: float) -> float:
    value = float(half_life_days)
    if not 0.0 < value < float("inf"):
        raise ValueError(f"'half_life_days' must be a finite number > 0 (got {half_life_days!r})")
    return value


class _Reads:
    """The read API shared by `WorldState` and `RunningState` (same attribute names)."""

    __slots__ = ()

    def at_war(self, a: str, b: str) -> bool:
        """Whether hostilities between *a* and *b* are active (either order)."""
        return pair(a, b) in self.hostilities

    def blockaded(self, region: str) -> bool:
        """Whether any actor's blockade of *region* is in force."""
        return bool(self.blockades.get(region))

    def relations(self, a: str, b: str, day: date | None = None) -> float:
        """The relations index of *a* and *b* on *day* (default: the state's day): the sum of
        the Goldstein weights of the events between them, each decayed by its age."""
        entry = self.relation_sums.get(pair(a, b))
        if entry is None:
            return 0.0
        value, since = entry
        return value * decay(self._age(since, day), self.half_life_days)

    def relations_table(self, day: date | None = None) -> dict[Pair, float]:
        """The relations index of every pair that has one, on *day* (default: the state's day)."""
        h = self.half_life_days
        return {
            p: value * decay(self._age(since, day), h)
            for p, (value, since) in self.relation_sums.items()
        }

    def aid_delivered_share(
        self, donor: str | None = None, kind: str | None = None
    ) -> float | None:
        """Delivered USD over pledged USD (of *donor* and *kind* where given); None if no USD
        was pledged. Can exceed 1: aid delivered without a recorded pledge counts too."""
        pledged = sum(
            usd
            for (d, k), (usd, _) in self.aid_pledged.items()
            if (donor is None or d == donor) and (kind is None or k == kind)
        )
        if not pledged:
            return None
        delivered = sum(
            usd
            for (d, k), (usd, _) in self.aid_delivered.items()
            if (donor is None or d == donor) and (kind is None or k == kind)
        )
        return delivered / pledged

    def _age(self, since: int, day: date | None) -> int:
        target = self.day if day is None else day
        age = target.toordinal() - since
        if age < 0:
            raise ValueError(
                f"relations on {target} come before the pair's last event "
                f"({date.fromordinal(since)}); fold to that day instead"
            )
        return age


@attrs.frozen(kw_only=True, eq=True)
class WorldState(_Reads):
    """The world on `day` (the last day folded), as a value. Treat its dicts as read-only.

    Regions and pairs appear once an event touched them; an emptied holding is removed, the
    region stays (with `{}`). `relation_sums` maps each pair to (index on its as-of day, that
    day's ordinal); `relations()` decays it to the day asked; `hostile_sums` and
    `cooperative_sums` keep the same decayed sums of the negative and of the positive weights
    apart, as magnitudes. `theatres` holds the regions each warring pair has fought in,
    `truces` the day each pair's last war ended, `missions` each mission's (start ordinal,
    mandate days) by (region, contributor, kind), `groups` and `groups_displaced` the people by
    (region, group) (`""` for people of no named group), `takeovers` the last day each actor
    took ground in each region (from a recorded loser) and `taken` the share it took there,
    `open_pledges` the aid pledges not yet delivered by (donor,
    region).
    """

    day: date | None = None
    half_life_days: float = DEFAULT_HALF_LIFE_DAYS
    control: dict[str, dict[str, float]] = attrs.field(factory=dict)
    hostilities: dict[Pair, date] = attrs.field(factory=dict)
    peace: dict[Pair, date] = attrs.field(factory=dict)
    casualties: dict[str, int] = attrs.field(factory=dict)
    blockades: dict[str, dict[str, date]] = attrs.field(factory=dict)
    peacekeepers: dict[str, dict[str, int]] = attrs.field(factory=dict)
    population: dict[str, int] = attrs.field(factory=dict)
    displaced: dict[str, int] = attrs.field(factory=dict)
    milestones: dict[str, dict[str, date]] = attrs.field(factory=dict)
    reintegration: dict[str, float] = attrs.field(factory=dict)
    aid_pledged: dict[tuple[str, str], tuple[float, float]] = attrs.field(factory=dict)
    aid_delivered: dict[tuple[str, str], tuple[float, float]] = attrs.field(factory=dict)
    relation_sums: dict[Pair, tuple[float, int]] = attrs.field(factory=dict)
    # The same decayed sums split by sign, as magnitudes: a meeting does not cancel an attack.
    hostile_sums: dict[Pair, tuple[float, int]] = attrs.field(factory=dict)
    cooperative_sums: dict[Pair, tuple[float, int]] = attrs.field(factory=dict)
    theatres: dict[Pair, tuple[str, ...]] = attrs.field(factory=dict)
    truces: dict[Pair, date] = attrs.field(factory=dict)
    monitors: dict[str, dict[str, int]] = attrs.field(factory=dict)
    missions: dict[tuple[str, str, str], tuple[int, int | None]] = attrs.field(factory=dict)
    groups: dict[tuple[str, str], int] = attrs.field(factory=dict)
    groups_displaced: dict[tuple[str, str], int] = attrs.field(factory=dict)
    takeovers: dict[tuple[str, str], date] = attrs.field(factory=dict)
    taken: dict[tuple[str, str], float] = attrs.field(factory=dict)
    open_pledges: dict[tuple[str, str], int] = attrs.field(factory=dict)
    recognitions: dict[tuple[str, str], date] = attrs.field(factory=dict)
    dissolved: dict[str, date] = attrs.field(factory=dict)


_NESTED = ("control", "blockades", "peacekeepers", "monitors", "milestones")
_FLAT = (
    "hostilities",
    "peace",
    "casualties",
    "population",
    "displaced",
    "reintegration",
    "aid_pledged",
    "aid_delivered",
    "relation_sums",
    "hostile_sums",
    "cooperative_sums",
    "theatres",
    "truces",
    "missions",
    "groups",
    "groups_displaced",
    "takeovers",
    "taken",
    "open_pledges",
    "recognitions",
    "dissolved",
)


class RunningState(_Reads):
    """The world state being folded, mutable: `apply(event)` changes it in place, `snapshot()`
    gives the frozen `WorldState`. For the engine, which reads the state after every event."""

    __slots__ = ("day", "half_life_days", "_ordinal", *_NESTED, *_FLAT)

    def __init__(self, state: WorldState | None = None, half_life_days: float | None = None):
        if state is None:
            state = _EMPTY
            self.half_life_days = _check_half_life(
                DEFAULT_HALF_LIFE_DAYS if half_life_days is None else half_life_days
            )
        else:
            if half_life_days is not None and half_life_days != state.half_life_days:
                raise ValueError(
                    f"the state was folded with a half-life of {state.half_life_days} days, "
                    f"not {half_life_days}: fold the events again to change it"
                )
            self.half_life_days = state.half_life_days
        self.day = state.day
        self._ordinal = None if state.day is None else state.day.toordinal()
        for name in _NESTED:  # copies all the way down: the state given is never changed
            setattr(self, name, {k: dict(v) for k, v in getattr(state, name).items()})
        for name in _FLAT:
            setattr(self, name, dict(getattr(state, name)))

    def apply(self, event: ev.Event) -> None:
        """Fold *event* into this state (events must come in date order)."""
        if event.occurred_at != self.day:
            self.advance(event.occurred_at)
        cls = type(event)
        (_HANDLERS.get(cls) or _handler_for(cls))(self, event)

    def apply_all(self, events: Iterable[ev.Event]) -> None:
        """Fold *events* in order; the same as `apply` on each, with the loop kept tight."""
        handlers = _HANDLERS
        day = self.day
        for event in events:
            if event.occurred_at != day:
                self.advance(event.occurred_at)
                day = self.day
            cls = type(event)
            handler = handlers.get(cls)
            if handler is None:
                handler = _handler_for(cls)
            handler(self, event)

    def advance(self, day: date) -> None:
        """Move the state's day to *day* (the relations index is read as of it)."""
        if self.day is not None and day < self.day:
            raise EventError(
                f"event dated {day} comes before the state's day {self.day}: "
                "events must be folded in date order"
            )
        self.day = day
        self._ordinal = day.toordinal()

    def snapshot(self) -> WorldState:
        """The state as a frozen value, independent of later changes to this one."""
        fields = {name: {k: dict(v) for k, v in getattr(self, name).items()} for name in _NESTED}
        fields.update((name, dict(getattr(self, name))) for name in _FLAT)
        return WorldState(day=self.day, half_life_days=self.half_life_days, **fields)


_EMPTY = WorldState()


def fold(
    events: Iterable[ev.Event],
    state: WorldState | None = None,
    half_life_days: float | None = None,
) -> WorldState:
    """The state after folding *events* (date-ordered) into *state* (default: the empty world)."""
    running = RunningState(state, half_life_days)
    running.apply_all(events)
    return running.snapshot()


def apply(state: WorldState, event: ev.Event) -> WorldState:
    """The state after *event*: a new value, *state* is left as it was."""
    running = RunningState(state)
    running.apply(event)
    return running.snapshot()


def state_on(
    events: Iterable[ev.Event], day: date, half_life_days: float | None = None
) -> WorldState:
    """The state through the end of *day*: *events* (date-ordered) after it are not read."""
    running = RunningState(half_life_days=half_life_days)
    running.apply_all(takewhile(lambda event: event.occurred_at <= day, events))
    running.advance(day)
    return running.snapshot()


def relations_over(
    events: Iterable[ev.Event],
    pairs: Iterable[tuple[str, str]],
    days: Iterable[date],
    half_life_days: float | None = None,
) -> dict[tuple[str, str], list[float]]:
    """The relations index of each of *pairs* (keyed as given) on each of *days* (ascending),
    *events* (date-ordered) folded once: each day's value counts the events up to that day."""
    running = RunningState(half_life_days=half_life_days)
    series: dict[tuple[str, str], list[float]] = {p: [] for p in pairs}
    pending = iter(events)
    upcoming = next(pending, None)
    for day in days:
        while upcoming is not None and upcoming.occurred_at <= day:
            running.apply(upcoming)
            upcoming = next(pending, None)
        for (a, b), values in series.items():
            values.append(running.relations(a, b, day))
    return series


# --- handlers: one per event type, each applies its event to a RunningState's dicts ---------
# Written for speed: the fold calls one per event, so they inline the pair sorting and the
# relations update rather than calling `event.dyads()` and `event.goldstein`.


def _relate(s: RunningState, p: Pair, weight: float) -> None:
    # Adds *weight* to the pair's index, and its magnitude to the pair's hostile or cooperative
    # sum, after decaying each from its as-of day to today; the (value, day) pair makes a fold
    # split anywhere do exactly the same float operations.
    today = s._ordinal
    _add_decayed(s.relation_sums, p, weight, today, s.half_life_days)
    if weight < 0.0:
        _add_decayed(s.hostile_sums, p, -weight, today, s.half_life_days)
    elif weight > 0.0:
        _add_decayed(s.cooperative_sums, p, weight, today, s.half_life_days)


def _add_decayed(sums: dict, p: Pair, weight: float, today: int, half_life: float) -> None:
    entry = sums.get(p)
    if entry is None:
        sums[p] = (weight, today)
    elif entry[1] == today:
        sums[p] = (entry[0] + weight, today)
    else:
        sums[p] = (entry[0] * 0.5 ** ((today - entry[1]) / half_life) + weight, today)


def _relate_two(s: RunningState, a: str, b: str | None, weight: float) -> None:
    if b is not None and a != b:
        _relate(s, (a, b) if a < b else (b, a), weight)


def _relate_group(s: RunningState, actors: tuple[str, ...], extra: str | None, w: float) -> None:
    if extra is not None and extra not in actors:
        actors = (*actors, extra)
    for a, b in combinations(actors, 2):
        _relate(s, (a, b) if a < b else (b, a), w)


def _weight(cls: type[ev.Event]) -> float:
    return cameo.goldstein(cls.CAMEO)


_W_OFFENSIVE = _weight(ev.Offensive)
_W_CEASEFIRE = _weight(ev.Ceasefire)
_W_PLEDGE = _weight(ev.AidPledge)
_W_DELIVERY = _weight(ev.AidDelivery)
_W_DEPLOYMENT = _weight(ev.PeacekeeperDeployment)
_W_WITHDRAWAL = _weight(ev.PeacekeeperWithdrawal)
_W_BLOCKADE = _weight(ev.Blockade)
_W_LIFTED = _weight(ev.BlockadeLifted)
_W_AGREEMENT = _weight(ev.Agreement)
_W_RECOGNITION = _weight(ev.Recognition)
_W_STATEMENT = {kind: cameo.goldstein(code) for kind, code in ev.STATEMENT_CODES.items()}
_W_MEETING = {kind: cameo.goldstein(code) for kind, code in ev.MEETING_CODES.items()}


def ended_pairs(hostilities: Mapping[Pair, date], parties: tuple[str, ...]) -> list[Pair]:
    """The warring pairs a truce of *parties* ends: those among them, or, for one party alone
    (a unilateral truce), every war of that party."""
    if len(parties) == 1:
        (one,) = parties
        return [p for p in hostilities if one in p]
    found = []
    for a, b in combinations(parties, 2):
        p = (a, b) if a < b else (b, a)
        if p in hostilities:
            found.append(p)
    return found


def _end_hostilities(s: RunningState, parties: tuple[str, ...]) -> None:
    for p in ended_pairs(s.hostilities, parties):
        del s.hostilities[p]
        s.theatres.pop(p, None)
        s.truces[p] = s.day


def _fight(s: RunningState, a: str, b: str, region: str) -> None:
    if a != b:
        p = (a, b) if a < b else (b, a)
        if p not in s.hostilities:
            s.hostilities[p] = s.day
        fought = s.theatres.get(p, ())
        if region not in fought:
            s.theatres[p] = (*fought, region)
        _relate(s, p, _W_OFFENSIVE)


def _offensive(s: RunningState, e: ev.Offensive) -> None:
    _fight(s, e.attacker, e.defender, e.region)
    s.casualties[e.region] = s.casualties.get(e.region, 0) + (e.casualties or 0)


def _intervention(s: RunningState, e: ev.Intervention) -> None:
    _fight(s, e.intervener, e.enemy, e.region)


def _ceasefire(s: RunningState, e: ev.Ceasefire) -> None:
    _end_hostilities(s, e.parties)
    _relate_group(s, e.parties, e.mediator, _W_CEASEFIRE)


def _agreement(s: RunningState, e: ev.Agreement) -> None:
    if e.kind == "ceasefire" or e.kind == "peace":
        _end_hostilities(s, e.parties)
        if e.kind == "peace":
            for a, b in combinations(e.parties, 2):
                s.peace[(a, b) if a < b else (b, a)] = e.occurred_at
    _relate_group(s, e.parties, None, _W_AGREEMENT)


def _add_aid(book: dict, e: ev.AidPledge | ev.AidDelivery) -> None:
    key = (e.donor, e.kind)
    usd, tonnes = book.get(key, (0.0, 0.0))
    if e.usd is not None:
        usd += e.usd
    if e.tonnes is not None:
        tonnes += e.tonnes
    book[key] = (usd, tonnes)


def _aid_pledge(s: RunningState, e: ev.AidPledge) -> None:
    _add_aid(s.aid_pledged, e)
    key = (e.donor, e.region)
    s.open_pledges[key] = s.open_pledges.get(key, 0) + 1
    _relate_two(s, e.donor, e.recipient, _W_PLEDGE)


def _aid_delivery(s: RunningState, e: ev.AidDelivery) -> None:
    _add_aid(s.aid_delivered, e)
    key = (e.donor, e.region)
    open_ = s.open_pledges.get(key, 0)
    if open_ > 1:
        s.open_pledges[key] = open_ - 1
    elif open_:
        del s.open_pledges[key]
    _relate_two(s, e.donor, e.recipient, _W_DELIVERY)


def _forces(s: RunningState, kind: str) -> dict[str, dict[str, int]]:
    return s.monitors if kind == "monitoring" else s.peacekeepers


def _deployment(s: RunningState, e: ev.PeacekeeperDeployment) -> None:
    forces = _forces(s, e.kind)
    present = forces.get(e.region)
    if present is None:
        present = forces[e.region] = {}
    troops = present.get(e.contributor, 0) + e.troops
    if troops:
        present[e.contributor] = troops
        s.missions[(e.region, e.contributor, e.kind)] = (s._ordinal, e.mandate_days)
    _relate_two(s, e.contributor, e.host, _W_DEPLOYMENT)


def _withdrawal(s: RunningState, e: ev.PeacekeeperWithdrawal) -> None:
    forces = _forces(s, e.kind)
    present = forces.get(e.region)
    if present is None:
        present = forces[e.region] = {}
    left = present.get(e.contributor, 0) - (e.troops if e.troops is not None else 1 << 62)
    if left > 0:
        present[e.contributor] = left
    else:
        present.pop(e.contributor, None)
        s.missions.pop((e.region, e.contributor, e.kind), None)
    _relate_two(s, e.contributor, e.host, _W_WITHDRAWAL)


def _blockade(s: RunningState, e: ev.Blockade) -> None:
    imposers = s.blockades.get(e.region)
    if imposers is None:
        imposers = s.blockades[e.region] = {}
    if e.imposer not in imposers:
        imposers[e.imposer] = e.occurred_at
    _relate_two(s, e.imposer, e.target, _W_BLOCKADE)


def _blockade_lifted(s: RunningState, e: ev.BlockadeLifted) -> None:
    imposers = s.blockades.get(e.region)
    if imposers is None:
        imposers = s.blockades[e.region] = {}
    imposers.pop(e.imposer, None)
    _relate_two(s, e.imposer, e.target, _W_LIFTED)


def _statement(s: RunningState, e: ev.Statement) -> None:
    _relate_two(s, e.speaker, e.target, _W_STATEMENT[e.kind])


def _meeting(s: RunningState, e: ev.DiplomaticMeeting) -> None:
    _relate_group(s, e.parties, e.convener, _W_MEETING[e.kind])


def _reported(s: RunningState, e: ev.Reported) -> None:
    weight = e.weight if e.weight is not None else cameo.goldstein(e.code)
    _relate_two(s, e.actor1, e.actor2, weight)


def _displacement(s: RunningState, e: ev.Displacement) -> None:
    # More people leaving than were counted: the count was stale; the group empties there and
    # all of them count as displaced.
    key = (e.region, e.group or "")
    people = e.people
    living = s.groups.get(key, 0)
    left = living - people if living > people else 0
    s.groups[key] = left
    s.population[e.region] = s.population.get(e.region, 0) - living + left
    s.groups_displaced[key] = s.groups_displaced.get(key, 0) + people
    s.displaced[e.region] = s.displaced.get(e.region, 0) + people


def _population_return(s: RunningState, e: ev.PopulationReturn) -> None:
    key = (e.region, e.group or "")
    away = s.groups_displaced.get(key, 0)
    back = e.people if e.people < away else away
    s.groups_displaced[key] = away - back
    s.displaced[e.region] = s.displaced.get(e.region, 0) - back
    s.groups[key] = s.groups.get(key, 0) + back
    s.population[e.region] = s.population.get(e.region, 0) + back


def _population_count(s: RunningState, e: ev.PopulationCount) -> None:
    # A count is a new baseline for its group. Counted above the folded number, the difference
    # is people counted as displaced who are back (or never left): the displaced stock shrinks
    # by it. Counted below, only the living number changes (where the others went is unknown).
    key = (e.region, e.group or "")
    living = s.groups.get(key, 0)
    away = s.groups_displaced.get(key, 0)
    back = min(away, e.people - living) if e.people > living else 0
    s.population[e.region] = s.population.get(e.region, 0) - living + e.people
    s.displaced[e.region] = s.displaced.get(e.region, 0) - back
    s.groups[key] = e.people
    s.groups_displaced[key] = away - back


def _control_change(s: RunningState, e: ev.ControlChange) -> None:
    # The loser's holding is taken first; any rest of `share` comes from the part of the
    # region no one is recorded to hold (holdings from before the record began).
    shares = s.control.get(e.region)
    if shares is None:
        shares = s.control[e.region] = {}
    gainer, loser, share = e.gainer, e.loser, e.share
    if gainer == loser:
        return
    held = shares.get(loser, 0.0) if loser is not None else 0.0
    taken = share if share < held else held
    unheld = 1.0 - sum(shares.values())
    rest = share - taken
    if rest > unheld:
        rest = unheld if unheld > 0.0 else 0.0
    if taken > 0.0:
        left = held - taken
        if left > SHARE_EPSILON:
            shares[loser] = left
        else:
            del shares[loser]
    gained = shares.get(gainer, 0.0) + taken + rest
    if gained > SHARE_EPSILON:
        shares[gainer] = gained if gained < 1.0 else 1.0
        if loser is not None:  # a takeover; holdings from nobody set the start of a record
            s.takeovers[(e.region, gainer)] = s.day
            key = (e.region, gainer)
            s.taken[key] = s.taken.get(key, 0.0) + taken + rest
    else:
        shares.pop(gainer, None)


def _reintegration_step(s: RunningState, e: ev.ReintegrationStep) -> None:
    reached = s.milestones.get(e.region)
    if reached is None:
        reached = s.milestones[e.region] = {}
    if e.milestone not in reached:
        reached[e.milestone] = e.occurred_at
    # Summed in catalogue order, so the progress depends on the set reached, not the order.
    s.reintegration[e.region] = sum(MILESTONE_WEIGHTS[m] for m in ev.MILESTONES if m in reached)


def _recognition(s: RunningState, e: ev.Recognition) -> None:
    s.recognitions.setdefault((e.recognizer, e.recognized), e.occurred_at)
    _relate_two(s, e.recognizer, e.recognized, _W_RECOGNITION)


def _dissolution(s: RunningState, e: ev.Dissolution) -> None:
    # Its wars end with it (no truce: there is no one left to break one).
    for p in [p for p in s.hostilities if e.actor in p]:
        del s.hostilities[p]
        s.theatres.pop(p, None)
    s.dissolved.setdefault(e.actor, e.occurred_at)


def _other(s: RunningState, e: ev.Event) -> None:
    """Any other event type: it moves relations only, through its own `dyads()`/`goldstein`."""
    if e.cameo is not None:
        weight = e.goldstein
        for p in e.dyads():
            _relate(s, p, weight)


_HANDLERS = {
    ev.Offensive: _offensive,
    ev.Intervention: _intervention,
    ev.Recognition: _recognition,
    ev.Dissolution: _dissolution,
    ev.Ceasefire: _ceasefire,
    ev.AidPledge: _aid_pledge,
    ev.AidDelivery: _aid_delivery,
    ev.PeacekeeperDeployment: _deployment,
    ev.PeacekeeperWithdrawal: _withdrawal,
    ev.Blockade: _blockade,
    ev.BlockadeLifted: _blockade_lifted,
    ev.Statement: _statement,
    ev.DiplomaticMeeting: _meeting,
    ev.Agreement: _agreement,
    ev.Displacement: _displacement,
    ev.PopulationReturn: _population_return,
    ev.PopulationCount: _population_count,
    ev.ControlChange: _control_change,
    ev.ReintegrationStep: _reintegration_step,
    ev.Reported: _reported,
}
assert set(_HANDLERS) == set(ev.REGISTRY.values()), "every catalogue type needs a handler"


def _handler_for(cls: type) -> Callable[[RunningState, ev.Event], None]:
    """The handler of *cls*'s nearest catalogue base (or `_other`), remembered for next time."""
    if not isinstance(cls, type) or not issubclass(cls, ev.Event):
        raise EventError(f"not a catalogue event: {cls.__name__}")
    handler = next((_HANDLERS[b] for b in cls.__mro__ if b in _HANDLERS), _other)
    _HANDLERS[cls] = handler
    return handler
