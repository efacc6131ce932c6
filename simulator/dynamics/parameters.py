"""The named parameters of the rules: coefficients of the log-linear hazards and the parameters
of the marks, each with its default and why it has that value.

A coefficient `<rule>.<covariate>` multiplies that covariate in the rule's log-hazard; the
`base` coefficient is the log of the rule's rate in events a year per tuple when every other
covariate is 0. Every default below is set by hand, to an order of magnitude, for the reason
given; each is the centre of that parameter's prior in `diplosim fit`
(`simulator.calibration`), and the recorded cases run on fitted values (docs/model.md has
defaults and fitted values in one table). Those marked "lowered by hand" were changed after
looking at simulated runs of the recorded case, so they are not independent of it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import attrs

from simulator.dynamics.rules import RULES
from simulator.frozen import FrozenMap

LN = math.log

# name -> (default, reason). Rates are per year per tuple; "x a log-unit" means the hazard is
# multiplied by e^coefficient for each unit of the covariate.
DEFAULTS: dict[str, tuple[float, str]] = {
    # attack: a war opened by one party on another
    "attack.base": (
        LN(0.005),
        "0.5% a year per (attacker, defender, region): with the ~20 tuples of a five-party case, about one new war a decade, the order of onset rates among rivals (UCDP)",
    ),
    "attack.hostile": (
        0.5,
        "past hostility raises the hazard (inertia, Butts 2008) [lowered by hand after comparing simulated counts with the Nagorno-Karabakh record: not independent of it]",
    ),
    "attack.cooperative": (-0.3, "past cooperation lowers it, kept apart from hostility"),
    "attack.truce_recent": (
        2.5,
        "ceasefires fail most in their first month (Fortna 2003: failure risk falls with time)",
    ),
    "attack.peace": (-1.5, "a peace agreement cuts the hazard to about a fifth (Fortna 2004)"),
    "attack.backing": (-0.7, "a defender's committed backers deter (extended deterrence)"),
    "attack.peacekeepers": (
        -1.0,
        "a third per log-unit of thousands of peacekeepers (Fortna 2004: 55-85% less risk of renewed war)",
    ),
    "attack.monitors": (-0.3, "unarmed monitors deter less than armed peacekeepers"),
    "attack.blockading": (0.5, "a blockade is a coercive step on the way to force"),
    "attack.strength": (0.3, "the stronger side attacks more (log troop ratio)"),
    "attack.casualties_mean_log": (
        LN(300.0),
        "log(killed + 1) of an opening round: median 300, about one round of the recorded wars",
    ),
    "attack.casualties_sd_log": (1.5, "wide: opening rounds range from tens to thousands killed"),
    # offensive: rounds of a war under way
    "offensive.base": (LN(26.0), "a round every two weeks while a war is on, per side and region"),
    "offensive.strength": (0.3, "the stronger side strikes more"),
    "offensive.war_months": (-0.2, "fighting slackens as a war drags on"),
    "offensive.casualties_mean_log": (LN(100.0), "median 100 killed a round"),
    "offensive.casualties_sd_log": (1.5, "wide, as for an opening round"),
    # intervene: a backer joins its ally's war
    "intervene.base": (LN(0.1), "without commitment a backer almost never joins"),
    "intervene.commitment": (
        LN(100.0),
        "fully committed backers join within weeks (x100 at commitment 1: 10 a year)",
    ),
    "intervene.hostile": (
        0.3,
        "more likely against an enemy it already has hostile relations with",
    ),
    "intervene.strength": (0.0, "no prior on the effect of strength"),
    # advance: ground taken by force
    "advance.base": (LN(12.0), "ground changes hands about monthly per side and region at war"),
    "advance.strength": (0.5, "the stronger side gains more often (log troop ratio)"),
    "advance.backing": (-0.5, "a defender's backers slow the loss of ground"),
    "advance.peacekeepers": (-1.0, "peacekeepers stand between the lines"),
    "advance.all": (0.05, "one advance in twenty takes all the defender still holds"),
    "advance.a": (1.0, "Beta(1, 4): a fifth of the holding on average"),
    "advance.b": (4.0, "Beta(1, 4): a fifth of the holding on average"),
    # ceasefire: a warring pair stops
    "ceasefire.base": (
        LN(4.0),
        "wars of the kind recorded end within months (a rate of 4 a year: three months on average)",
    ),
    "ceasefire.war_months": (0.3, "the longer the war, the likelier a truce (exhaustion)"),
    "ceasefire.collapsed": (3.0, "a side that holds no ground left sues for a truce within days"),
    "ceasefire.cooperative": (0.5, "mediation and talks during the war hasten a truce"),
    # handover: ground handed over without fighting
    "handover.base": (
        LN(0.002),
        "rare without a fresh truce: 0.2% a year per (holder, receiver, region)",
    ),
    "handover.truce_recent": (
        LN(50.0),
        "more likely in the month after a truce between the two (0.1 a year per tuple)",
    ),
    "handover.advancing": (
        LN(100.0),
        "and far more to a receiver that took ground there in the last month: the handovers that seal a defeat (10 a year)",
    ),
    "handover.administration": (
        LN(500.0),
        "an international administration takes over in the month after the holder's truce (1 a year per tuple)",
    ),
    "handover.cooperative": (0.5, "more likely between parties that talk"),
    "handover.all": (0.3, "a third of handovers give up all of a holding"),
    "handover.a": (1.0, "Beta(1, 2): a third of the holding on average otherwise"),
    "handover.b": (2.0, "Beta(1, 2)"),
    # blockade and its lifting
    "blockade.base": (LN(0.05), "blockades are rare: 5% a year per imposer and region"),
    "blockade.hostile": (0.7, "imposed amid hostility"),
    "blockade.cooperative": (-0.3, "less likely between parties that talk"),
    "lift.base": (LN(0.5), "blockades last two years on average"),
    "lift.target_gone": (
        LN(50.0),
        "lifted within days once the target holds nothing in the region",
    ),
    # diplomacy
    "talks.base": (
        LN(0.2),
        "a meeting every five years between rivals who have never met [lowered by hand after comparing simulated counts with the Nagorno-Karabakh record: not independent of it]",
    ),
    "talks.hostile": (0.3, "conflict brings parties to the table"),
    "talks.cooperative": (1.0, "talks beget talks (inertia)"),
    "talks.war": (0.7, "wars are mediated"),
    "accuse.base": (
        LN(0.1),
        "an accusation a decade between quiet rivals [lowered by hand after comparing simulated counts with the Nagorno-Karabakh record: not independent of it]",
    ),
    "accuse.hostile": (1.0, "hostility begets accusations (reciprocity)"),
    "accuse.cooperative": (0.0, "no prior on the effect of talks on accusations"),
    "accuse.war": (1.0, "wars bring accusations"),
    "peace.base": (LN(0.01), "peace treaties are rare: 1% a year after a war"),
    "peace.cooperative": (1.0, "talks make a treaty likelier"),
    "peace.hostile": (-1.0, "hostility makes it less likely"),
    "recognition.base": (LN(0.005), "states rarely recognise a de facto authority"),
    "recognition.commitment": (LN(100.0), "its backers do"),
    "recognition.cooperative": (0.5, "as do those on good terms with it"),
    # aid
    "aid_pledge.base": (
        LN(0.05),
        "a donor pledges rarely where there is no need [lowered by hand after comparing simulated counts with the Nagorno-Karabakh record: not independent of it]",
    ),
    "aid_pledge.war": (
        2.0,
        "war in the region: about 0.4 pledges a year per donor [lowered by hand after comparing simulated counts with the Nagorno-Karabakh record: not independent of it]",
    ),
    "aid_pledge.blockade": (1.5, "a blockade of the region"),
    "aid_pledge.displaced": (
        0.5,
        "people displaced from it (log of tens of thousands) [lowered by hand after comparing simulated counts with the Nagorno-Karabakh record: not independent of it]",
    ),
    "aid_pledge.usd_mean_log": (LN(5e6), "median pledge 5 million USD"),
    "aid_pledge.usd_sd_log": (1.5, "pledges range from thousands to hundreds of millions"),
    "aid_delivery.base": (LN(8.0), "a pledge is delivered in about six weeks"),
    "aid_delivery.blockade": (LN(0.2), "a blockade cuts deliveries to a fifth"),
    "aid_delivery.war": (-0.5, "fighting slows them"),
    # missions
    "deploy.base": (LN(0.01), "a mission is rarely deployed out of the blue"),
    "deploy.truce_recent": (LN(500.0), "missions deploy in the month after a truce (5 a year)"),
    "deploy.war": (-1.0, "not while the war is on"),
    "deploy.peacekeeping_mean_log": (LN(2000.0), "median 2,000 peacekeepers"),
    "deploy.monitoring_mean_log": (LN(100.0), "median 100 monitors"),
    "deploy.sd_log": (1.0, "a factor of e either way"),
    "withdraw.base": (
        LN(0.05),
        "missions stay: 5% a year while they have a mandate and a line to keep",
    ),
    "withdraw.mandate_over": (LN(10.0), "x10 once the mandate has run out"),
    "withdraw.contested": (-LN(20.0), "a line to keep: /20 while two or more hold the region"),
    "withdraw.war": (0.5, "war drives missions out"),
    # people
    "flight.base": (LN(0.05), "groups rarely flee a region held by their own side"),
    "flight.takeover_recent": (
        LN(200.0),
        "in the month after another side takes ground, the exposed flee in waves",
    ),
    "flight.exposure": (2.0, "the more of the region others hold, the more flight"),
    "flight.war": (2.0, "war in the region"),
    "flight.peacekeepers": (
        -0.3,
        "peacekeepers reassure a little (they did not stop the 2023 exodus)",
    ),
    "flight.all": (0.05, "a wave rarely takes everyone at once"),
    "flight.a": (1.0, "Beta(1, 2): a third of those still there on average"),
    "flight.b": (2.0, "Beta(1, 2)"),
    "return.base": (LN(1.0), "a wave of returns a year in calm"),
    "return.war": (-2.0, "none while the war is on"),
    "return.exposure": (-3.0, "few return to ground held by another side"),
    "return.blockade": (-2.0, "nor through a blockade"),
    "return.all": (0.02, "all come back at once rarely"),
    "return.a": (1.0, "Beta(1, 4): a fifth of the displaced a wave"),
    "return.b": (4.0, "Beta(1, 4)"),
    "reintegration.base": (LN(1.0), "a milestone a year once a state holds the whole region"),
    "reintegration.living": (1.0, "faster when the people stay (fraction still living there)"),
    "reintegration.war": (-2.0, "stalled by war"),
}

_EXPECTED = {f"{r.name}.{c}" for r in RULES for c in r.covariates} | {
    f"{r.name}.{m}" for r in RULES for m in r.mark_names
}
assert set(DEFAULTS) == _EXPECTED, sorted(set(DEFAULTS) ^ _EXPECTED)

# Mark parameters that are probabilities, and those that must be > 0.
PROBABILITIES = frozenset(n for n in DEFAULTS if n.endswith(".all"))
POSITIVE = frozenset(n for n in DEFAULTS if n.endswith((".a", ".b", "sd_log")))


def _check_values(inst, attribute, values: Mapping[str, float]) -> None:
    for name, value in values.items():
        if name not in DEFAULTS:
            raise ValueError(f"'{name}' is not a parameter of the rules")
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
        ):
            raise ValueError(f"'{name}' must be a finite number (got {value!r})")
        if name in PROBABILITIES and not 0.0 <= value <= 1.0:
            raise ValueError(f"'{name}' must be a probability in [0, 1] (got {value!r})")
        if name in POSITIVE and value <= 0.0:
            raise ValueError(f"'{name}' must be > 0 (got {value!r})")


def _positive(inst, attribute, value) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < math.inf:
        raise ValueError(f"'{attribute.name}' must be a finite number > 0 (got {value!r})")


def _whole_days(inst, attribute, value) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"'{attribute.name}' must be a whole number of days >= 1 (got {value!r})")


def _check_free(inst, attribute, names: tuple[str, ...]) -> None:
    for name in names:
        if name not in DEFAULTS:
            raise ValueError(f"'{name}' is not a parameter of the rules (in free)")


def _frozen_floats(values: Mapping[str, float]) -> FrozenMap[str, float]:
    return FrozenMap({k: float(v) for k, v in dict(values).items()})


@attrs.frozen(kw_only=True)
class Parameters:
    """The dynamics' settings: `values` overrides the defaults by name (`attack.base`, ...);
    `enabled = False` replays the record only. `relations_half_life_days` is the decay of the
    hostile and cooperative sums; `recheck_days` the spacing of the days on which they are
    read afresh (both shape the covariates, so they are set by hand or chosen on a grid, not
    fitted with the rest). `free` names the parameters a pooled fit gives this scenario its
    own copy of (docs/calibration.md)."""

    enabled: bool = True
    relations_half_life_days: float = attrs.field(default=180.0, validator=_positive)
    recheck_days: int = attrs.field(default=30, validator=_whole_days)
    values: FrozenMap[str, float] = attrs.field(
        factory=FrozenMap, converter=_frozen_floats, validator=_check_values
    )
    # Each rule's coefficients as a tuple, worked out once: the engine reads them every piece.
    free: tuple[str, ...] = attrs.field(default=(), converter=tuple, validator=_check_free)
    _by_rule: FrozenMap[str, tuple[float, ...]] = attrs.field(init=False, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        by_rule = {r.name: tuple(self[f"{r.name}.{c}"] for c in r.covariates) for r in RULES}
        object.__setattr__(self, "_by_rule", FrozenMap(by_rule))

    def __getitem__(self, name: str) -> float:
        found = self.values.get(name)
        return DEFAULTS[name][0] if found is None else found

    def coefficients(self, rule: str) -> tuple[float, ...]:
        """The coefficients of *rule* in the order of its covariates."""
        found = self._by_rule.get(rule)  # `get` is the dict's own: read every piece
        if found is None:
            raise KeyError(rule)
        return found

    def resolved(self) -> dict[str, float]:
        """Every parameter's value, defaults included, by name."""
        return {name: self[name] for name in DEFAULTS}
