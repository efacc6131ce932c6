"""CAMEO-coded rows to events: the codes that fit a catalogue type, `Reported` for the rest.

A row becomes a catalogue event when its code is in `RULES` and the event's required fields
are known (two distinct actors for an offensive, a region for a blockade, ...); when its weight
differs from the table's for that code it stays `Reported`, so the data's weight is kept. Every
other row becomes a `Reported` event with its code, weight, actors, region and source: no row
is dropped for not fitting. Each event keeps the row's identity (`gdelt:123`): in `ref` for a
`Reported` event, as the first word of `source` for the others.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from simulator import cameo
from simulator import events as ev

# The actor of a row that names none (GDELT rows may lack Actor1); never matched by a table.
UNKNOWN_ACTOR = "unknown"


class Refused(Exception):
    """A row that cannot be imported; the message says why (the reader adds the line)."""


def cameo_code(text: str) -> str:
    """The CAMEO code written as *text*, with leading zeros restored ("871" -> "0871")."""
    code = text.strip()
    if cameo.is_known(code):
        return code
    if code.isdigit() and cameo.is_known("0" + code):
        return "0" + code
    raise Refused(f"unknown CAMEO code {text!r}")


Rule = Callable[..., ev.Event | None]


def _two(a1, a2) -> bool:
    return a1 is not None and a2 is not None and a1 != a2


def _one(a1, a2) -> bool:
    # One actor, perhaps with a distinct other: a row naming the same actor twice stays Reported.
    return a1 is not None and a2 != a1


def _offensive(day, source, a1, a2, region, label, casualties):
    if not _two(a1, a2) or region is None:
        return None
    return ev.Offensive(
        occurred_at=day, source=source, attacker=a1, defender=a2, region=region,
        casualties=casualties,
    )  # fmt: skip


def _blockade(day, source, a1, a2, region, label, casualties):
    if not _one(a1, a2) or region is None:
        return None
    return ev.Blockade(occurred_at=day, source=source, imposer=a1, region=region, target=a2)


def _ceasefire(day, source, a1, a2, region, label, casualties):
    if not _two(a1, a2):
        return None
    return ev.Ceasefire(occurred_at=day, source=source, parties=(a1, a2), region=region)


def _agreement(day, source, a1, a2, region, label, casualties):
    if not _two(a1, a2):
        return None
    return ev.Agreement(
        occurred_at=day, source=source, parties=(a1, a2), kind="other", region=region
    )


def _aid(cls):
    def rule(day, source, a1, a2, region, label, casualties):
        if not _two(a1, a2) or region is None:
            return None
        return cls(
            occurred_at=day, source=source, donor=a1, recipient=a2, region=region, kind="other"
        )

    return rule


def _statement(kind: str) -> Rule:
    def rule(day, source, a1, a2, region, label, casualties):
        if not _one(a1, a2):
            return None
        return ev.Statement(
            occurred_at=day, source=source, speaker=a1, kind=kind, target=a2, region=region,
            text=label,
        )  # fmt: skip

    return rule


def _meeting(kind: str) -> Rule:
    def rule(day, source, a1, a2, region, label, casualties):
        if not _one(a1, a2):
            return None
        parties = (a1,) if a2 is None else (a1, a2)
        return ev.DiplomaticMeeting(
            occurred_at=day, source=source, parties=parties, kind=kind, region=region, topic=label
        )

    return rule


# CAMEO code -> how a row with it becomes a catalogue event. 074 (peacekeeping) is left out on
# purpose: PeacekeeperDeployment needs a troop count, which none of the layouts gives. 085 and
# 1661 are left out too: CAMEO's 085 eases sanctions generally, and 1661 does not say whose
# peacekeepers leave, so neither says what BlockadeLifted or PeacekeeperWithdrawal need.
RULES: dict[str, Rule] = {
    ev.Offensive.CAMEO: _offensive,
    ev.Blockade.CAMEO: _blockade,
    ev.Ceasefire.CAMEO: _ceasefire,
    ev.Agreement.CAMEO: _agreement,
    ev.AidDelivery.CAMEO: _aid(ev.AidDelivery),
    ev.AidPledge.CAMEO: _aid(ev.AidPledge),
}
for _kind, _code in ev.STATEMENT_CODES.items():
    RULES.setdefault(_code, _statement(_kind))
for _kind, _code in ev.MEETING_CODES.items():  # 040 is "consultation" (listed first)
    RULES.setdefault(_code, _meeting(_kind))

_TABLE_WEIGHT = {code: entry.goldstein for code, entry in cameo.table().items()}


def build(
    day: date,
    ident: str,
    code: str,
    weight: float | None,
    actor1: str | None,
    actor2: str | None,
    region: str | None = None,
    label: str = "",
    url: str = "",
    casualties: int | None = None,
    fit: bool = True,
) -> ev.Event:
    """The event for one row: a catalogue type when `RULES` has one that fits, else `Reported`.

    *ident* is the row's identity ("gdelt:123"), *code* a known CAMEO code, *weight* the row's
    Goldstein weight (None: the table's), *url* where the row's source is, if anywhere;
    `fit=False` keeps the row `Reported` whatever its code.
    """
    usual = _TABLE_WEIGHT[code]
    if weight is not None and weight == usual:
        weight = None
    if weight is None and fit:
        rule = RULES.get(code)
        if rule is not None:
            event = rule(day, f"{ident} {url}" if url else ident, actor1, actor2, region, label,
                         casualties)  # fmt: skip
            if event is not None:
                return event
    return ev.Reported(
        occurred_at=day, actor1=actor1 or UNKNOWN_ACTOR, code=code, actor2=actor2, weight=weight,
        region=region, label=label, ref=ident, source=url or None,
    )  # fmt: skip


def actor_pair(event: ev.Event) -> tuple[str, str]:
    """The row's first and second actor as written back ("" for none)."""
    if type(event) is ev.Reported:
        a1, a2 = event.actor1, event.actor2
    else:
        found = event.actors()
        a1 = found[0] if found else None
        a2 = found[1] if len(found) > 1 else None
    return ("" if a1 in (None, UNKNOWN_ACTOR) else a1), a2 or ""


def identity(event: ev.Event) -> str | None:
    """The row identity an imported *event* carries ("gdelt:123"), or None."""
    if type(event) is ev.Reported:
        return event.ref
    source = event.source
    return source.split(" ", 1)[0] if source else None


def digits(text: str, limit: int = 18) -> bool:
    """Whether *text* is a whole number in ASCII digits, at most *limit* of them: `'²'` is a
    digit to `str.isdigit` but not to `int`, and a 5,000-digit field is no count or id."""
    return text.isascii() and text.isdigit() and len(text) <= limit


def numeric_key(ident: str) -> int | str:
    """How a row identity read back from the store ("gdelt:123" less its prefix) is remembered
    by a format whose identities are numbers: as the number when it is one."""
    return int(ident) if digits(ident) else ident
