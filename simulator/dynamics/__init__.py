"""Stochastic behaviour models: their parameters (named, with defaults) and SimPy processes.

`Parameters` is what a scenario's `[dynamics]` table sets; `PROCESSES` names every process,
each a generator function `process(ctx)` over a `Context` (the running state, the seeded
`Generator`, and the means to wait on a hazard and to write events). Equations and the sources
of the defaults are in `docs/model.md`. Rates are per year, delays in days, shares in 0..1.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping

import attrs

from simulator.errors import ScenarioError

ROLES = ("region", "state", "authority", "kin_state", "peacekeeper", "mediator", "donor", "front")


def _at_least(low: float):
    def check(inst, attribute, value) -> None:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"'{attribute.name}' must be a number (got {value!r})")
        if not (value >= low and math.isfinite(value)):
            raise ValueError(f"'{attribute.name}' must be a finite number >= {low} (got {value!r})")

    return check


def _positive(inst, attribute, value) -> None:
    _at_least(0.0)(inst, attribute, value)
    if value == 0:
        raise ValueError(f"'{attribute.name}' must be > 0 (got {value!r})")


def _share(inst, attribute, value) -> None:
    _at_least(0.0)(inst, attribute, value)
    if value > 1:
        raise ValueError(f"'{attribute.name}' must be a share in [0, 1] (got {value!r})")


def _role(inst, attribute, value) -> None:
    if not isinstance(value, str) or value != value.strip():
        raise ValueError(f"'{attribute.name}' must be an id without spaces around (got {value!r})")


def _to_float(value):
    return float(value) if type(value) is int else value


def _rate(default: float):
    return attrs.field(default=default, converter=_to_float, validator=_at_least(0.0))


def _factor(default: float):
    return attrs.field(default=default, converter=_to_float, validator=_at_least(0.0))


def _days(default: float):
    return attrs.field(default=default, converter=_to_float, validator=_positive)


def _scale(default: float):
    return attrs.field(default=default, converter=_to_float, validator=_positive)


def _fraction(default: float):
    return attrs.field(default=default, converter=_to_float, validator=_share)


def _role_field():
    return attrs.field(default="", validator=_role)


@attrs.frozen(kw_only=True)
class Parameters:
    """Every rate and effect of the dynamics, overridable in a scenario's `[dynamics]` table.

    The roles say who plays which part (actor or region ids of the scenario); the dynamics
    themselves know no names. Meanings, units and sources: `docs/model.md`.
    """

    enabled: bool = True

    # roles
    region: str = _role_field()
    state: str = _role_field()
    authority: str = _role_field()
    kin_state: str = _role_field()
    peacekeeper: str = _role_field()
    mediator: str = _role_field()
    donor: str = _role_field()
    front: str = _role_field()  # the region of fighting between the states (default: region)

    # shared
    recheck_days: float = _days(30.0)
    relations_half_life_days: float = _days(180.0)
    relations_scale: float = _scale(20.0)
    guarantees: float = _fraction(0.1)

    # escalation
    escalation_rate: float = _rate(0.25)
    escalation_peacekeeper_factor: float = _factor(0.3)
    escalation_blockade_factor: float = _factor(2.0)
    escalation_balance_weight: float = _factor(1.0)
    interstate_escalation_rate: float = _rate(0.1)
    peace_escalation_factor: float = _factor(0.2)
    war_offensive_rate: float = _rate(60.0)
    offensive_gain: float = _fraction(0.25)
    collapse_share: float = _fraction(0.05)
    casualties_per_offensive: float = _rate(300.0)

    # ceasefire
    ceasefire_rate: float = _rate(12.0)
    mediation_rate: float = _rate(52.0)
    mediation_factor: float = _factor(3.0)

    # blockade
    blockade_rate: float = _rate(0.2)
    blockade_lift_rate: float = _rate(1.0)
    blockade_lift_factor: float = _factor(12.0)

    # aid
    aid_pledge_rate: float = _rate(2.0)
    aid_pledge_usd: float = _rate(5_000_000.0)
    aid_delivery_days: float = _days(45.0)
    aid_delivery_share: float = _fraction(0.9)
    aid_blockade_factor: float = _fraction(0.2)

    # peacekeepers
    peacekeeper_deploy_share: float = _fraction(0.5)
    peacekeeper_troops: float = _rate(2000.0)
    peacekeeper_mandate_days: float = _days(1825.0)
    peacekeeper_withdrawal_rate: float = _rate(0.1)
    peacekeeper_expiry_factor: float = _factor(10.0)
    peacekeeper_idle_factor: float = _factor(20.0)

    # displacement and return
    flight_share: float = _fraction(0.9)
    flight_peacekeeper_factor: float = _fraction(0.5)
    return_rate: float = _rate(1.0)
    return_share: float = _fraction(0.1)

    # reintegration
    reintegration_rate: float = _rate(1.0)
    reintegration_control_share: float = _fraction(0.99)
    reintegration_guarantee_weight: float = _factor(2.0)
    reintegration_population_floor: float = _fraction(0.3)

    # normalisation
    talks_rate: float = _rate(3.0)
    accusation_rate: float = _rate(6.0)
    peace_rate: float = _rate(0.06)


# Each process: its name (causation "process:<name>"), and the roles it needs besides `region`
# and `state`, which every process needs. "opponent" is `authority` or `kin_state`, either.
NEEDS: dict[str, tuple[str, ...]] = {
    "escalation": ("opponent",),
    "ceasefire": ("opponent",),
    "blockade": ("authority",),
    "aid": ("donor",),
    "peacekeepers": ("peacekeeper",),
    "displacement": (),
    "reintegration": (),
    "normalisation": ("kin_state",),
}


def processes(params: Parameters) -> list[tuple[str, Callable]]:
    """The processes to run, in a fixed order: those whose optional roles are set."""
    from simulator.dynamics import conflict, normalisation, people, support

    table = {
        "escalation": conflict.escalation,
        "ceasefire": conflict.ceasefire,
        "blockade": conflict.blockade,
        "aid": support.aid,
        "peacekeepers": support.peacekeepers,
        "displacement": people.displacement,
        "reintegration": people.reintegration,
        "normalisation": normalisation.normalisation,
    }
    if not params.enabled:
        return []
    chosen = []
    for name, needs in NEEDS.items():
        if all(_has(params, role) for role in needs):
            chosen.append((name, table[name]))
    return chosen


def _has(params: Parameters, role: str) -> bool:
    if role == "opponent":
        return bool(params.authority or params.kin_state)
    return bool(getattr(params, role))


def check_roles(
    params: Parameters, actors: Mapping[str, str], regions: Mapping[str, str], where: str
) -> None:
    """ScenarioError unless the roles the enabled dynamics need are declared ids of *where*."""
    if not params.enabled:
        return

    def fail(what: str) -> None:
        raise ScenarioError(f"{where}: [dynamics] {what}")

    if not params.region:
        fail("region is not set (the contested region's id expected)")
    if params.region not in regions:
        fail(f"region = {params.region!r} is not a declared region ({', '.join(regions)})")
    if not params.state:
        fail("state is not set (the id of the state the region is contested by expected)")
    if not (params.authority or params.kin_state):
        fail("neither authority nor kin_state is set (the escalation needs an opponent)")
    if params.front and params.front not in regions:
        fail(f"front = {params.front!r} is not a declared region ({', '.join(regions)})")
    for role in ROLES[1:-1]:
        value = getattr(params, role)
        if value and value not in actors:
            fail(f"{role} = {value!r} is not a declared actor ({', '.join(actors)})")
    sides = [x for x in (params.state, params.authority, params.kin_state) if x]
    if len(set(sides)) != len(sides):
        fail("state, authority and kin_state must be distinct actors")
