"""Who is who in a scenario: actors with a kind and a strength, who backs whom, the groups of
people and whose side they count as their own. The dynamics read this; they know no names.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import attrs

from simulator import events as ev
from simulator.frozen import FrozenMap, frozen_map

KINDS = ("state", "authority", "armed_group", "organisation")
ARMED = frozenset(("state", "authority", "armed_group"))


@attrs.frozen(kw_only=True)
class Actor:
    """An actor: its `kind`, its armed strength where known (`troops`, a head count) and the
    kinds of mission it can field (`missions`, of `events.MISSION_KINDS`)."""

    name: str
    kind: str = "organisation"
    troops: int | None = None
    missions: tuple[str, ...] = attrs.field(default=(), converter=tuple)


@attrs.frozen(kw_only=True)
class Alignment:
    """`backer` backs `ally` with `commitment` in [0, 1] (1: fights for it; 0.5: arms, money,
    cover; 0.2: words)."""

    backer: str
    ally: str
    commitment: float
    source: str | None = None


@attrs.frozen(kw_only=True)
class Group:
    """A group of people: the actors it counts as its own side (`sides`: it flees control by
    others) and where its displaced go by default (`host`, an actor id)."""

    name: str
    sides: tuple[str, ...] = attrs.field(default=(), converter=tuple)
    host: str | None = None


# The people of no named group: no side of their own, so no rule makes them flee or return.
NO_GROUP = Group(name="people of no named group")


@attrs.frozen(kw_only=True)
class Cast:
    """The actors, regions, groups and alignments of a scenario, with the sets the rules range
    over: `parties` (the armed actors that fight or back someone in the scenario's events or
    alignments), `donors` (actors that pledge or deliver aid in them), `states` and
    `organisations`."""

    actors: FrozenMap[str, Actor] = attrs.field(converter=frozen_map)
    regions: tuple[str, ...]
    groups: FrozenMap[str, Group] = attrs.field(converter=frozen_map)
    alignments: tuple[Alignment, ...]
    parties: tuple[str, ...]
    donors: tuple[str, ...]
    states: tuple[str, ...]
    organisations: tuple[str, ...]
    # ally -> ((backer, commitment), ...)
    backers: FrozenMap[str, tuple[tuple[str, float], ...]] = attrs.field(converter=frozen_map)
    # (backer, ally) -> commitment
    commitment: FrozenMap[tuple[str, str], float] = attrs.field(converter=frozen_map)
    allies: frozenset[tuple[str, str]]  # sorted pairs of which one backs the other

    def group(self, name: str) -> Group:
        return self.groups.get(name, NO_GROUP) if name else NO_GROUP

    def troops(self, actor: str) -> int | None:
        found = self.actors.get(actor)
        return found.troops if found is not None else None


def is_armed(actor: Actor) -> bool:
    """States, authorities and armed groups are armed; so is an organisation that fields armed
    peacekeepers (a military alliance)."""
    return actor.kind in ARMED or "peacekeeping" in actor.missions


# Fields naming actors who take part in fighting, per event type: their actors are parties.
_FIGHTING = {
    ev.Offensive: ("attacker", "defender"),
    ev.Intervention: ("intervener", "ally", "enemy"),
    ev.Ceasefire: ("parties",),
    ev.Blockade: ("imposer", "target"),
}


def build(
    actors: Mapping[str, Actor],
    regions: Iterable[str],
    groups: Mapping[str, Group],
    alignments: Iterable[Alignment],
    scenario_events: Iterable[ev.Event],
) -> Cast:
    """The cast of a scenario whose events (record and inserted) are *scenario_events*."""
    alignments = tuple(alignments)
    named: set[str] = set()
    donors: set[str] = set()
    for event in scenario_events:
        fields = _FIGHTING.get(type(event))
        if fields:
            for field in fields:
                value = getattr(event, field)
                named.update(value if isinstance(value, tuple) else (value,) if value else ())
        elif type(event) in (ev.AidPledge, ev.AidDelivery):
            donors.add(event.donor)
    for a in alignments:
        named.update((a.backer, a.ally))
    order = list(actors)
    parties = tuple(x for x in order if x in named and is_armed(actors[x]))
    backers: dict[str, list[tuple[str, float]]] = {}
    for a in alignments:
        if a.commitment > 0.0:
            backers.setdefault(a.ally, []).append((a.backer, a.commitment))
    return Cast(
        actors=actors,
        regions=tuple(regions),
        groups=groups,
        alignments=alignments,
        parties=parties,
        donors=tuple(x for x in order if x in donors),
        states=tuple(x for x in order if actors[x].kind == "state"),
        organisations=tuple(x for x in order if actors[x].kind == "organisation"),
        backers={k: tuple(v) for k, v in backers.items()},
        commitment={(a.backer, a.ally): a.commitment for a in alignments},
        allies=frozenset(tuple(sorted((a.backer, a.ally))) for a in alignments),
    )
