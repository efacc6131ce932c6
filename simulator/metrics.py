"""Outcome metrics of one run: pure functions of its events and final state (see docs/model.md).

Every metric is a plain value (bool, int, float, `datetime.date` or None), so a run's metrics
are a flat dict that an ensemble can tabulate. "After the branch" means dated on or after the
scenario's branch date: what the path did that the record had not already done.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from itertools import combinations
from typing import Any

import attrs

from simulator.events import (
    MILESTONES,
    Agreement,
    Displacement,
    Event,
    Intervention,
    Offensive,
    PopulationReturn,
)
from simulator.world import WorldState


@attrs.frozen(kw_only=True)
class Focus:
    """What the metrics and the daily series are about: a `region`, the actor whose control
    and reintegration of it they follow (`holder`), and the `parties` whose relations they
    follow (pairs in sorted order). Set in `[outputs]`; the defaults are in `Scenario.focus`."""

    region: str = ""
    holder: str = ""
    parties: tuple[str, ...] = attrs.field(default=(), converter=tuple)

    def pairs(self) -> list[tuple[str, str]]:
        """The sorted pairs of `parties`, in a fixed order."""
        return [tuple(sorted(p)) for p in combinations(self.parties, 2)]


def compute(
    events: Sequence[Event], final: WorldState, focus: Focus, branch: date, horizon: date
) -> dict[str, Any]:
    """The metrics of the path *events* whose last state is *final*."""
    region = focus.region
    offensives = [
        e for e in events if type(e) in (Offensive, Intervention) and e.occurred_at >= branch
    ]
    metrics: dict[str, Any] = {
        "war_resumed": bool(offensives),
        "war_resumed_on": offensives[0].occurred_at if offensives else None,
        "offensives": len(offensives),
        "casualties": sum(getattr(e, "casualties", None) or 0 for e in offensives),
        "displaced_total": sum(
            e.people for e in events if type(e) is Displacement and _in(e, region)
        ),
        "returned_total": sum(
            e.people for e in events if type(e) is PopulationReturn and _in(e, region)
        ),
        "displaced_at_horizon": _total(final.displaced, region),
        "population_at_horizon": _total(final.population, region),
        "reintegration_at_horizon": _total(final.reintegration, region, float),
        "reintegration_completed_on": reintegration_completed_on(final, region),
    }
    peace = peace_agreement_on(events, focus.parties)
    metrics["peace_agreement"] = peace is not None
    metrics["peace_agreement_on"] = peace
    metrics["aid_delivered_share"] = final.aid_delivered_share()
    metrics["peacekeepers_at_horizon"] = _total(
        {r: sum(v.values()) for r, v in final.peacekeepers.items()}, region
    )
    shares = final.control.get(region, {})
    metrics["control_at_horizon"] = (
        round(shares.get(focus.holder, 0.0), 4) if focus.holder else None
    )
    for a, b in focus.pairs():
        metrics[f"relations:{a}-{b}"] = round(final.relations(a, b, horizon), 4)
    return metrics


def reintegration_completed_on(final: WorldState, region: str) -> date | None:
    """The day the last milestone of *region* was reached, if all were."""
    reached = final.milestones.get(region, {})
    if not region or any(m not in reached for m in MILESTONES):
        return None
    return max(reached.values())


def peace_agreement_on(events: Sequence[Event], parties: Sequence[str]) -> date | None:
    """The day of the first peace agreement signed by two of *parties* (by anyone when
    *parties* is empty), if any."""
    for e in events:
        if (
            type(e) is Agreement
            and e.kind == "peace"
            and (not parties or len(set(e.parties) & set(parties)) >= 2)
        ):
            return e.occurred_at
    return None


def _in(event: Event, region: str) -> bool:
    return not region or event.region == region


def _total(values: dict, region: str, kind=int):
    if region:
        return values.get(region, kind(0))
    return sum(values.values(), kind(0))
