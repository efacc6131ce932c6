"""Outside support: aid pledged and delivered (or not), and peacekeepers deployed and withdrawn."""

from __future__ import annotations

from functools import partial

from simulator.dynamics.context import Context
from simulator.events import AidDelivery, AidPledge, PeacekeeperDeployment, PeacekeeperWithdrawal

AID_KINDS = ("food", "medical", "shelter", "fuel")


def aid(ctx: Context):
    """`donor` pledges aid while there is need (war, blockade or displaced people); each
    pledge is delivered after a delay, or is not, the less likely under a blockade."""
    p, s, rng = ctx.params, ctx.state, ctx.rng
    env = ctx.env
    while True:
        need = s.displaced.get(p.region, 0) > 0 or s.blockaded(p.region) or ctx.at_war()
        if not (yield ctx.wait(p.aid_pledge_rate if need else 0.0, relations=False)):
            continue
        if p.authority and ctx.share(p.authority) > 0.0:
            recipient = p.authority
        elif p.kin_state and s.displaced.get(p.region, 0) > 0:
            recipient = p.kin_state  # the displaced live there now
        else:
            recipient = p.state
        pledge = AidPledge(
            occurred_at=ctx.today,
            donor=p.donor,
            recipient=recipient,
            region=p.region,
            kind=AID_KINDS[int(rng.integers(len(AID_KINDS)))],
            usd=max(1000.0, round(ctx.exponential(p.aid_pledge_usd), -3)),
        )
        index = ctx.write(pledge, "process:aid")
        # A timer calls the delivery (no process of its own: a third of the SimPy steps).
        timer = env.timeout(ctx.exponential(p.aid_delivery_days))
        timer.callbacks.append(partial(_deliver, ctx, pledge, index))


def _deliver(ctx: Context, pledge: AidPledge, index: int, timer) -> None:
    p = ctx.params
    chance = p.aid_delivery_share
    if ctx.state.blockaded(p.region):
        chance *= p.aid_blockade_factor
    if ctx.uniform() < chance:
        delivery = AidDelivery(
            occurred_at=ctx.today,
            donor=pledge.donor,
            recipient=pledge.recipient,
            region=pledge.region,
            kind=pledge.kind,
            usd=pledge.usd,
        )
        ctx.write(delivery, f"event:{index}")


def deploy(ctx: Context, ceasefire: int) -> None:
    """After the mediated ceasefire at index *ceasefire*, `peacekeeper` may deploy, while the
    authority still holds ground to keep apart and none of its troops are there."""
    p = ctx.params
    if not p.peacekeeper or not p.authority or ctx.share(p.authority) <= 0.0:
        return
    if ctx.state.peacekeepers.get(p.region, {}).get(p.peacekeeper):
        return
    if ctx.uniform() < p.peacekeeper_deploy_share:
        ctx.write(
            PeacekeeperDeployment(
                occurred_at=ctx.today,
                contributor=p.peacekeeper,
                region=p.region,
                troops=int(p.peacekeeper_troops),
                host=p.state,
                mandate_days=int(p.peacekeeper_mandate_days),
            ),
            f"event:{ceasefire}",
        )


def peacekeepers(ctx: Context):
    """Withdrawal of `peacekeeper`'s troops: rare within the mandate, likelier after it and
    once the authority holds no ground."""
    p, s = ctx.params, ctx.state
    seen, mandate_end = 0, None
    while True:
        for event in ctx.events[seen:]:  # the latest deployment sets the mandate
            if (
                type(event) is PeacekeeperDeployment
                and event.contributor == p.peacekeeper
                and event.region == p.region
                and event.mandate_days is not None
            ):
                mandate_end = event.occurred_at.toordinal() + event.mandate_days
        seen = len(ctx.events)
        if not s.peacekeepers.get(p.region, {}).get(p.peacekeeper):
            yield ctx.wait(0.0, relations=False)
            continue
        rate, limit = p.peacekeeper_withdrawal_rate, float("inf")
        if mandate_end is not None and ctx.ordinal >= mandate_end:
            rate *= p.peacekeeper_expiry_factor
        elif mandate_end is not None:
            limit = ctx.days_until(mandate_end)
        if not p.authority or ctx.share(p.authority) <= 0.0:
            rate *= p.peacekeeper_idle_factor
        if (yield ctx.wait(rate, limit, relations=False)):
            ctx.write(
                PeacekeeperWithdrawal(
                    occurred_at=ctx.today, contributor=p.peacekeeper, region=p.region, host=p.state
                ),
                "process:peacekeepers",
            )
