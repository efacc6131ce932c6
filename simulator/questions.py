"""Questions a forecast answers: tests on a path that the record (or a simulated path) settles.

A question is asked from an origin (a forecast's branch date) to its day `by`, included:

- `event`: did an event of a type happen in the window, with every one of `actors` taking part
  (any role) and in `region` when given;
- `agreement`: was an agreement of a kind signed in the window (`peace`, `ceasefire`, or `any`;
  a `Ceasefire` event is a ceasefire, an `Agreement` counts by its kind), by `actors` when given;
- `count`: how many people were displaced from / returned to `region` (of `group` when given),
  or killed in offensives, in the window: a number;
- `control`: did `actor` hold more than `above` of `region` at the end of `by`;
- `mission`: was a `peacekeeping` or `monitoring` mission present in `region` at the end of `by`.

Every yes/no answer is a bool, every count a float; `answers` folds a path once for all of a
scenario's questions.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import attrs

from simulator import events as ev
from simulator.world import RunningState

KINDS = ("event", "agreement", "count", "control", "mission")
COUNTS = ("displaced", "returned", "deaths")
AGREEMENTS = ("peace", "ceasefire", "any")
EVENT_TYPES = ev.REGISTRY


@attrs.frozen
class Question:
    """One question: its name, text and kind, the day its window ends (`by`), what it tests
    (see the module docstring) and, optionally, what happened and where that is known from."""

    name: str
    text: str
    kind: str
    by: date
    event: str | None = None
    actors: tuple[str, ...] = attrs.field(default=(), converter=tuple)
    region: str | None = None
    actor: str | None = None
    above: float | None = None
    mission: str | None = None
    agreement: str | None = None
    count: str | None = None
    group: str | None = None
    outcome: bool | float | None = None
    source: str | None = None

    @property
    def numeric(self) -> bool:
        return self.kind == "count"

    def canonical(self) -> dict[str, object]:
        out = attrs.asdict(self, filter=lambda a, v: v is not None and v != ())
        out["by"] = self.by.isoformat()
        if self.actors:
            out["actors"] = list(self.actors)
        return out


def answers(
    questions: Sequence[Question], events: Sequence[ev.Event], origin: date
) -> dict[str, bool | float]:
    """Each question's answer on the path *events* (in date order) for a forecast from
    *origin*: its window is *origin* to its `by` day (questions closed by then answer None)."""
    out: dict[str, bool | float | None] = {}
    open_ = [q for q in questions if q.by >= origin]
    for q in questions:
        if q.by < origin:
            out[q.name] = None
    windowed = [q for q in open_ if q.kind in ("event", "agreement", "count")]
    for q in windowed:
        out[q.name] = 0.0 if q.numeric else False
    for e in events:
        day = e.occurred_at
        if day < origin:
            continue
        for q in windowed:
            if day <= q.by:
                _see(q, e, out)
    stated = sorted((q for q in open_ if q.kind in ("control", "mission")), key=lambda q: q.by)
    if stated:
        state = RunningState()
        position = 0
        for q in stated:
            while position < len(events) and events[position].occurred_at <= q.by:
                state.apply(events[position])
                position += 1
            out[q.name] = _holds(q, state)
    return out


def _see(q: Question, e: ev.Event, out: dict) -> None:
    if q.kind == "count":
        value = _counted(q, e)
        if value:
            out[q.name] += value
        return
    if out[q.name]:
        return  # already yes
    if q.actors and not set(q.actors) <= set(e.actors()):
        return
    if q.kind == "event":
        if type(e).__name__ == q.event and (q.region is None or _region(e) == q.region):
            out[q.name] = True
    elif type(e) is ev.Ceasefire:
        out[q.name] = q.agreement in ("ceasefire", "any")
    elif type(e) is ev.Agreement:
        out[q.name] = q.agreement == "any" or e.kind == q.agreement


def _counted(q: Question, e: ev.Event) -> float:
    if q.count == "deaths":
        if type(e) is ev.Offensive and (q.region is None or e.region == q.region):
            return float(e.casualties or 0)
        return 0.0
    wanted = ev.Displacement if q.count == "displaced" else ev.PopulationReturn
    if type(e) is not wanted or e.region != q.region:
        return 0.0
    if q.group is not None and e.group != q.group:
        return 0.0
    return float(e.people)


def _region(e: ev.Event) -> str | None:
    return getattr(e, "region", None)


def _holds(q: Question, state: RunningState) -> bool:
    if q.kind == "control":
        return state.control.get(q.region, {}).get(q.actor, 0.0) > q.above
    present = state.peacekeepers if q.mission == "peacekeeping" else state.monitors
    return sum(present.get(q.region, {}).values()) > 0
