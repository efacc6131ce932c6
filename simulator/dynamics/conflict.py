"""Escalation, ceasefire and blockade: the processes that start and stop the fighting."""

from __future__ import annotations

import math

from simulator.dynamics import people, support
from simulator.dynamics.context import Context, lift
from simulator.events import (
    Blockade,
    BlockadeLifted,
    Ceasefire,
    ControlChange,
    DiplomaticMeeting,
    Offensive,
)


def escalation(ctx: Context):
    """Offensives of `state`: rounds of an ongoing war, or a new war when the hazard strikes."""
    p, s = ctx.params, ctx.state
    while True:
        at_war = ctx.at_war()
        reads = True  # whether the hazard reads relations (else it is constant between changes)
        if at_war:
            defender, rate, reads = at_war[0], p.war_offensive_rate, False
        elif p.authority and ctx.share(p.authority) > 0.0:
            defender = p.authority
            hostility = ctx.relations(p.state, p.authority) + ctx.relations(p.state, p.kin_state)
            balance = ctx.share(p.state) - ctx.share(p.authority)
            rate = p.escalation_rate * lift(-hostility / p.relations_scale)
            rate *= math.exp(p.escalation_balance_weight * balance)
            if s.peacekeepers.get(p.region):
                rate *= p.escalation_peacekeeper_factor
            if s.blockaded(p.region):
                rate *= p.escalation_blockade_factor
        elif p.kin_state:
            defender = p.kin_state
            rate = p.interstate_escalation_rate
            rate *= lift(-ctx.relations(p.state, p.kin_state) / p.relations_scale)
            if (min(p.state, p.kin_state), max(p.state, p.kin_state)) in s.peace:
                rate *= p.peace_escalation_factor
        else:
            defender, rate, reads = "", 0.0, False
        if (yield ctx.wait(rate, relations=reads)):
            offensive(ctx, defender)


def offensive(ctx: Context, defender: str) -> None:
    """One offensive against *defender*; territory changes hands while the authority holds
    some, its people flee, and an authority left with nothing capitulates."""
    p = ctx.params
    casualties = int(ctx.exponential(p.casualties_per_offensive) + 0.5)
    held = ctx.share(p.authority) if p.authority else 0.0
    index = ctx.write(
        Offensive(
            occurred_at=ctx.today,
            attacker=p.state,
            defender=defender,
            region=p.region if held > 0.0 or not p.front else p.front,
            casualties=casualties,
        ),
        "process:escalation",
    )
    if held <= 0.0:
        return
    taken = held * min(1.0, ctx.exponential(p.offensive_gain))
    if held - taken < p.collapse_share:
        taken = math.ceil(held * 1e4) / 1e4  # rounded up: the whole holding goes
    else:
        taken = round(taken, 4)
    if taken <= 0.0:
        return
    taken = min(taken, 1.0)
    change = ctx.write(
        ControlChange(
            occurred_at=ctx.today,
            region=p.region,
            gainer=p.state,
            loser=p.authority,
            share=taken,
        ),
        f"event:{index}",
    )
    people.flee(ctx, min(1.0, taken / held), change)
    if ctx.share(p.authority) <= 0.0:
        parties = (p.state, *ctx.at_war())
        if len(parties) > 1:
            ctx.write(
                Ceasefire(occurred_at=ctx.today, parties=parties, region=p.region),
                f"event:{change}",
            )


def ceasefire(ctx: Context):
    """During a war of `state`: mediation (when there is a mediator) and the truce it hastens."""
    p = ctx.params
    mediated = None  # the start date of the war the mediator has taken up
    while True:
        at_war = ctx.at_war()
        if not at_war:
            yield ctx.wait(0.0, relations=False)
            continue
        began = ctx.state.hostilities[tuple(sorted((p.state, at_war[0])))]
        truce = p.ceasefire_rate * (p.mediation_factor if mediated == began else 1.0)
        mediation = p.mediation_rate if p.mediator and mediated != began else 0.0
        if not (yield ctx.wait(truce + mediation, relations=False)):
            continue
        parties = (p.state, *at_war)
        if ctx.uniform() * (truce + mediation) < mediation:
            mediated = began
            ctx.write(
                DiplomaticMeeting(
                    occurred_at=ctx.today,
                    parties=parties,
                    kind="mediation",
                    convener=p.mediator,
                    region=p.region,
                ),
                "process:ceasefire",
            )
            continue
        index = ctx.write(
            Ceasefire(
                occurred_at=ctx.today,
                parties=parties,
                region=p.region,
                mediator=p.mediator if mediated == began else None,
            ),
            "process:ceasefire",
        )
        if mediated == began:
            support.deploy(ctx, index)


def blockade(ctx: Context):
    """`state` blockades the authority's region in bad times and lifts it, soon once the
    authority holds nothing."""
    p, s = ctx.params, ctx.state
    while True:
        held = ctx.share(p.authority)
        imposed = p.state in s.blockades.get(p.region, {})
        reads = False  # whether the hazard reads relations (else it is constant between changes)
        if imposed:
            rate = p.blockade_lift_rate * (p.blockade_lift_factor if held <= 0.0 else 1.0)
        elif held > 0.0 and not ctx.at_war():
            hostility = ctx.relations(p.state, p.authority) + ctx.relations(p.state, p.kin_state)
            rate = p.blockade_rate * lift(-hostility / p.relations_scale)
            reads = True
        else:
            rate = 0.0
        if (yield ctx.wait(rate, relations=reads)):
            kind = BlockadeLifted if imposed else Blockade
            target = p.authority or None
            ctx.write(
                kind(occurred_at=ctx.today, imposer=p.state, region=p.region, target=target),
                "process:blockade",
            )
