"""Normalisation between `state` and `kin_state`: talks, accusations and a peace agreement."""

from __future__ import annotations

from simulator.dynamics.context import Context, lift, tilt
from simulator.events import Agreement, DiplomaticMeeting, Statement


def normalisation(ctx: Context):
    """While the two states are not at war, talks and accusations move their relations, and
    the better the relations, the likelier a peace agreement."""
    p, s = ctx.params, ctx.state
    pair = (min(p.state, p.kin_state), max(p.state, p.kin_state))
    while True:
        if ctx.at_war():
            yield ctx.wait(0.0, relations=False)
            continue
        x = ctx.relations(p.state, p.kin_state) / p.relations_scale
        talks = p.talks_rate * tilt(x)
        accusations = p.accusation_rate * (2.0 - tilt(x))
        peace = 0.0 if pair in s.peace else p.peace_rate * lift(x)
        total = talks + accusations + peace
        if not (yield ctx.wait(total)):
            continue
        pick = ctx.uniform() * total
        if pick < talks:
            event = DiplomaticMeeting(
                occurred_at=ctx.today,
                parties=(p.state, p.kin_state),
                kind="negotiation",
                convener=p.mediator or None,
                region=p.region,
            )
        elif pick < talks + accusations:
            speaker, target = p.state, p.kin_state
            if ctx.uniform() < 0.5:
                speaker, target = target, speaker
            event = Statement(
                occurred_at=ctx.today, speaker=speaker, kind="accusation", target=target
            )
        else:
            event = Agreement(
                occurred_at=ctx.today,
                parties=(p.state, p.kin_state),
                kind="peace",
                region=p.region,
                title="peace agreement",
            )
        ctx.write(event, "process:normalisation")
