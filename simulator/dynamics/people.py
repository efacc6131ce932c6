"""People: flight after territory changes hands, return, and the reintegration milestones."""

from __future__ import annotations

import math

from simulator.dynamics.context import Context, lift
from simulator.events import MILESTONES, Displacement, PopulationReturn, ReintegrationStep


def flee(ctx: Context, fraction: float, cause: int) -> None:
    """People of the *fraction* of the authority's territory just taken flee, as many as the
    guarantees of security and rights fail to hold (fewer where peacekeepers stand)."""
    p, s = ctx.params, ctx.state
    exposed = int(s.population.get(p.region, 0) * fraction)
    chance = p.flight_share * (1.0 - p.guarantees)
    if s.peacekeepers.get(p.region):
        chance *= p.flight_peacekeeper_factor
    fled = int(ctx.rng.binomial(exposed, chance)) if exposed and chance > 0.0 else 0
    if fled:
        ctx.write(
            Displacement(
                occurred_at=ctx.today, region=p.region, people=fled, destination=p.kin_state or None
            ),
            f"event:{cause}",
        )


def displacement(ctx: Context):
    """Return of the displaced: waves while there is peace, no blockade, and guarantees."""
    p, s = ctx.params, ctx.state
    while True:
        away = s.displaced.get(p.region, 0)
        calm = not ctx.at_war()
        rate = p.return_rate * p.guarantees if away and calm and not s.blockaded(p.region) else 0.0
        if (yield ctx.wait(rate, relations=False)):
            back = int(ctx.rng.binomial(away, p.return_share))
            if back:
                ctx.write(
                    PopulationReturn(occurred_at=ctx.today, region=p.region, people=back),
                    "process:displacement",
                )


def reintegration(ctx: Context):
    """Milestones of the region's reintegration into `state`, in catalogue order, once the
    state holds the region in peace; faster with guarantees, people and good relations."""
    p, s = ctx.params, ctx.state
    while True:
        reached = s.milestones.get(p.region, {})
        todo = [m for m in MILESTONES if m not in reached]
        if not todo:
            return
        calm = not ctx.at_war()
        rate, reads = 0.0, False  # reads: whether the hazard reads relations
        if calm and ctx.share(p.state) >= p.reintegration_control_share:
            living = s.population.get(p.region, 0)
            total = living + s.displaced.get(p.region, 0)
            remaining = living / total if total else 1.0
            floor = p.reintegration_population_floor
            rate = p.reintegration_rate * math.exp(
                p.reintegration_guarantee_weight * (p.guarantees - 0.5)
            )
            rate *= lift(ctx.relations(p.state, p.kin_state) / p.relations_scale)
            rate *= floor + (1.0 - floor) * remaining
            reads = True
        if (yield ctx.wait(rate, relations=reads)):
            ctx.write(
                ReintegrationStep(
                    occurred_at=ctx.today, region=p.region, state=p.state, milestone=todo[0]
                ),
                "process:reintegration",
            )
