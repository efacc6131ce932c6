"""The event catalogue: every kind of fact the simulator records, as frozen attrs classes.

An event is a value: frozen, slotted, keyword-only, validated on construction. Each type has a
CAMEO code (GDELT's table, shipped in `data/cameo_goldstein.csv`) and so a Goldstein weight
(-10 conflict .. +10 cooperation), which the relations index sums. Types that record a change
of the world rather than an interaction between actors (population, control, reintegration)
carry no code: the interaction that caused them is already counted.

Units are in the field names' documentation: troops and people are head counts, `usd` is US
dollars, `tonnes` metric tonnes, `share` a fraction of a region's territory (0..1], `*_days`
days. Dates are `datetime.date` (the world's resolution is one day).
"""

from __future__ import annotations

from datetime import date
from itertools import combinations
from typing import ClassVar

import attrs

from simulator import cameo
from simulator.errors import EventError

REGISTRY: dict[str, type[Event]] = {}
# The days an event may carry: wide enough for any modern conflict and any forecast horizon,
# narrow enough that day arithmetic (ordinals, series of days) stays small and exact.
FIRST_DATE = date(1800, 1, 1)
LAST_DATE = date(2200, 12, 31)
# The largest count of people, troops or deaths an event may carry: ten times the world's
# population, so no real count is refused and no sum of counts overflows a float's precision.
MAX_COUNT = 10**11

AID_KINDS = ("food", "fuel", "medical", "shelter", "cash", "mixed", "other")

# Statement kind -> CAMEO code. The kinds are the speech acts the record needs; add a kind
# here with its code from the GDELT table and it is valid everywhere.
STATEMENT_CODES = {
    "comment": "010",
    "optimism": "013",
    "pessimism": "012",
    "denial": "016",
    "appeal": "020",
    "appeal_aid": "0233",
    "appeal_peacekeeping": "0234",
    "appeal_deescalation": "0256",
    "appeal_settlement": "027",
    "assurance": "030",
    "intent_to_negotiate": "036",
    "intent_rights": "0343",
    "praise": "051",
    "apology": "055",
    "demand": "100",
    "demand_withdrawal": "106",
    "condemnation": "111",
    "accusation": "112",
    "threat": "138",
}

MEETING_CODES = {
    "consultation": "040",
    "security_council": "040",  # a UN Security Council session: consultation among members
    "visit": "042",
    "mediation": "045",
    "negotiation": "046",
}

AGREEMENT_KINDS = ("ceasefire", "peace", "border", "transit", "humanitarian", "other")

# Kinds of mission: armed peacekeepers keep the sides apart; unarmed monitors observe.
MISSION_KINDS = ("peacekeeping", "monitoring")

# Reintegration milestones of a region into a state; their weights live in `world`.
MILESTONES = (
    "institutions_dissolved",
    "administration",
    "security",
    "documents",
    "property",
    "infrastructure",
    "rights",
)


# --- validators: small factories, one message style: "<Type>: 'field' must be ... (got x)"


def _fail(inst, attribute, what: str, value) -> None:
    if type(value) is int and abs(value) > MAX_COUNT:
        # not turned into text: a number of thousands of digits cannot be (int max str digits)
        shown = f"a number of about {int(value.bit_length() * 0.30103) + 1} digits"
    else:
        shown = repr(value)
        shown = shown if len(shown) <= 80 else shown[:77] + "..."
    raise EventError(f"{type(inst).__name__}: '{attribute.name}' must be {what} (got {shown})")


# The actor checks below run for most fields of every event an import builds, so each is
# written for speed: one strip (an id is non-empty and equal to itself stripped), and the test
# repeated inline in `_opt_actor` and `_actors` rather than called.
_ACTOR_ID = "a non-empty actor id without surrounding spaces"


def _actor(inst, attribute, value) -> None:
    if not isinstance(value, str) or not value or value.strip() != value:
        _fail(inst, attribute, _ACTOR_ID, value)


def _opt_actor(inst, attribute, value) -> None:
    if value is not None and (not isinstance(value, str) or not value or value.strip() != value):
        _fail(inst, attribute, _ACTOR_ID, value)


def _actors(minimum: int):
    def check(inst, attribute, value) -> None:
        if not isinstance(value, tuple) or len(value) < minimum:
            _fail(inst, attribute, f"at least {minimum} actor ids", value)
        for actor in value:
            if not isinstance(actor, str) or not actor or actor.strip() != actor:
                _fail(inst, attribute, _ACTOR_ID, actor)
        if len(set(value)) != len(value):
            _fail(inst, attribute, "distinct actor ids", value)

    return check


def _date(inst, attribute, value) -> None:
    if type(value) is not date or not FIRST_DATE <= value <= LAST_DATE:
        _fail(inst, attribute, f"a date (YYYY-MM-DD) from {FIRST_DATE} to {LAST_DATE}", value)


def _count(inst, attribute, value) -> None:
    if type(value) is not int or not 0 <= value <= MAX_COUNT:
        _fail(inst, attribute, f"a whole number from 0 to {MAX_COUNT:.0e}", value)


def _opt_count(inst, attribute, value) -> None:
    if value is not None:
        _count(inst, attribute, value)


def _opt_amount(inst, attribute, value) -> None:
    if value is not None and (type(value) is not float or not value >= 0 or value == float("inf")):
        _fail(inst, attribute, "a finite number >= 0", value)


def _share(inst, attribute, value) -> None:
    if type(value) is not float or not 0.0 < value <= 1.0:
        _fail(inst, attribute, "a share in (0, 1]", value)


def _one_of(options):
    def check(inst, attribute, value) -> None:
        if value not in options:
            _fail(inst, attribute, f"one of {', '.join(sorted(options))}", value)

    return check


def _opt_text(inst, attribute, value) -> None:
    if value is not None and not isinstance(value, str):
        _fail(inst, attribute, "text", value)


def _text(inst, attribute, value) -> None:
    if not isinstance(value, str):
        _fail(inst, attribute, "text", value)


def _to_float(value):
    """Accept whole numbers where amounts are asked (TOML `usd = 5`), keep other values as given."""
    if type(value) is int:
        return float(value)
    return value


def _to_tuple(value):
    return tuple(value) if isinstance(value, list | tuple) else value


def _actor_field():
    return attrs.field(validator=_actor)


def _opt_actor_field():
    return attrs.field(default=None, validator=_opt_actor)


def _count_field():
    return attrs.field(validator=_count)


def _opt_count_field():
    return attrs.field(default=None, validator=_opt_count)


def _opt_amount_field():
    return attrs.field(default=None, converter=_to_float, validator=_opt_amount)


def _parties_field(minimum: int):
    return attrs.field(converter=_to_tuple, validator=_actors(minimum))


def _register(cls):
    """Make *cls* a frozen keyword-only event class and register it under its name."""
    cls = attrs.frozen(kw_only=True)(cls)
    REGISTRY[cls.__name__] = cls
    return cls


@attrs.frozen(kw_only=True)
class Event:
    """A dated fact. `source` cites where it is known from (a URL or a citation)."""

    CAMEO: ClassVar[str | None] = None
    SCHEMA: ClassVar[int] = 1
    ACTOR_FIELDS: ClassVar[tuple[str, ...]] = ()

    occurred_at: date = attrs.field(validator=_date)
    source: str | None = attrs.field(default=None, validator=_opt_text)

    @property
    def cameo(self) -> str | None:
        """The CAMEO code of this event, or None for a change of state that is no interaction."""
        return self.CAMEO

    @property
    def goldstein(self) -> float:
        code = self.cameo
        return 0.0 if code is None else cameo.goldstein(code)

    def actors(self) -> tuple[str, ...]:
        """Every actor id the event names, in field order (regions are places, not actors)."""
        found: list[str] = []
        for name in self.ACTOR_FIELDS:
            value = getattr(self, name)
            if value is None:
                continue
            for actor in value if isinstance(value, tuple) else (value,):
                if actor not in found:
                    found.append(actor)
        return tuple(found)

    def dyads(self) -> tuple[tuple[str, str], ...]:
        """The unordered actor pairs whose relations this event moves (sorted pairs)."""
        if self.cameo is None:
            return ()
        return tuple(tuple(sorted(p)) for p in combinations(self.actors(), 2))


@_register
class Offensive(Event):
    """Military force used by `attacker` against `defender` in `region`."""

    ACTOR_FIELDS = ("attacker", "defender")
    CAMEO = "190"
    attacker: str = _actor_field()
    defender: str = _actor_field()
    region: str = _actor_field()
    troops: int | None = _opt_count_field()  # troops committed
    casualties: int | None = _opt_count_field()  # people killed, both sides, where known


@_register
class Intervention(Event):
    """`intervener` enters the war of its `ally` against `enemy` in `region`, on the ally's side."""

    ACTOR_FIELDS = ("intervener", "enemy", "ally")
    CAMEO = "190"
    intervener: str = _actor_field()
    ally: str = _actor_field()
    enemy: str = _actor_field()
    region: str = _actor_field()
    troops: int | None = _opt_count_field()

    def dyads(self) -> tuple[tuple[str, str], ...]:
        """Only the intervener and the enemy fight: the ally's relations are not moved."""
        if self.intervener == self.enemy:
            return ()
        return (tuple(sorted((self.intervener, self.enemy))),)


@_register
class Ceasefire(Event):
    """A truce declared by `parties`: ends the hostilities among them; a unilateral one (one
    party) ends every war of that party."""

    ACTOR_FIELDS = ("parties", "mediator")
    CAMEO = "0871"
    parties: tuple[str, ...] = _parties_field(1)
    region: str | None = _opt_actor_field()
    mediator: str | None = _opt_actor_field()


@_register
class AidPledge(Event):
    """`donor` promises aid of `kind` for `region` (USD and/or tonnes where given)."""

    ACTOR_FIELDS = ("donor", "recipient")
    CAMEO = "0333"
    donor: str = _actor_field()
    recipient: str = _actor_field()
    region: str = _actor_field()
    kind: str = attrs.field(validator=_one_of(AID_KINDS))
    usd: float | None = _opt_amount_field()
    tonnes: float | None = _opt_amount_field()


@_register
class AidDelivery(Event):
    """Aid of `kind` from `donor` that reached `region` (USD and/or tonnes where given)."""

    ACTOR_FIELDS = ("donor", "recipient")
    CAMEO = "073"
    donor: str = _actor_field()
    recipient: str = _actor_field()
    region: str = _actor_field()
    kind: str = attrs.field(validator=_one_of(AID_KINDS))
    usd: float | None = _opt_amount_field()
    tonnes: float | None = _opt_amount_field()


@_register
class PeacekeeperDeployment(Event):
    """`troops` of a mission of `kind` (armed peacekeepers or unarmed monitors) of
    `contributor` deployed to `region`, hosted by `host`."""

    ACTOR_FIELDS = ("contributor", "host")
    CAMEO = "074"
    contributor: str = _actor_field()
    region: str = _actor_field()
    troops: int = _count_field()
    host: str | None = _opt_actor_field()
    mandate_days: int | None = _opt_count_field()
    kind: str = attrs.field(default="peacekeeping", validator=_one_of(MISSION_KINDS))


@_register
class PeacekeeperWithdrawal(Event):
    """`contributor` withdraws `troops` of its mission of `kind` from `region` (None: all)."""

    ACTOR_FIELDS = ("contributor", "host")
    CAMEO = "1661"
    contributor: str = _actor_field()
    region: str = _actor_field()
    troops: int | None = _opt_count_field()
    host: str | None = _opt_actor_field()
    kind: str = attrs.field(default="peacekeeping", validator=_one_of(MISSION_KINDS))


@_register
class Blockade(Event):
    """`imposer` blocks movement into `region` (against `target` where named)."""

    ACTOR_FIELDS = ("imposer", "target")
    CAMEO = "191"
    imposer: str = _actor_field()
    region: str = _actor_field()
    target: str | None = _opt_actor_field()


@_register
class BlockadeLifted(Event):
    """`imposer` lifts its blockade of `region`."""

    ACTOR_FIELDS = ("imposer", "target")
    CAMEO = "085"
    imposer: str = _actor_field()
    region: str = _actor_field()
    target: str | None = _opt_actor_field()


@_register
class Statement(Event):
    """A public statement of `kind` by `speaker` (addressed to `target` where there is one)."""

    ACTOR_FIELDS = ("speaker", "target")
    speaker: str = _actor_field()
    kind: str = attrs.field(validator=_one_of(STATEMENT_CODES))
    target: str | None = _opt_actor_field()
    region: str | None = _opt_actor_field()
    text: str = attrs.field(default="", validator=_text)

    @property
    def cameo(self) -> str:
        return STATEMENT_CODES[self.kind]


@_register
class DiplomaticMeeting(Event):
    """A meeting of `parties` of `kind` (a UN Security Council session is `security_council`)."""

    ACTOR_FIELDS = ("parties", "convener")
    parties: tuple[str, ...] = _parties_field(1)
    kind: str = attrs.field(validator=_one_of(MEETING_CODES))
    convener: str | None = _opt_actor_field()
    region: str | None = _opt_actor_field()
    topic: str = attrs.field(default="", validator=_text)

    @property
    def cameo(self) -> str:
        return MEETING_CODES[self.kind]


@_register
class Agreement(Event):
    """A signed agreement of `kind` between `parties`; `ceasefire` and `peace` end hostilities."""

    ACTOR_FIELDS = ("parties",)
    CAMEO = "057"
    parties: tuple[str, ...] = _parties_field(2)
    kind: str = attrs.field(validator=_one_of(AGREEMENT_KINDS))
    region: str | None = _opt_actor_field()
    title: str = attrs.field(default="", validator=_text)


@_register
class Displacement(Event):
    """`people` of `group` leave `region` (for `destination`, the host actor, where known)."""

    ACTOR_FIELDS = ("destination",)
    region: str = _actor_field()
    people: int = _count_field()
    destination: str | None = _opt_actor_field()
    group: str | None = _opt_actor_field()


@_register
class PopulationReturn(Event):
    """`people` of `group` displaced from `region` come back to it."""

    region: str = _actor_field()
    people: int = _count_field()
    group: str | None = _opt_actor_field()


@_register
class PopulationCount(Event):
    """A count of the `people` of `group` living in `region` that day: a new baseline for that
    group there; counted above the fold, the difference comes off its displaced stock."""

    region: str = _actor_field()
    people: int = _count_field()
    group: str | None = _opt_actor_field()


@_register
class ControlChange(Event):
    """`gainer` takes `share` of `region`'s territory from `loser` (None: from nobody recorded)."""

    ACTOR_FIELDS = ("gainer", "loser")
    region: str = _actor_field()
    gainer: str = _actor_field()
    share: float = attrs.field(converter=_to_float, validator=_share)
    loser: str | None = _opt_actor_field()


@_register
class ReintegrationStep(Event):
    """`state` reaches reintegration `milestone` for `region` (weights in `world.MILESTONES`)."""

    ACTOR_FIELDS = ("state",)
    region: str = _actor_field()
    state: str = _actor_field()
    milestone: str = attrs.field(validator=_one_of(MILESTONES))


@_register
class Recognition(Event):
    """`recognizer` grants diplomatic recognition to `recognized`."""

    ACTOR_FIELDS = ("recognizer", "recognized")
    CAMEO = "054"
    recognizer: str = _actor_field()
    recognized: str = _actor_field()


@_register
class Dissolution(Event):
    """`actor` ceases to exist (a de facto authority dissolved): it holds, fights and signs no
    more."""

    ACTOR_FIELDS = ("actor",)
    actor: str = _actor_field()


def _cameo_code(inst, attribute, value) -> None:
    if not isinstance(value, str) or not cameo.is_known(value):
        _fail(inst, attribute, "a CAMEO code of the GDELT table, e.g. '190'", value)


def _opt_weight(inst, attribute, value) -> None:
    if value is not None and (type(value) is not float or not -10.0 <= value <= 10.0):
        _fail(inst, attribute, "a Goldstein weight in [-10, 10]", value)


@_register
class Reported(Event):
    """A CAMEO-coded event from real data that no catalogue type fits; kept, never dropped.

    `code` and `weight` are as the data gave them (`weight` defaults to the table's);
    `ref` is the row's identity in its data set, so that a re-import adds nothing.
    """

    ACTOR_FIELDS = ("actor1", "actor2")
    actor1: str = _actor_field()
    code: str = attrs.field(validator=_cameo_code)
    actor2: str | None = _opt_actor_field()
    weight: float | None = attrs.field(default=None, converter=_to_float, validator=_opt_weight)
    region: str | None = _opt_actor_field()
    label: str = attrs.field(default="", validator=_text)
    ref: str | None = attrs.field(default=None, validator=_opt_text)

    @property
    def cameo(self) -> str:
        return self.code

    @property
    def goldstein(self) -> float:
        return cameo.goldstein(self.code) if self.weight is None else self.weight


def event_type(name: str) -> type[Event]:
    """The registered event class called *name*; EventError naming the known types if none."""
    try:
        return REGISTRY[name]
    except KeyError:
        known = ", ".join(sorted(REGISTRY))
        raise EventError(f"unknown event type {name!r} (known: {known})") from None


def describe(event: Event) -> str:
    """A short description of *event*: its kind, the actors it names and its place."""
    words = [str(getattr(event, name)) for name in ("kind", "milestone") if hasattr(event, name)]
    actors = event.actors()
    if actors:
        words.append(", ".join(actors))
    for name in ("share", "people", "troops", "casualties"):
        value = getattr(event, name, None)
        if value is not None:
            words.append(f"{name} {_number(value)}")
    region = getattr(event, "region", None)
    if region is not None:
        words.append(f"in {region}")
    return " ".join(words)


def _number(value: float | int) -> str:
    return f"{value:,}" if isinstance(value, int) else f"{value:.3g}"
