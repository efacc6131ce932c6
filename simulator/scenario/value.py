"""The `Scenario` value: who and where, the record, the branch point, interventions, settings.

`Scenario` checks its own meaning when built, so a scenario loaded from a file, built in
Python or changed with `attrs.evolve` obeys the same rules; every problem it finds is one
entry of an `Invalid`, at the key path a file would give it.
"""

from __future__ import annotations

import bisect
import hashlib
import re
from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

import attrs

from simulator import cast as cast_module
from simulator import codec, events
from simulator.calibration.uncertainties import Uncertainties
from simulator.cast import Actor, Alignment, Cast, Group
from simulator.dynamics import Parameters
from simulator.frozen import FrozenMap, frozen_map
from simulator.metrics import Focus
from simulator.questions import Question
from simulator.scenario import interventions as iv
from simulator.scenario.problems import Collector, KeyPath, listing, suggest

# The metrics `[outputs] metrics` may name: those `simulator.metrics.compute` gives every run,
# besides `relations:<A>-<B>` for a pair of declared actors (in sorted order).
METRICS = (
    "war_resumed",
    "war_resumed_on",
    "offensives",
    "casualties",
    "displaced_total",
    "returned_total",
    "displaced_at_horizon",
    "population_at_horizon",
    "reintegration_at_horizon",
    "reintegration_completed_on",
    "peace_agreement",
    "peace_agreement_on",
    "aid_delivered_share",
    "peacekeepers_at_horizon",
    "control_at_horizon",
    "runaway",
)

# An ensemble keeps about 3 KB a run in the parent (metrics and monthly series): a million runs
# is 3 GB. More would not fit the machines this runs on, so it is refused before anything runs.
MAX_RUNS = 1_000_000

_ID = re.compile(r"[A-Za-z0-9_.-]+")


def _to_actors(value: Any) -> Any:
    """Names alone become organisations (`{"UN": "United Nations"}`); the table is frozen."""
    if isinstance(value, Mapping):
        return FrozenMap({k: Actor(name=v) if isinstance(v, str) else v for k, v in value.items()})
    return value


@attrs.frozen(kw_only=True)
class Ensemble:
    """How many runs an ensemble of the scenario makes, and the seed they are spawned from."""

    runs: int = 1000
    seed: int = 0


@attrs.frozen(kw_only=True)
class Scenario:
    """A validated scenario: who and where, the record, the branch point, the interventions,
    the dynamics, the ensemble settings and the metrics to report.

    `content_hash` is the sha256 of `canonical()`: the same scenario gives the same hash on any
    machine, whatever the comments, key order, file or chain of `extends` it came from. Its
    tables are read-only (`FrozenMap`), so the hash cannot go stale: a changed scenario is a
    new one, `attrs.evolve(scenario, actors={**scenario.actors, "X": actor})`.
    """

    name: str
    description: str = ""
    start: date
    horizon: date
    actors: FrozenMap[str, Actor] = attrs.field(factory=FrozenMap, hash=False, converter=_to_actors)
    regions: FrozenMap[str, str] = attrs.field(factory=FrozenMap, hash=False, converter=frozen_map)
    groups: FrozenMap[str, Group] = attrs.field(factory=FrozenMap, hash=False, converter=frozen_map)
    alignments: tuple[Alignment, ...] = attrs.field(default=(), converter=tuple)
    events: tuple[events.Event, ...] = attrs.field(default=(), converter=tuple)
    branch_at: date | None = None
    keep_record: bool = False
    interventions: tuple[iv.Intervention, ...] = attrs.field(default=(), converter=tuple)
    dynamics: Parameters = attrs.field(factory=Parameters)
    uncertainties: Uncertainties = attrs.field(factory=Uncertainties)
    questions: tuple[Question, ...] = attrs.field(default=(), converter=tuple)
    ensemble: Ensemble = attrs.field(factory=Ensemble)
    outputs: tuple[str, ...] = attrs.field(default=(), converter=tuple)
    focus_given: Focus = attrs.field(factory=Focus)
    source_path: str | None = attrs.field(default=None, eq=False)
    extends: tuple[str, ...] = attrs.field(default=(), eq=False, converter=tuple)
    content_hash: str = attrs.field(init=False, eq=False, repr=False)
    _schedule: tuple[events.Event, ...] = attrs.field(init=False, eq=False, repr=False)
    _cast: Cast = attrs.field(init=False, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "_schedule", self._check())
        inserted = [e for i in self.interventions for e in i.events]
        object.__setattr__(
            self,
            "_cast",
            cast_module.build(
                self.actors, self.regions, self.groups, self.alignments, [*self.events, *inserted]
            ),
        )
        self._check_focus()
        digest = hashlib.sha256(codec.dumps(self.canonical()).encode("utf-8")).hexdigest()
        object.__setattr__(self, "content_hash", digest)

    @property
    def cast(self) -> Cast:
        """Who is who, for the dynamics: actors, alignments, groups, parties, donors."""
        return self._cast

    @property
    def focus(self) -> Focus:
        """What the metrics follow: `[outputs]` region, holder and parties, by default the
        first region, the first state among the parties (else the first party) and the
        parties (those that fight or back someone in the scenario)."""
        given = self.focus_given
        parties = given.parties or self._cast.parties
        holder = given.holder or next(
            (x for x in parties if self.actors[x].kind == "state"), parties[0] if parties else ""
        )
        region = given.region or next(iter(self.regions), "")
        return Focus(region=region, holder=holder, parties=parties)

    @property
    def branch_date(self) -> date:
        """Where simulation takes over: `branch_at`, else the day after the last recorded
        event, else `start`."""
        if self.branch_at is not None:
            return self.branch_at
        if self.events:
            last = self.events[-1].occurred_at
            return last if last == date.max else last + timedelta(days=1)
        return self.start

    def recorded_prefix(self) -> tuple[events.Event, ...]:
        """The recorded events dated before `branch_date`, in order: replayed as they were."""
        return self.events[: self._split()]

    def scheduled(self) -> tuple[events.Event, ...]:
        """The events the run writes at their dates from `branch_date` on: the rest of the
        record when `keep_record` (else none), after the interventions."""
        return self._schedule

    def canonical(self) -> dict[str, Any]:
        """Everything that defines the scenario, as JSON-ready values (the hash's input)."""
        return {
            "name": self.name,
            "description": self.description,
            "start": self.start.isoformat(),
            "horizon": self.horizon.isoformat(),
            "actors": {k: attrs.asdict(v) for k, v in self.actors.items()},
            "regions": dict(self.regions),
            "groups": {k: attrs.asdict(v) for k, v in self.groups.items()},
            "alignments": [attrs.asdict(a) for a in self.alignments],
            "events": [codec.to_dict(event) for event in self.events],
            "branch": {
                "at": None if self.branch_at is None else self.branch_at.isoformat(),
                "keep_record": self.keep_record,
            },
            "interventions": [i.canonical() for i in self.interventions],
            "dynamics": {
                "enabled": self.dynamics.enabled,
                "relations_half_life_days": self.dynamics.relations_half_life_days,
                "recheck_days": self.dynamics.recheck_days,
                "values": dict(self.dynamics.values),
                "free": list(self.dynamics.free),
            },
            "uncertainties": self.uncertainties.canonical(),
            "questions": [q.canonical() for q in self.questions],
            "ensemble": attrs.asdict(self.ensemble),
            "outputs": list(self.outputs),
            "focus": attrs.asdict(self.focus_given),
        }

    def _split(self) -> int:
        return bisect.bisect_left([e.occurred_at for e in self.events], self.branch_date)

    # --- the checks: each problem noted, as many as can be found at once ---------------------

    def _check(self) -> tuple[events.Event, ...]:
        found = Collector()
        self._check_head(found)
        found.raise_any()
        _check_ids(found, "actors", self.actors, Actor)
        _check_ids(found, "regions", self.regions, str)
        _check_ids(found, "groups", self.groups, Group)
        for key in self.regions:
            if key in self.actors:
                found.add(("regions", key), f"{key!r} is also an actor (distinct ids expected)")
        self._check_cast(found)
        previous: date | None = None
        for index, event in enumerate(self.events):
            if not isinstance(event, events.Event):
                found.add(("events", index), f"{event!r} is not a catalogue event")
                continue
            self._check_event(found, ("events", index), event)
            if previous is not None and event.occurred_at < previous:
                found.add(
                    ("events", index, "occurred_at"),
                    f"{event.occurred_at} is before the previous event's {previous} "
                    "(events in date order expected)",
                )
            previous = event.occurred_at
        self._check_settings(found)
        self._check_questions(found)
        found.raise_any()
        return self._check_interventions(found)

    def _check_questions(self, found: Collector) -> None:
        seen: set[str] = set()
        for index, q in enumerate(self.questions):
            path: KeyPath = ("questions", index)
            if q.name in seen:
                found.add(path + ("name",), f"{q.name!r} again (each question its own name)")
            seen.add(q.name)
            for place, actor in enumerate(q.actors):
                self._actor_ref(found, path + ("actors", place), actor)
            if q.actor is not None:
                self._actor_ref(found, path + ("actor",), q.actor)
            if q.region is not None and q.region not in self.regions:
                found.add(
                    path + ("region",),
                    f"{q.region!r} is not a declared region "
                    f"({suggest(q.region, self.regions)}declared: {listing(self.regions)})",
                )
            if q.kind == "count" and q.count != "deaths" and q.region is None:
                found.add(path + ("region",), f"missing (a count of {q.count} needs a region)")
            if not self.start <= q.by <= self.horizon:
                found.add(
                    path + ("by",),
                    f"{q.by} is outside the scenario "
                    f"(a date in [{self.start}, {self.horizon}] expected)",
                )

    def _actor_ref(self, found: Collector, path: KeyPath, actor: Any) -> bool:
        """Whether *actor* is declared; if not, the problem noted at *path*."""
        if isinstance(actor, str) and actor in self.actors:
            return True
        found.add(
            path,
            f"{actor!r} is not a declared actor "
            f"({suggest(str(actor), self.actors)}declared: {listing(self.actors)})",
        )
        return False

    def _check_cast(self, found: Collector) -> None:
        for key, actor in self.actors.items():
            if not isinstance(actor, Actor):
                continue
            path: KeyPath = ("actors", key)
            if actor.kind not in cast_module.KINDS:
                found.add(
                    path + ("kind",),
                    f"{actor.kind!r} is not an actor kind "
                    f"({suggest(str(actor.kind), cast_module.KINDS)}"
                    f"expected one of: {listing(cast_module.KINDS)})",
                )
            if actor.troops is not None and (type(actor.troops) is not int or actor.troops < 0):
                found.add(path + ("troops",), f"{actor.troops!r} (a whole number >= 0 expected)")
            for mission in actor.missions:
                if mission not in events.MISSION_KINDS:
                    found.add(
                        path + ("missions",),
                        f"{mission!r} is not a mission kind "
                        f"(expected one of: {listing(events.MISSION_KINDS)})",
                    )
        seen = set()
        for index, alignment in enumerate(self.alignments):
            path = ("alignments", index)
            if not isinstance(alignment, Alignment):
                found.add(path, f"{alignment!r} is not an Alignment")
                continue
            ok = self._actor_ref(found, path + ("backer",), alignment.backer)
            ok = self._actor_ref(found, path + ("ally",), alignment.ally) and ok
            if ok and alignment.backer == alignment.ally:
                found.add(path + ("ally",), "the backer itself (two distinct actors expected)")
            if ok and (alignment.backer, alignment.ally) in seen:
                found.add(path, f"{alignment.backer} backs {alignment.ally} twice (once expected)")
            seen.add((alignment.backer, alignment.ally))
            c = alignment.commitment
            if not isinstance(c, float) or not 0.0 <= c <= 1.0:
                found.add(path + ("commitment",), f"{c!r} (a number in [0, 1] expected)")
        for key, group in self.groups.items():
            if not isinstance(group, Group):
                continue
            for side in group.sides:
                self._actor_ref(found, ("groups", key, "sides"), side)
            if group.host is not None:
                self._actor_ref(found, ("groups", key, "host"), group.host)

    def _check_focus(self) -> None:
        found = Collector()
        given = self.focus_given
        if given.region and given.region not in self.regions:
            found.add(
                ("outputs", "region"),
                f"{given.region!r} is not a declared region "
                f"({suggest(given.region, self.regions)}declared: {listing(self.regions)})",
            )
        if given.holder:
            self._actor_ref(found, ("outputs", "holder"), given.holder)
        for party in given.parties:
            self._actor_ref(found, ("outputs", "parties"), party)
        found.raise_any()

    def _check_head(self, found: Collector) -> None:
        for field, value in (("name", self.name), ("description", self.description)):
            if not isinstance(value, str):
                found.add(("scenario", field), f"{value!r} is not text (a string expected)")
        for field in ("start", "horizon"):
            if type(getattr(self, field)) is not date:
                found.add(("scenario", field), "not a date (a TOML date like 2020-09-27)")
        if not found.problems and self.horizon <= self.start:
            found.add(
                ("scenario", "horizon"),
                f"{self.horizon} is not after start {self.start} (horizon > start expected)",
            )
        for field, value in (
            ("actors", self.actors),
            ("regions", self.regions),
            ("groups", self.groups),
        ):
            if not isinstance(value, FrozenMap):
                found.add((field,), f"{value!r} is not a table of ids")

    def _check_settings(self, found: Collector) -> None:
        if self.branch_at is not None and (
            type(self.branch_at) is not date or not self.start <= self.branch_at <= self.horizon
        ):
            found.add(
                ("branch", "at"),
                f"{self.branch_at} is outside the scenario "
                f"(a date in [{self.start}, {self.horizon}] expected)",
            )
        if not isinstance(self.keep_record, bool):
            found.add(("branch", "keep_record"), "not true or false (a boolean expected)")
        if not isinstance(self.dynamics, Parameters):
            found.add(("dynamics",), "not a dynamics.Parameters")
        ensemble = self.ensemble
        if not isinstance(ensemble, Ensemble):
            found.add(("ensemble",), "not an Ensemble")
        else:
            if type(ensemble.runs) is not int or not 1 <= ensemble.runs <= MAX_RUNS:
                found.add(
                    ("ensemble", "runs"),
                    f"{ensemble.runs!r} (a whole number from 1 to {MAX_RUNS:,} expected)",
                )
            if type(ensemble.seed) is not int or ensemble.seed < 0:
                found.add(("ensemble", "seed"), f"{ensemble.seed!r} (a whole number >= 0 expected)")
        for index, name in enumerate(self.outputs):
            self._check_metric(found, ("outputs", "metrics", index), name)

    def _check_metric(self, found: Collector, path: KeyPath, name: Any) -> None:
        if name in METRICS:
            return
        if isinstance(name, str) and name.startswith("question:"):
            asked = [q.name for q in self.questions]
            if name.removeprefix("question:") not in asked:
                found.add(path, f"{name!r} names no question (declared: {listing(asked)})")
            return
        if isinstance(name, str) and name.startswith("relations:"):
            pair = name.removeprefix("relations:").split("-")
            if len(pair) == 2 and all(p in self.actors for p in pair):
                if pair == sorted(pair):
                    return
                found.add(
                    path,
                    f"{name!r}: the pair in sorted order expected "
                    f"('relations:{min(pair)}-{max(pair)}')",
                )
                return
            found.add(
                path,
                f"{name!r} does not name two declared actors "
                "('relations:<A>-<B>' of declared actors expected)",
            )
            return
        found.add(
            path,
            f"unknown metric {name!r} ({suggest(name, METRICS)}"
            f"expected one of: {listing(METRICS, 20)}, relations:<A>-<B>, question:<name>)",
        )

    def _check_event(self, found: Collector, path: KeyPath, event: events.Event) -> None:
        if not self.start <= event.occurred_at <= self.horizon:
            found.add(
                path + ("occurred_at",),
                f"{event.occurred_at} is outside the scenario "
                f"(a date in [{self.start}, {self.horizon}] expected)",
            )
        for field in type(event).ACTOR_FIELDS:
            value = getattr(event, field)
            for actor in value if isinstance(value, tuple) else (value,):
                if actor is not None:
                    self._actor_ref(found, path + (field,), actor)
        group = getattr(event, "group", None)
        if group is not None and group not in self.groups:
            found.add(
                path + ("group",),
                f"{group!r} is not a declared group "
                f"({suggest(group, self.groups)}declared: {listing(self.groups) or 'none'})",
            )
        region = getattr(event, "region", None)
        if region is not None and region not in self.regions:
            found.add(
                path + ("region",),
                f"{region!r} is not a declared region "
                f"({suggest(region, self.regions)}declared: {listing(self.regions)})",
            )

    def _check_interventions(self, found: Collector) -> tuple[events.Event, ...]:
        branch = self.branch_date
        for index, intervention in enumerate(self.interventions):
            path: KeyPath = ("interventions", index)
            if not isinstance(intervention, iv.Intervention):
                found.add(path, f"{intervention!r} is not an Intervention")
                continue
            if intervention.action not in iv.ACTIONS:
                found.add(
                    path + ("action",),
                    f"{intervention.action!r} (one of drop, insert, change expected)",
                )
            match = intervention.match
            if (intervention.action == "insert") != (match is None):
                found.add(path, "a match is for drop and change only (insert gives events)")
            if match is not None:
                self._check_match(found, path + ("match",), match)
            if intervention.action == "insert" and not intervention.events:
                found.add(path + ("events",), "no events to insert (one or more expected)")
            for k, event in enumerate(intervention.events):
                self._check_event(found, path + ("events", k), event)
                self._check_after_branch(found, path + ("events", k), event, branch)
        found.raise_any()
        kept = self.events[self._split() :] if self.keep_record else ()

        def check_changed(path: KeyPath, event: events.Event) -> None:
            self._check_event(found, path, event)
            self._check_after_branch(found, path, event, branch)

        schedule, problems = iv.apply(kept, self.interventions, check_changed)
        for path, what in problems:
            found.add(path, what)
        found.raise_any()
        return tuple(schedule)

    def _check_match(self, found: Collector, path: KeyPath, match: iv.Match) -> None:
        for name in match.types:
            if name not in events.REGISTRY:
                found.add(
                    path + ("type",),
                    f"unknown event type {name!r} ({suggest(name, events.REGISTRY)}"
                    f"known: {listing(sorted(events.REGISTRY), 20)})",
                )
        for actor in match.actors:
            self._actor_ref(found, path + ("actors",), actor)
        if match.region is not None and match.region not in self.regions:
            found.add(
                path + ("region",),
                f"{match.region!r} is not a declared region "
                f"({suggest(match.region, self.regions)}declared: {listing(self.regions)})",
            )
        if match.on is not None and (match.first is not None or match.last is not None):
            found.add(path + ("date",), "both a date and a range (date, or from/to, expected)")
        if match.first is not None and match.last is not None and match.first > match.last:
            found.add(
                path + ("to",), f"{match.last} is before from {match.first} (from <= to expected)"
            )
        if match == iv.Match():
            found.add(path, "no criteria (type, date, from, to, actors or region expected)")

    def _check_after_branch(
        self, found: Collector, path: KeyPath, event: events.Event, branch: date
    ) -> None:
        if event.occurred_at < branch:
            found.add(
                path + ("occurred_at",),
                f"{event.occurred_at} is before the branch point {branch} "
                "(interventions act on or after it)",
            )


def _check_ids(found: Collector, kind: str, value: Mapping[str, Any], cls: type) -> None:
    for key, item in value.items():
        if not isinstance(key, str) or not _ID.fullmatch(key):
            found.add((kind, key), "bad id (letters, digits, '_', '-', '.' expected)")
        elif not isinstance(item, cls):
            found.add((kind, key), f"{item!r} is not a {cls.__name__.lower()}")
        elif cls is not str and not isinstance(item.name, str):
            found.add((kind, key, "name"), f"{item.name!r} is not a name (a string expected)")
