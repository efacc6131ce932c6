"""Fold throughput: `world.fold` against a bare loop doing the same dictionary updates by hand.

    python benchmarks/fold.py [--events N] [--repeat R]

Generates N events (default 1,000,000) of every catalogue type in date order, folds them with
`world.fold` (RunningState, handler table, one freeze at the end) and runs a single flat loop
that makes the same updates inline with no classes, no handler calls and no snapshot. The
loop's result is checked against the fold's on the projections it makes (the fold also keeps
theatres, truces, missions, takeovers, open pledges, recognitions: work the loop does not do,
so the ratio understates the fold a little). Best of R runs each.
Target: fold >= 50% of the bare loop's rate.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from datetime import date, timedelta
from itertools import combinations
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from simulator import cameo, world  # noqa: E402
from simulator import events as ev  # noqa: E402

TARGET = 0.5
ACTORS = ("ARM", "AZE", "RUS", "TUR", "UN", "EU", "ICRC", "USA")
REGIONS = ("R1", "R2", "R3")
EVENTS_PER_DAY = 20

# (weight in the mix, builder(rng, day, a, b, region))
_MIX = (
    (25, lambda r, d, a, b, g: ev.Statement(
        occurred_at=d, speaker=a, target=b, kind=r.choice(tuple(ev.STATEMENT_CODES)))),
    (15, lambda r, d, a, b, g: ev.Offensive(
        occurred_at=d, attacker=a, defender=b, region=g, casualties=r.randrange(200))),
    (8, lambda r, d, a, b, g: ev.Reported(
        occurred_at=d, actor1=a, actor2=b, code="042")),
    (8, lambda r, d, a, b, g: ev.DiplomaticMeeting(
        occurred_at=d, parties=(a, b), kind="negotiation", convener="UN")),
    (5, lambda r, d, a, b, g: ev.AidPledge(
        occurred_at=d, donor=a, recipient=b, region=g, kind="food", usd=1e6, tonnes=5.0)),
    (5, lambda r, d, a, b, g: ev.AidDelivery(
        occurred_at=d, donor=a, recipient=b, region=g, kind="food", usd=5e5)),
    (4, lambda r, d, a, b, g: ev.Ceasefire(occurred_at=d, parties=(a, b), mediator="RUS")),
    (3, lambda r, d, a, b, g: ev.Agreement(
        occurred_at=d, parties=(a, b), kind=r.choice(ev.AGREEMENT_KINDS))),
    (2, lambda r, d, a, b, g: ev.Blockade(occurred_at=d, imposer=a, region=g, target=b)),
    (2, lambda r, d, a, b, g: ev.BlockadeLifted(occurred_at=d, imposer=a, region=g)),
    (3, lambda r, d, a, b, g: ev.PeacekeeperDeployment(
        occurred_at=d, contributor=a, region=g, troops=r.randrange(1, 2000), host=b)),
    (2, lambda r, d, a, b, g: ev.PeacekeeperWithdrawal(
        occurred_at=d, contributor=a, region=g, troops=r.choice((None, 500)))),
    (3, lambda r, d, a, b, g: ev.Displacement(occurred_at=d, region=g, people=r.randrange(1000))),
    (3, lambda r, d, a, b, g: ev.PopulationReturn(
        occurred_at=d, region=g, people=r.randrange(1000))),
    (2, lambda r, d, a, b, g: ev.PopulationCount(
        occurred_at=d, region=g, people=r.randrange(10**5))),
    (5, lambda r, d, a, b, g: ev.ControlChange(
        occurred_at=d, region=g, gainer=a, share=r.random() * 0.5 + 0.01,
        loser=r.choice((b, None)))),
    (3, lambda r, d, a, b, g: ev.ReintegrationStep(
        occurred_at=d, region=g, state=a, milestone=r.choice(ev.MILESTONES))),
)  # fmt: skip


def sample_events(count: int, seed: int = 11) -> list[ev.Event]:
    """*count* events of every catalogue type, EVENTS_PER_DAY a day, in date order."""
    rng = random.Random(seed)
    weights = [w for w, _ in _MIX]
    builders = [b for _, b in _MIX]
    start = date(2000, 1, 1)
    days = [start + timedelta(days=i) for i in range(count // EVENTS_PER_DAY + 1)]
    made = []
    for i, build in enumerate(rng.choices(builders, weights, k=count)):
        a, b = rng.sample(ACTORS, 2)
        made.append(build(rng, days[i // EVENTS_PER_DAY], a, b, rng.choice(REGIONS)))
    return made


def bare_loop(events: list[ev.Event], half_life: float) -> dict:
    """The fold's updates written out inline in one loop, over plain dicts."""
    control, hostilities, peace, casualties = {}, {}, {}, {}
    blockades, peacekeepers, population, displaced = {}, {}, {}, {}
    milestones, reintegration, pledged, delivered, rel = {}, {}, {}, {}, {}
    hostile, cooperative, groups, groups_away = {}, {}, {}, {}
    g = cameo.goldstein
    w_off, w_cf, w_pl, w_dl = g("190"), g("0871"), g("0333"), g("073")
    w_dep, w_wd, w_bl, w_lift, w_agr = g("074"), g("1661"), g("191"), g("085"), g("057")
    w_st = {k: g(c) for k, c in ev.STATEMENT_CODES.items()}
    w_mt = {k: g(c) for k, c in ev.MEETING_CODES.items()}
    mw, order = world.MILESTONE_WEIGHTS, ev.MILESTONES
    (Offensive, Ceasefire, Statement, Reported, Meeting, Pledge, Delivery, Agreement,
     Blockade, Lifted, Deploy, Withdraw, Displacement, Return, Count, Control, Step) = (
        ev.Offensive, ev.Ceasefire, ev.Statement, ev.Reported, ev.DiplomaticMeeting,
        ev.AidPledge, ev.AidDelivery, ev.Agreement, ev.Blockade, ev.BlockadeLifted,
        ev.PeacekeeperDeployment, ev.PeacekeeperWithdrawal, ev.Displacement,
        ev.PopulationReturn, ev.PopulationCount, ev.ControlChange, ev.ReintegrationStep,
    )  # fmt: skip
    day = None
    today = 0
    for e in events:
        if e.occurred_at != day:
            if day is not None and e.occurred_at < day:
                raise ValueError("events out of date order")
            day = e.occurred_at
            today = day.toordinal()
        t = type(e)
        pairs = ()
        if t is Statement:
            w = w_st[e.kind]
            a, b = e.speaker, e.target
            if b is not None and a != b:
                pairs = ((a, b) if a < b else (b, a),)
        elif t is Offensive:
            w = w_off
            a, b = e.attacker, e.defender
            if a != b:
                p = (a, b) if a < b else (b, a)
                if p not in hostilities:
                    hostilities[p] = day
                pairs = (p,)
            casualties[e.region] = casualties.get(e.region, 0) + (e.casualties or 0)
        elif t is Reported:
            w = e.weight if e.weight is not None else g(e.code)
            a, b = e.actor1, e.actor2
            if b is not None and a != b:
                pairs = ((a, b) if a < b else (b, a),)
        elif t is Meeting:
            w = w_mt[e.kind]
            actors = e.parties
            if e.convener is not None and e.convener not in actors:
                actors = (*actors, e.convener)
            pairs = [(a, b) if a < b else (b, a) for a, b in combinations(actors, 2)]
        elif t is Pledge or t is Delivery:
            w, book = (w_pl, pledged) if t is Pledge else (w_dl, delivered)
            key = (e.donor, e.kind)
            usd, tonnes = book.get(key, (0.0, 0.0))
            if e.usd is not None:
                usd += e.usd
            if e.tonnes is not None:
                tonnes += e.tonnes
            book[key] = (usd, tonnes)
            a, b = e.donor, e.recipient
            if a != b:
                pairs = ((a, b) if a < b else (b, a),)
        elif t is Ceasefire or t is Agreement:
            ends = t is Ceasefire or e.kind in ("ceasefire", "peace")
            w = w_cf if t is Ceasefire else w_agr
            group = [(a, b) if a < b else (b, a) for a, b in combinations(e.parties, 2)]
            if ends:
                for p in group:
                    hostilities.pop(p, None)
            if t is Agreement and e.kind == "peace":
                for p in group:
                    peace[p] = day
            extra = e.mediator if t is Ceasefire else None
            if extra is not None and extra not in e.parties:
                group += [(a, extra) if a < extra else (extra, a) for a in e.parties]
            pairs = group
        elif t is Blockade or t is Lifted:
            imposers = blockades.setdefault(e.region, {})
            if t is Blockade:
                w = w_bl
                if e.imposer not in imposers:
                    imposers[e.imposer] = day
            else:
                w = w_lift
                imposers.pop(e.imposer, None)
            a, b = e.imposer, e.target
            if b is not None and a != b:
                pairs = ((a, b) if a < b else (b, a),)
        elif t is Deploy or t is Withdraw:
            present = peacekeepers.setdefault(e.region, {})
            held = present.get(e.contributor, 0)
            if t is Deploy:
                w = w_dep
                if held + e.troops:
                    present[e.contributor] = held + e.troops
            else:
                w = w_wd
                if e.troops is not None and held > e.troops:
                    present[e.contributor] = held - e.troops
                else:
                    present.pop(e.contributor, None)
            a, b = e.contributor, e.host
            if b is not None and a != b:
                pairs = ((a, b) if a < b else (b, a),)
        elif t is Displacement:
            key = (e.region, e.group or "")
            living = groups.get(key, 0)
            left = living - e.people if living > e.people else 0
            groups[key] = left
            population[e.region] = population.get(e.region, 0) - living + left
            groups_away[key] = groups_away.get(key, 0) + e.people
            displaced[e.region] = displaced.get(e.region, 0) + e.people
        elif t is Return:
            key = (e.region, e.group or "")
            away = groups_away.get(key, 0)
            back = e.people if e.people < away else away
            groups_away[key] = away - back
            displaced[e.region] = displaced.get(e.region, 0) - back
            groups[key] = groups.get(key, 0) + back
            population[e.region] = population.get(e.region, 0) + back
        elif t is Count:
            key = (e.region, e.group or "")
            population[e.region] = population.get(e.region, 0) - groups.get(key, 0) + e.people
            displaced[e.region] = displaced.get(e.region, 0) - groups_away.get(key, 0)
            groups[key] = e.people
            groups_away[key] = 0
        elif t is Control:
            shares = control.setdefault(e.region, {})
            gainer, loser, share = e.gainer, e.loser, e.share
            if gainer != loser:
                held = shares.get(loser, 0.0) if loser is not None else 0.0
                taken = share if share < held else held
                unheld = 1.0 - sum(shares.values())
                rest = share - taken
                if rest > unheld:
                    rest = unheld if unheld > 0.0 else 0.0
                if taken > 0.0:
                    if held - taken > world.SHARE_EPSILON:
                        shares[loser] = held - taken
                    else:
                        del shares[loser]
                gained = shares.get(gainer, 0.0) + taken + rest
                if gained > world.SHARE_EPSILON:
                    shares[gainer] = gained if gained < 1.0 else 1.0
                else:
                    shares.pop(gainer, None)
        elif t is Step:
            reached = milestones.setdefault(e.region, {})
            if e.milestone not in reached:
                reached[e.milestone] = day
            reintegration[e.region] = sum(mw[m] for m in order if m in reached)
        for p in pairs:
            for sums, x in ((rel, w), (hostile if w < 0 else cooperative, abs(w))):
                if not x and sums is not rel:
                    continue
                entry = sums.get(p)
                if entry is None:
                    sums[p] = (x, today)
                elif entry[1] == today:
                    sums[p] = (entry[0] + x, today)
                else:
                    sums[p] = (entry[0] * 0.5 ** ((today - entry[1]) / half_life) + x, today)
    return {
        "control": control, "hostilities": hostilities, "peace": peace,
        "casualties": casualties, "blockades": blockades, "peacekeepers": peacekeepers,
        "population": population, "displaced": displaced, "milestones": milestones,
        "reintegration": reintegration, "aid_pledged": pledged, "aid_delivered": delivered,
        "relation_sums": rel, "hostile_sums": hostile, "cooperative_sums": cooperative,
        "groups": groups, "groups_displaced": groups_away,
    }  # fmt: skip


def best_times(runs: dict, repeat: int) -> tuple[dict, dict]:
    """Best time of each run over *repeat* rounds, the runs interleaved so that a busy moment
    on the machine does not fall on one of them only; and each run's last result."""
    best = dict.fromkeys(runs, float("inf"))
    results = {}
    for _ in range(repeat):
        for name, run in runs.items():
            began = time.perf_counter()
            results[name] = run()
            best[name] = min(best[name], time.perf_counter() - began)
    return best, results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)

    began = time.perf_counter()
    evs = sample_events(args.events)
    print(f"generated {len(evs):,} events in {time.perf_counter() - began:.1f} s")

    h = world.DEFAULT_HALF_LIFE_DAYS
    times, results = best_times(
        {"fold": lambda: world.fold(evs), "bare": lambda: bare_loop(evs, h)}, args.repeat
    )
    fold_s, bare_s = times["fold"], times["bare"]
    state, bare = results["fold"], results["bare"]
    for name, value in bare.items():
        if getattr(state, name) != value:
            print(f"MISMATCH: the bare loop's {name} differs from the fold's")
            return 1

    fold_rate, bare_rate = len(evs) / fold_s, len(evs) / bare_s
    ratio = fold_rate / bare_rate
    print(f"world.fold : {fold_rate:>12,.0f} events/s ({fold_s:.2f} s)")
    print(f"bare loop  : {bare_rate:>12,.0f} events/s ({bare_s:.2f} s)")
    verdict = "met" if ratio >= TARGET else "NOT met"
    print(f"ratio      : {ratio:.0%} of the bare loop (target >= {TARGET:.0%}: {verdict})")
    return 0 if ratio >= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
