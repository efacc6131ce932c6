"""The rules of the relational event model: for each kind of action, the actor tuples it can
apply to (its risk set), the covariates of each tuple's hazard, the event it writes and the
density of that event's marks. One definition serves the engine and the likelihood.

A rule's hazard for a tuple is `exp(b . x)` events a year, `x` its covariates (the first is
1, for the intercept `base`), `b` the rule's coefficients (`Parameters`). Every coefficient and
mark parameter, with its default, unit and source, is listed in docs/model.md.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import attrs
import numpy as np

from simulator import events as ev
from simulator.dynamics import marks
from simulator.dynamics.view import HELD, View
from simulator.world import ended_pairs

Key = tuple[str, ...]
Row = tuple[float, ...]


@attrs.frozen
class Rule:
    """One kind of action: its covariates (names, `base` first), its mark parameters, its risk
    set, its writer, and its marks' log-density in two steps: `mark_value` reads what an event
    shows of its marks in the state it happened in (None: nothing to score), `mark_density`
    scores that under the parameters. A fit keeps the values and re-scores them."""

    name: str
    covariates: tuple[str, ...]
    mark_names: tuple[str, ...]
    risk: Callable[[View], list[tuple[Key, Row]]]
    write: Callable[[Key, View, np.random.Generator, Any], ev.Event]
    mark_value: Callable[[ev.Event, Key, View], Any]
    mark_density: Callable[[Any, Any], float]


def _no_marks(event: ev.Event, key: Key, v: View) -> None:
    return None


def _no_density(value: Any, m: Any) -> float:
    return 0.0


def _today(v: View) -> date:
    return date.fromordinal(v.ordinal)


# --- fighting -------------------------------------------------------------------------------


def _attack_risk(v: View) -> list[tuple[Key, Row]]:
    # An attack opens a war: of a party on another that holds ground in a region, or whose
    # forces stand there for an ally that does (a backer of a holder), or on an armed group or
    # authority that holds no ground anywhere, on the attacker's own ground (an insurgency).
    rows = []
    parties = v.parties()
    landless = {  # armed groups and authorities with no ground (not outside states)
        b
        for b in parties
        if v.cast.actors[b].kind in ("armed_group", "authority")
        and not any(v.share(b, r) > HELD for r in v.cast.regions)
    }
    blockades = v.state.blockades
    for region in v.cast.regions:
        holders = v.holders(region)
        if not holders:
            continue
        held = {a for a, _ in holders}
        keepers, monitors = v.peacekeepers(region), v.monitors(region)  # read once a region
        imposers = blockades.get(region, {})
        for b in parties:
            there = b in held or v.backs_holder(b, region)
            for a in parties:
                if a == b or not (there or (b in landless and a in held)):
                    continue
                if v.allied(a, b) or v.at_war(a, b):
                    continue
                rows.append(
                    (
                        (a, b, region),
                        (
                            1.0,
                            v.hostile(a, b),
                            v.cooperative(a, b),
                            v.truce_recent(a, b),
                            v.peace(a, b),
                            v.backing(b, a),
                            keepers,
                            monitors,
                            1.0 if a in imposers else 0.0,
                            v.strength(a, b),
                        ),
                    )
                )
    return rows


def _war_risk(v: View) -> list[tuple[Key, Row]]:
    # Rounds of an ongoing war, either side on the other, in any region of its theatre.
    rows = []
    for a, b in v.state.hostilities:
        for region in v.theatre(a, b):
            for x, y in ((a, b), (b, a)):
                rows.append(((x, y, region), (1.0, v.strength(x, y), v.war_months(x, y))))
    return rows


def _fight_write(key: Key, v: View, rng: np.random.Generator, m: Any, rule: str) -> ev.Event:
    a, b, region = key
    casualties = marks.count_draw(
        rng, m[f"{rule}.casualties_mean_log"], m[f"{rule}.casualties_sd_log"]
    )
    return ev.Offensive(
        occurred_at=_today(v), attacker=a, defender=b, region=region, casualties=casualties
    )


def _casualties(event: ev.Offensive, key: Key, v: View) -> int | None:
    return event.casualties  # None when not recorded: not scored


def _fight_density(rule: str):
    def density(casualties: int, m: Any) -> float:
        return marks.count_logpdf(
            casualties, m[f"{rule}.casualties_mean_log"], m[f"{rule}.casualties_sd_log"]
        )

    return density


def _intervene_risk(v: View) -> list[tuple[Key, Row]]:
    # A backer joins its ally's war against an enemy it is not yet fighting.
    rows = []
    for a, b in v.state.hostilities:
        for ally, enemy in ((a, b), (b, a)):
            for backer, commitment in v.cast.backers.get(ally, ()):
                if backer == enemy or not v.alive(backer) or v.at_war(backer, enemy):
                    continue
                if v.allied(backer, enemy):
                    continue
                rows.append(
                    (
                        (backer, ally, enemy),
                        (1.0, commitment, v.hostile(backer, enemy), v.strength(backer, enemy)),
                    )
                )
    return rows


def _intervene_write(key: Key, v: View, rng, m) -> ev.Event:
    backer, ally, enemy = key
    return ev.Intervention(
        occurred_at=_today(v),
        intervener=backer,
        ally=ally,
        enemy=enemy,
        region=v.theatre(ally, enemy)[0],
    )


def _advance_risk(v: View) -> list[tuple[Key, Row]]:
    # Ground taken by force: either side of a war from the other, where the other holds some.
    rows = []
    for a, b in v.state.hostilities:
        for region in v.theatre(a, b):
            for x, y in ((a, b), (b, a)):
                if v.share(y, region) > HELD:
                    rows.append(
                        (
                            (x, y, region),
                            (
                                1.0,
                                v.strength(x, y),
                                v.backing(y, x),
                                v.peacekeepers(region),
                            ),
                        )
                    )
    return rows


def _fraction_draw(rng: np.random.Generator, rule: str, m: Any) -> float:
    """A fraction of a stock from *rule*'s mark parameters (`all`, `a`, `b`)."""
    return marks.fraction_draw(rng, m[f"{rule}.all"], m[f"{rule}.a"], m[f"{rule}.b"])


def _fraction_density(rule: str):
    def density(f: float, m: Any) -> float:
        return marks.fraction_logpdf(f, m[f"{rule}.all"], m[f"{rule}.a"], m[f"{rule}.b"])

    return density


def _take_write(rule: str, gainer_first: bool):
    def write(key: Key, v: View, rng, m) -> ev.Event:
        first, second, region = key
        gainer, loser = (first, second) if gainer_first else (second, first)
        held = v.share(loser, region)
        f = _fraction_draw(rng, rule, m)
        share = held if f >= 1.0 else max(1e-4, min(held, round(f * held, 4)))
        return ev.ControlChange(
            occurred_at=_today(v), region=region, gainer=gainer, loser=loser, share=min(share, 1.0)
        )

    return write


def _taken_fraction(gainer_first: bool):
    def value(event: ev.ControlChange, key: Key, v: View) -> float:
        first, second, region = key
        loser = second if gainer_first else first
        held = v.share(loser, region)
        return 1.0 if event.share >= held - 1e-9 else event.share / held

    return value


def _collapsed(v: View, a: str, b: str) -> float:
    """1.0 if one side of the war holds nothing left in a theatre region it held ground in at
    the war's start... read simply: if either side holds no ground in the theatre at all."""
    theatre = v.theatre(a, b)
    held_a = any(v.share(a, r) > HELD for r in theatre)
    held_b = any(v.share(b, r) > HELD for r in theatre)
    return 1.0 if not (held_a and held_b) else 0.0


def _ceasefire_risk(v: View) -> list[tuple[Key, Row]]:
    rows = []
    for a, b in v.state.hostilities:
        rows.append(
            (
                (a, b),
                (1.0, v.war_months(a, b), _collapsed(v, a, b), v.cooperative(a, b)),
            )
        )
    return rows


def _ceasefire_write(key: Key, v: View, rng, m) -> ev.Event:
    a, b = key
    return ev.Ceasefire(occurred_at=_today(v), parties=(a, b), region=v.theatre(a, b)[0])


def _handover_risk(v: View) -> list[tuple[Key, Row]]:
    # Ground handed over without fighting: by a holder to a party that is neither its ally nor
    # at war with it (likeliest just after a truce between them, to a receiver that has just
    # taken ground there: the handovers that implement a defeat), or to an organisation that
    # fields missions, an international administration (likeliest just after a truce of the
    # holder's with anyone).
    rows = []
    parties = v.parties()
    organisations = [x for x in v.cast.organisations if v.alive(x) and v.cast.actors[x].missions]
    for region in v.cast.regions:
        for a, _ in v.holders(region):
            for b in parties:
                if b == a or v.at_war(a, b) or v.allied(a, b):
                    continue
                advancing = v.recent(v.state.takeovers.get((region, b)))
                row = (1.0, v.truce_recent(a, b), advancing, 0.0, v.cooperative(a, b))
                rows.append(((a, b, region), row))
            if organisations:
                truce = _truce_recent(v, a)
                for b in organisations:
                    if b != a and not v.at_war(a, b):
                        rows.append(((a, b, region), (1.0, 0.0, 0.0, truce, v.cooperative(a, b))))
    return rows


def _truce_recent(v: View, actor: str) -> float:
    """1.0 within `RECENT_DAYS` of the end of any war of *actor*."""
    latest = None
    for pair, day in v.state.truces.items():
        if actor in pair and (latest is None or day > latest):
            latest = day
    return v.recent(latest)


# --- pressure and diplomacy -----------------------------------------------------------------


def _blockade_risk(v: View) -> list[tuple[Key, Row]]:
    # A party blocks movement into a held region: a rival's, or its own against a rival
    # (closing its borders); the covariates are of the pair with that target.
    rows = []
    for region in v.cast.regions:
        if not v.holders(region):
            continue
        imposed = v.state.blockades.get(region, {})
        for a in v.parties():
            if a in imposed:
                continue
            t = _blockade_target(v, a, region)
            if t is None:
                rows.append(((a, region), (1.0, 0.0, 0.0)))
            else:
                rows.append(((a, region), (1.0, v.hostile(a, t), v.cooperative(a, t))))
    return rows


def _blockade_target(v: View, a: str, region: str) -> str | None:
    """Whom *a*'s blockade of *region* is against: its largest rival holder there, else the
    rival it has the most hostile relations with (None if it has none)."""
    for h, _ in v.holders(region):
        if h != a and not v.allied(a, h):
            return h
    rivals = [b for b in v.parties() if b != a and not v.allied(a, b)]
    best = max(rivals, key=lambda b: (v.hostile(a, b), b), default=None)
    return best if best is not None and v.hostile(a, best) > 0.0 else None


def _blockade_write(key: Key, v: View, rng, m) -> ev.Event:
    a, region = key
    return ev.Blockade(
        occurred_at=_today(v), imposer=a, region=region, target=_blockade_target(v, a, region)
    )


def _lift_risk(v: View) -> list[tuple[Key, Row]]:
    rows = []
    for region, imposers in v.state.blockades.items():
        for a in imposers:
            others = [h for h, _ in v.holders(region) if h != a and not v.allied(a, h)]
            rows.append(((a, region), (1.0, 0.0 if others else 1.0)))
    return rows


def _lift_write(key: Key, v: View, rng, m) -> ev.Event:
    a, region = key
    return ev.BlockadeLifted(
        occurred_at=_today(v), imposer=a, region=region, target=_blockade_target(v, a, region)
    )


def _rivals(v: View) -> list[tuple[str, str]]:
    """Unordered pairs of live parties that are not allies: who talks, accuses, makes peace."""
    parties = v.parties()
    return [
        (a, b) if a < b else (b, a)
        for i, a in enumerate(parties)
        for b in parties[i + 1 :]
        if not v.allied(a, b)
    ]


def _rival(v: View, a: str, b: str) -> bool:
    """Whether *a* and *b* are one of `_rivals`."""
    parties = v.cast.parties
    return (
        a != b
        and a in parties
        and b in parties
        and v.alive(a)
        and v.alive(b)
        and not v.allied(a, b)
    )


def _talks_risk(v: View) -> list[tuple[Key, Row]]:
    return [
        ((a, b), (1.0, v.hostile(a, b), v.cooperative(a, b), 1.0 if v.at_war(a, b) else 0.0))
        for a, b in _rivals(v)
    ]


def _talks_write(key: Key, v: View, rng, m) -> ev.Event:
    return ev.DiplomaticMeeting(occurred_at=_today(v), parties=key, kind="negotiation")


def _accuse_risk(v: View) -> list[tuple[Key, Row]]:
    rows = []
    for a, b in _rivals(v):
        row = (1.0, v.hostile(a, b), v.cooperative(a, b), 1.0 if v.at_war(a, b) else 0.0)
        rows.append(((a, b), row))
        rows.append(((b, a), row))
    return rows


def _accuse_write(key: Key, v: View, rng, m) -> ev.Event:
    a, b = key
    return ev.Statement(occurred_at=_today(v), speaker=a, target=b, kind="accusation")


def _peace_risk(v: View) -> list[tuple[Key, Row]]:
    return [
        ((a, b), (1.0, v.cooperative(a, b), v.hostile(a, b)))
        for a, b in _rivals(v)
        if (a, b) not in v.state.peace and (a, b) in v.state.truces
    ]


def _peace_write(key: Key, v: View, rng, m) -> ev.Event:
    return ev.Agreement(occurred_at=_today(v), parties=key, kind="peace", title="peace agreement")


def _recognition_risk(v: View) -> list[tuple[Key, Row]]:
    rows = []
    authorities = [
        x for x, actor in v.cast.actors.items() if actor.kind == "authority" and v.alive(x)
    ]
    for b in authorities:
        for a in v.cast.states:
            if (a, b) in v.state.recognitions or not v.alive(a):
                continue
            rows.append(((a, b), (1.0, v.cast.commitment.get((a, b), 0.0), v.cooperative(a, b))))
    return rows


def _recognition_write(key: Key, v: View, rng, m) -> ev.Event:
    return ev.Recognition(occurred_at=_today(v), recognizer=key[0], recognized=key[1])


# --- outside support --------------------------------------------------------------------------


def _aid_recipient(v: View, region: str) -> str:
    """Whom aid for *region* goes to: the host of its displaced when more are away than live
    there, else its largest holder (the donor's counterpart on the ground)."""
    state = v.state
    if state.displaced.get(region, 0) > state.population.get(region, 0):
        away = [(n, g) for (r, g), n in state.groups_displaced.items() if r == region and n]
        if away:
            host = v.cast.group(max(away)[1]).host
            if host:
                return host
    holders = v.holders(region)
    return holders[0][0] if holders else region


def _pledge_risk(v: View) -> list[tuple[Key, Row]]:
    rows = []
    for region in v.cast.regions:
        need = (
            1.0,
            v.war_in(region),
            v.blockaded(region),
            float(np.log1p(v.state.displaced.get(region, 0) / 10_000.0)),
        )
        for donor in v.cast.donors:
            if v.alive(donor):
                rows.append(((donor, region), need))
    return rows


def _pledge_write(key: Key, v: View, rng, m) -> ev.Event:
    donor, region = key
    usd = round(
        marks.lognormal_draw(rng, m["aid_pledge.usd_mean_log"], m["aid_pledge.usd_sd_log"]), -3
    )
    return ev.AidPledge(
        occurred_at=_today(v),
        donor=donor,
        recipient=_aid_recipient(v, region),
        region=region,
        kind=ev.AID_KINDS[int(rng.integers(len(ev.AID_KINDS)))],
        usd=max(1000.0, usd),
    )


def _pledged(event: ev.AidPledge, key: Key, v: View) -> float:
    return event.usd or 0.0  # 0: the amount is not recorded


def _pledge_density(usd: float, m: Any) -> float:
    # The kind is uniform over the catalogue's kinds; the recipient is not scored (the engine
    # names it by a fixed rule, a record may name another channel).
    out = -float(np.log(len(ev.AID_KINDS)))
    if usd:
        out += marks.lognormal_logpdf(usd, m["aid_pledge.usd_mean_log"], m["aid_pledge.usd_sd_log"])
    return out


def _delivery_risk(v: View) -> list[tuple[Key, Row]]:
    return [
        ((donor, region), (1.0, v.blockaded(region), v.war_in(region)))
        for (donor, region), n in v.state.open_pledges.items()
        if n > 0
    ]


def _delivery_write(key: Key, v: View, rng, m) -> ev.Event:
    donor, region = key
    return ev.AidDelivery(
        occurred_at=_today(v),
        donor=donor,
        recipient=_aid_recipient(v, region),
        region=region,
        kind="mixed",
    )


def _deploy_risk(v: View) -> list[tuple[Key, Row]]:
    rows = []
    missions = v.state.missions
    for region in v.cast.regions:
        if not v.holders(region):
            continue
        truce = max(
            (v.truce_recent(a, b) for a, b in v.state.truces if _in(v, region, a, b)), default=0.0
        )
        for contributor, actor in v.cast.actors.items():
            if not actor.missions or not v.alive(contributor):
                continue
            for kind in actor.missions:
                if (region, contributor, kind) in missions:
                    continue
                rows.append(((contributor, region, kind), (1.0, truce, v.war_in(region))))
    return rows


def _in(v: View, region: str, a: str, b: str) -> bool:
    return v.share(a, region) > HELD or v.share(b, region) > HELD


def _deploy_write(key: Key, v: View, rng, m) -> ev.Event:
    contributor, region, kind = key
    troops = max(
        1, int(marks.lognormal_draw(rng, m[f"deploy.{kind}_mean_log"], m["deploy.sd_log"]) + 0.5)
    )
    holders = v.holders(region)
    return ev.PeacekeeperDeployment(
        occurred_at=_today(v),
        contributor=contributor,
        region=region,
        troops=troops,
        host=holders[0][0] if holders and holders[0][0] != contributor else None,
        kind=kind,
    )


def _deployed(event: ev.PeacekeeperDeployment, key: Key, v: View) -> tuple[str, int] | None:
    return (event.kind, event.troops) if event.troops else None


def _deploy_density(deployed: tuple[str, int], m: Any) -> float:
    kind, troops = deployed
    return marks.lognormal_logpdf(troops, m[f"deploy.{kind}_mean_log"], m["deploy.sd_log"])


def _withdraw_risk(v: View) -> list[tuple[Key, Row]]:
    rows = []
    for region, contributor, kind in v.state.missions:
        contested = 1.0 if len(v.holders(region)) > 1 else 0.0
        rows.append(
            (
                (contributor, region, kind),
                (1.0, v.mandate_over(region, contributor, kind), contested, v.war_in(region)),
            )
        )
    return rows


def _withdraw_write(key: Key, v: View, rng, m) -> ev.Event:
    contributor, region, kind = key
    return ev.PeacekeeperWithdrawal(
        occurred_at=_today(v), contributor=contributor, region=region, kind=kind
    )


# --- people ------------------------------------------------------------------------------------


def _flight_risk(v: View) -> list[tuple[Key, Row]]:
    rows = []
    for (region, group), living in v.state.groups.items():
        if not group or living <= 0:
            continue
        sides = v.cast.group(group).sides
        rows.append(
            (
                (region, group),
                (
                    1.0,
                    v.takeover_recent(region, sides),
                    v.exposure(region, sides),
                    v.war_in(region),
                    v.peacekeepers(region),
                ),
            )
        )
    return rows


def _share_of(stock: int, rule: str, rng: np.random.Generator, m: Any) -> int:
    """How many of *stock* people move, drawn from *rule*'s fraction mark (at least one)."""
    f = _fraction_draw(rng, rule, m)
    return stock if f >= 1.0 else max(1, min(stock, int(f * stock + 0.5)))


def _share(people: int, stock: int) -> float:
    return 1.0 if people >= stock else people / stock


def _flight_write(key: Key, v: View, rng, m) -> ev.Event:
    region, group = key
    return ev.Displacement(
        occurred_at=_today(v),
        region=region,
        people=_share_of(v.state.groups[key], "flight", rng, m),
        group=group,
        destination=v.cast.group(group).host,
    )


def _fled(event: ev.Displacement, key: Key, v: View) -> float:
    return _share(event.people, v.state.groups.get(key, 0))


def _return_risk(v: View) -> list[tuple[Key, Row]]:
    rows = []
    for (region, group), away in v.state.groups_displaced.items():
        if not group or away <= 0:
            continue
        sides = v.cast.group(group).sides
        rows.append(
            (
                (region, group),
                (1.0, v.war_in(region), v.exposure(region, sides), v.blockaded(region)),
            )
        )
    return rows


def _return_write(key: Key, v: View, rng, m) -> ev.Event:
    region, group = key
    people = _share_of(v.state.groups_displaced[key], "return", rng, m)
    return ev.PopulationReturn(occurred_at=_today(v), region=region, people=people, group=group)


def _returned(event: ev.PopulationReturn, key: Key, v: View) -> float:
    return _share(event.people, v.state.groups_displaced.get(key, 0))


# Control a state (or authority) must hold of a region for its reintegration steps to run,
# and the share of it that it must have taken from others (a region it held from the start is
# not being reintegrated into it).
REINTEGRATION_CONTROL = 0.99
REINTEGRATION_TAKEN = 0.5


def _remaining(v: View, region: str) -> list[str]:
    reached = v.state.milestones.get(region, {})
    return [x for x in ev.MILESTONES if x not in reached]


def _reintegration_risk(v: View) -> list[tuple[Key, Row]]:
    rows = []
    for region in v.cast.regions:
        if not _remaining(v, region):
            continue
        for state, share in v.holders(region)[:1]:
            kind = v.cast.actors[state].kind if state in v.cast.actors else ""
            if share < REINTEGRATION_CONTROL or kind not in ("state", "authority"):
                continue
            if v.state.taken.get((region, state), 0.0) < REINTEGRATION_TAKEN:
                continue  # it held the region from the start: nothing to reintegrate
            living = v.state.population.get(region, 0)
            total = living + v.state.displaced.get(region, 0)
            rows.append(
                (
                    (state, region),
                    (1.0, living / total if total else 1.0, v.war_in(region)),
                )
            )
    return rows


def _reintegration_write(key: Key, v: View, rng, m) -> ev.Event:
    state, region = key
    todo = _remaining(v, region)
    return ev.ReintegrationStep(
        occurred_at=_today(v),
        region=region,
        state=state,
        milestone=todo[int(rng.integers(len(todo)))],
    )


def _milestones_left(event: ev.ReintegrationStep, key: Key, v: View) -> int:
    return len(_remaining(v, key[1]))


def _milestone_density(left: int, m: Any) -> float:
    return -float(np.log(left))  # the next milestone is uniform over those left


def _fight(rule: str):
    return lambda key, v, rng, m: _fight_write(key, v, rng, m, rule)


RULES: tuple[Rule, ...] = (
    Rule(
        "attack",
        (
            "base",
            "hostile",
            "cooperative",
            "truce_recent",
            "peace",
            "backing",
            "peacekeepers",
            "monitors",
            "blockading",
            "strength",
        ),
        ("casualties_mean_log", "casualties_sd_log"),
        _attack_risk,
        _fight("attack"),
        _casualties,
        _fight_density("attack"),
    ),
    Rule(
        "offensive",
        ("base", "strength", "war_months"),
        ("casualties_mean_log", "casualties_sd_log"),
        _war_risk,
        _fight("offensive"),
        _casualties,
        _fight_density("offensive"),
    ),
    Rule(
        "intervene",
        ("base", "commitment", "hostile", "strength"),
        (),
        _intervene_risk,
        _intervene_write,
        _no_marks,
        _no_density,
    ),
    Rule(
        "advance",
        ("base", "strength", "backing", "peacekeepers"),
        ("all", "a", "b"),
        _advance_risk,
        _take_write("advance", gainer_first=True),
        _taken_fraction(gainer_first=True),
        _fraction_density("advance"),
    ),
    Rule(
        "ceasefire",
        ("base", "war_months", "collapsed", "cooperative"),
        (),
        _ceasefire_risk,
        _ceasefire_write,
        _no_marks,
        _no_density,
    ),
    Rule(
        "handover",
        ("base", "truce_recent", "advancing", "administration", "cooperative"),
        ("all", "a", "b"),
        _handover_risk,
        _take_write("handover", gainer_first=False),
        _taken_fraction(gainer_first=False),
        _fraction_density("handover"),
    ),
    Rule(
        "blockade",
        ("base", "hostile", "cooperative"),
        (),
        _blockade_risk,
        _blockade_write,
        _no_marks,
        _no_density,
    ),
    Rule("lift", ("base", "target_gone"), (), _lift_risk, _lift_write, _no_marks, _no_density),
    Rule(
        "talks",
        ("base", "hostile", "cooperative", "war"),
        (),
        _talks_risk,
        _talks_write,
        _no_marks,
        _no_density,
    ),
    Rule(
        "accuse",
        ("base", "hostile", "cooperative", "war"),
        (),
        _accuse_risk,
        _accuse_write,
        _no_marks,
        _no_density,
    ),
    Rule(
        "peace",
        ("base", "cooperative", "hostile"),
        (),
        _peace_risk,
        _peace_write,
        _no_marks,
        _no_density,
    ),
    Rule(
        "recognition",
        ("base", "commitment", "cooperative"),
        (),
        _recognition_risk,
        _recognition_write,
        _no_marks,
        _no_density,
    ),
    Rule(
        "aid_pledge",
        ("base", "war", "blockade", "displaced"),
        ("usd_mean_log", "usd_sd_log"),
        _pledge_risk,
        _pledge_write,
        _pledged,
        _pledge_density,
    ),
    Rule(
        "aid_delivery",
        ("base", "blockade", "war"),
        (),
        _delivery_risk,
        _delivery_write,
        _no_marks,
        _no_density,
    ),
    Rule(
        "deploy",
        ("base", "truce_recent", "war"),
        ("peacekeeping_mean_log", "monitoring_mean_log", "sd_log"),
        _deploy_risk,
        _deploy_write,
        _deployed,
        _deploy_density,
    ),
    Rule(
        "withdraw",
        ("base", "mandate_over", "contested", "war"),
        (),
        _withdraw_risk,
        _withdraw_write,
        _no_marks,
        _no_density,
    ),
    Rule(
        "flight",
        ("base", "takeover_recent", "exposure", "war", "peacekeepers"),
        ("all", "a", "b"),
        _flight_risk,
        _flight_write,
        _fled,
        _fraction_density("flight"),
    ),
    Rule(
        "return",
        ("base", "war", "exposure", "blockade"),
        ("all", "a", "b"),
        _return_risk,
        _return_write,
        _returned,
        _fraction_density("return"),
    ),
    Rule(
        "reintegration",
        ("base", "living", "war"),
        (),
        _reintegration_risk,
        _reintegration_write,
        _milestones_left,
        _milestone_density,
    ),
)

BY_NAME = {rule.name: rule for rule in RULES}


# --- which rule wrote an event ------------------------------------------------------------------

ACCUSING = frozenset(("accusation", "condemnation", "threat", "demand", "demand_withdrawal"))
TALKING = frozenset(("negotiation", "mediation"))


def classify(event: ev.Event, v: View) -> list[tuple[str, Key]] | None:
    """The (rule, tuple) pairs *event* counts as, on the state *v* of the start of its day;
    None if no rule writes events like it (exogenous: conditioned on, not scored). Whether
    the tuple is in the rule's risk set that day is the caller's to check (the likelihood
    reports an event whose tuple is not as impossible)."""
    kind = type(event)
    if kind is ev.Offensive:
        a, b = event.attacker, event.defender
        return [("offensive" if v.at_war(a, b) else "attack", (a, b, event.region))]
    if kind is ev.Intervention:
        return [("intervene", (event.intervener, event.ally, event.enemy))]
    if kind is ev.ControlChange:
        if event.loser is None:
            return None  # ground nobody was recorded to hold: the start of a record
        if v.at_war(event.gainer, event.loser):
            return [("advance", (event.gainer, event.loser, event.region))]
        return [("handover", (event.loser, event.gainer, event.region))]
    if kind is ev.Ceasefire:
        pairs = ended_pairs(v.state.hostilities, event.parties)
        return [("ceasefire", p) for p in pairs] or None
    if kind is ev.Blockade:
        if event.imposer in v.state.blockades.get(event.region, {}):
            return None  # a blockade already in force, recorded again
        return [("blockade", (event.imposer, event.region))]
    if kind is ev.BlockadeLifted:
        if event.imposer not in v.state.blockades.get(event.region, {}):
            return None
        return [("lift", (event.imposer, event.region))]
    if kind is ev.DiplomaticMeeting:
        if event.kind not in TALKING:
            return None
        members = sorted(set(event.parties))
        pairs = [(a, b) for i, a in enumerate(members) for b in members[i + 1 :] if _rival(v, a, b)]
        return [("talks", p) for p in pairs] or None
    if kind is ev.Statement:
        if event.kind not in ACCUSING or event.target is None:
            return None
        a, b = event.speaker, event.target
        if not _rival(v, a, b):
            return None  # said by or to someone who is no party: conditioned on
        return [("accuse", (a, b))]
    if kind is ev.Agreement:
        if event.kind != "peace":
            return None
        members = sorted(set(event.parties))
        return [("peace", (a, b)) for i, a in enumerate(members) for b in members[i + 1 :]]
    if kind is ev.Recognition:
        return [("recognition", (event.recognizer, event.recognized))]
    if kind is ev.AidPledge:
        if event.donor not in v.cast.donors:
            return None
        return [("aid_pledge", (event.donor, event.region))]
    if kind is ev.AidDelivery:
        if not v.state.open_pledges.get((event.donor, event.region)):
            return None  # aid that no recorded pledge announced
        return [("aid_delivery", (event.donor, event.region))]
    if kind is ev.PeacekeeperDeployment:
        if (event.region, event.contributor, event.kind) in v.state.missions:
            return None  # a reinforcement of a mission already there
        return [("deploy", (event.contributor, event.region, event.kind))]
    if kind is ev.PeacekeeperWithdrawal:
        if (event.region, event.contributor, event.kind) not in v.state.missions:
            return None
        return [("withdraw", (event.contributor, event.region, event.kind))]
    if kind is ev.Displacement:
        if not event.group:
            return None  # people of no named group: the model moves groups
        return [("flight", (event.region, event.group))]
    if kind is ev.PopulationReturn:
        if not event.group or not v.state.groups_displaced.get((event.region, event.group)):
            return None
        return [("return", (event.region, event.group))]
    if kind is ev.ReintegrationStep:
        if event.milestone in v.state.milestones.get(event.region, {}):
            return None
        return [("reintegration", (event.state, event.region))]
    return None
