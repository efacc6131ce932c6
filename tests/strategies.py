"""Hypothesis strategies for the event catalogue: one per event type, reused by every test.

`event_of(cls)` builds valid instances of one type; `events()` any type; `event_lists()`
date-ordered lists drawn from a small cast of actors and regions, so that generated histories
actually interact (the same pairs fight, agree, blockade and trade).
"""

from __future__ import annotations

from datetime import date

import attrs
from hypothesis import strategies as st

from simulator import cameo, events

ACTORS = ("AAA", "BBB", "CCC", "DDD", "UN")
REGIONS = ("R1", "R2")
GROUPS = ("G1", "G2")
START = date(2020, 1, 1)

actor = st.sampled_from(ACTORS)
region = st.sampled_from(REGIONS)
days = st.dates(min_value=START, max_value=date(2030, 12, 31))
count = st.integers(min_value=0, max_value=200_000)
amount = st.floats(min_value=0, max_value=1e9, allow_nan=False, allow_infinity=False)
text = st.text(max_size=30)
share = st.floats(min_value=0.01, max_value=1.0, allow_nan=False)


def parties(minimum: int) -> st.SearchStrategy[tuple[str, ...]]:
    return st.lists(actor, min_size=minimum, max_size=4, unique=True).map(tuple)


_BY_NAME = {
    "occurred_at": days,
    "source": st.none() | st.just("https://example.org/report"),
    "region": region,
    "troops": count,
    "casualties": count,
    "people": count,
    "usd": amount,
    "tonnes": amount,
    "share": share,
    "mandate_days": count,
    "text": text,
    "topic": text,
    "title": text,
    "label": text,
    "ref": st.none() | st.text(min_size=1, max_size=12),
    "code": st.sampled_from(sorted(cameo.table())),
    "weight": st.none() | st.floats(min_value=-10, max_value=10, allow_nan=False),
    "milestone": st.sampled_from(events.MILESTONES),
}

_KINDS = {
    "Statement": st.sampled_from(sorted(events.STATEMENT_CODES)),
    "DiplomaticMeeting": st.sampled_from(sorted(events.MEETING_CODES)),
    "Agreement": st.sampled_from(events.AGREEMENT_KINDS),
    "AidPledge": st.sampled_from(events.AID_KINDS),
    "AidDelivery": st.sampled_from(events.AID_KINDS),
    "PeacekeeperDeployment": st.sampled_from(events.MISSION_KINDS),
    "PeacekeeperWithdrawal": st.sampled_from(events.MISSION_KINDS),
}


def _field_strategy(cls: type, field: attrs.Attribute) -> st.SearchStrategy:
    name = field.name
    if name == "kind":
        return _KINDS[cls.__name__]
    if name == "parties":
        return parties(2 if cls.__name__ == "Agreement" else 1)
    if name == "group":
        return st.none() | st.sampled_from(GROUPS)
    strategy = _BY_NAME.get(name, actor)  # every field not named there is an actor id
    if field.default is None and name not in ("source", "ref", "weight"):
        return st.none() | strategy
    return strategy


def event_of(cls: type[events.Event]) -> st.SearchStrategy[events.Event]:
    """Valid instances of the event type *cls*."""
    fields = {f.name: _field_strategy(cls, f) for f in attrs.fields(cls)}
    return st.fixed_dictionaries(fields).map(lambda kw: cls(**kw))


def events_any() -> st.SearchStrategy[events.Event]:
    return st.one_of([event_of(cls) for cls in events.REGISTRY.values()])


def event_lists(max_size: int = 40) -> st.SearchStrategy[list[events.Event]]:
    """Histories: events of any type, sorted by date (a record is always in date order)."""
    return st.lists(events_any(), max_size=max_size).map(
        lambda evs: sorted(evs, key=lambda e: e.occurred_at)
    )
