"""The folded state as the rules read it on one day: who holds what, who fights whom, and the
covariates of the hazards (decayed hostile and cooperative sums, recent truces and takeovers,
mission strength, backing, strength).

A `View` is made at the start of each piece of constant hazard (docs/model.md, "Pieces"):
every value it gives is the state's on that day, and `deadline` collects the first later
day on which one of the covariates it gave would change by itself (a "recent" window ending,
a mandate running out), so the piece ends there.
"""

from __future__ import annotations

import math
from datetime import date

from simulator.cast import Cast
from simulator.world import RunningState

# A truce, a takeover or an agreement is "recent" for this many days (set by hand: a month,
# the span in which the ceasefire literature finds failures and handovers concentrated; it is
# a window of the design, not a fitted parameter, because it moves the pieces themselves).
RECENT_DAYS = 30
# Decayed sums are read in units of one offensive (|Goldstein| 10).
UNIT = 10.0
# Holdings below this share count as none.
HELD = 1e-9


class View:
    """What the rules read of *state* on the day *ordinal* (the start of a piece)."""

    __slots__ = ("state", "cast", "ordinal", "half_life", "deadline", "_holders", "_sums")

    def __init__(self, state: RunningState, cast: Cast, ordinal: int) -> None:
        self.state = state
        self.cast = cast
        self.ordinal = ordinal
        self.half_life = state.half_life_days
        self.deadline = math.inf  # the first later ordinal at which a covariate read changes
        self._holders: dict[str, list[tuple[str, float]]] = {}
        self._sums: dict[tuple, float] = {}  # the covariates of pairs read so far (for speed)

    # --- who and where ---------------------------------------------------------------------

    def alive(self, actor: str) -> bool:
        return actor not in self.state.dissolved

    def parties(self) -> list[str]:
        dissolved = self.state.dissolved
        if not dissolved:
            return list(self.cast.parties)
        return [x for x in self.cast.parties if x not in dissolved]

    def holders(self, region: str) -> list[tuple[str, float]]:
        """(actor, share) of every actor holding ground in *region*, largest first."""
        found = self._holders.get(region)
        if found is None:
            shares = self.state.control.get(region, {})
            found = sorted(
                ((a, s) for a, s in shares.items() if s > HELD), key=lambda x: (-x[1], x[0])
            )
            self._holders[region] = found
        return found

    def share(self, actor: str, region: str) -> float:
        shares = self.state.control.get(region)
        return shares.get(actor, 0.0) if shares else 0.0

    def at_war(self, a: str, b: str) -> bool:
        return ((a, b) if a < b else (b, a)) in self.state.hostilities

    def allied(self, a: str, b: str) -> bool:
        """Whether either backs the other (allies do not fight or accuse each other)."""
        return ((a, b) if a < b else (b, a)) in self.cast.allies

    def backs_holder(self, actor: str, region: str) -> bool:
        """Whether *actor* backs someone holding ground in *region* (its forces stand there)."""
        c = self.cast.commitment
        return any(c.get((actor, holder), 0.0) > 0.0 for holder, _ in self.holders(region))

    def theatre(self, a: str, b: str) -> tuple[str, ...]:
        """Where the war of *a* and *b* is fought: the regions it has been fought in, then those
        either holds ground in."""
        p = (a, b) if a < b else (b, a)
        found = list(self.state.theatres.get(p, ()))
        for region in self.cast.regions:
            if region not in found and (
                self.share(a, region) > HELD or self.share(b, region) > HELD
            ):
                found.append(region)
        return tuple(found)

    # --- covariates ------------------------------------------------------------------------

    def _decayed(self, sums: dict, a: str, b: str) -> float:
        entry = sums.get((a, b) if a < b else (b, a))
        if entry is None:
            return 0.0
        value, since = entry
        return value * 0.5 ** ((self.ordinal - since) / self.half_life)

    def hostile(self, a: str, b: str) -> float:
        """log(1 + the decayed sum of the hostile weights between *a* and *b*, in offensives)."""
        return self._read("h", self.state.hostile_sums, a, b)

    def cooperative(self, a: str, b: str) -> float:
        """log(1 + the decayed sum of the cooperative weights between *a* and *b*, in units of
        10 (a negotiation weighs 0.7))."""
        return self._read("c", self.state.cooperative_sums, a, b)

    def _read(self, which: str, sums: dict, a: str, b: str) -> float:
        key = (which, a, b) if a < b else (which, b, a)
        found = self._sums.get(key)
        if found is None:
            found = self._sums[key] = math.log1p(self._decayed(sums, a, b) / UNIT)
        return found

    def recent(self, since: date | None) -> float:
        """1.0 if *since* is within the last `RECENT_DAYS` days (the piece ends when it is not)."""
        if since is None:
            return 0.0
        end = since.toordinal() + RECENT_DAYS
        if self.ordinal < end:
            if end < self.deadline:
                self.deadline = end
            return 1.0
        return 0.0

    def truce_recent(self, a: str, b: str) -> float:
        return self.recent(self.state.truces.get((a, b) if a < b else (b, a)))

    def war_months(self, a: str, b: str) -> float:
        """log(1 + months the current war of *a* and *b* has lasted)."""
        began = self.state.hostilities.get((a, b) if a < b else (b, a))
        if began is None:
            return 0.0
        return math.log1p((self.ordinal - began.toordinal()) / 30.4375)

    def peace(self, a: str, b: str) -> float:
        return 1.0 if ((a, b) if a < b else (b, a)) in self.state.peace else 0.0

    def backing(self, actor: str, other: str) -> float:
        """The summed commitment of *actor*'s backers, *other* and the dissolved left out."""
        dissolved = self.state.dissolved
        return sum(
            w
            for backer, w in self.cast.backers.get(actor, ())
            if backer != other and backer not in dissolved
        )

    def strength(self, a: str, b: str) -> float:
        """log(troops of *a* / troops of *b*), 0 when either is unknown."""
        ta, tb = self.cast.troops(a), self.cast.troops(b)
        if not ta or not tb:
            return 0.0
        return math.log(ta / tb)

    def peacekeepers(self, region: str) -> float:
        """log(1 + armed peacekeepers in *region*, in thousands)."""
        present = self.state.peacekeepers.get(region)
        return math.log1p(sum(present.values()) / 1000.0) if present else 0.0

    def monitors(self, region: str) -> float:
        """log(1 + unarmed monitors in *region*, in hundreds)."""
        present = self.state.monitors.get(region)
        return math.log1p(sum(present.values()) / 100.0) if present else 0.0

    def war_in(self, region: str) -> float:
        """1.0 if any war is being fought in *region*."""
        return 1.0 if any(region in t for t in self.state.theatres.values()) else 0.0

    def blockaded(self, region: str) -> float:
        return 1.0 if self.state.blockades.get(region) else 0.0

    def exposure(self, region: str, sides: tuple[str, ...]) -> float:
        """The share of *region* held by actors that are not of *sides*."""
        return sum(s for a, s in self.holders(region) if a not in sides)

    def takeover_recent(self, region: str, sides: tuple[str, ...]) -> float:
        """1.0 if an actor not of *sides* took ground in *region* within `RECENT_DAYS` days."""
        takeovers = self.state.takeovers
        latest = None
        for actor, _ in self.holders(region):
            if actor not in sides:
                day = takeovers.get((region, actor))
                if day is not None and (latest is None or day > latest):
                    latest = day
        return self.recent(latest)

    def mandate_over(self, region: str, contributor: str, kind: str) -> float:
        """1.0 once the mission's mandate has run out (the piece ends on that day)."""
        entry = self.state.missions.get((region, contributor, kind))
        if entry is None or entry[1] is None:
            return 0.0
        end = entry[0] + entry[1]
        if self.ordinal >= end:
            return 1.0
        if end < self.deadline:
            self.deadline = end
        return 0.0
