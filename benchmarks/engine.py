"""One run of the recorded case, and the likelihood of simulated paths.

    python benchmarks/engine.py [--scenario PATH] [--seeds N] [--paths N]

Target (dynamics v2): one run of the recorded case <= 5 ms; the likelihood of 1,000
simulated paths <= 2 s (the paths are simulated first, then scored: only the scoring is
timed, one `log_likelihood` per path with what the scenario scheduled conditioned on).

Times `simulate` on the recorded case with its dynamics on, over N seeds (default 30), and,
interleaved with it so that both see the same machine load, a bare SimPy model of 7 processes
that each wake every day from the scenario's start to its horizon and update a dict. Prints
both means and the ratio. Target: one run <= 2x the bare daily model (the engine draws
waiting times from hazards instead of stepping every day).

Also times what an ensemble worker does per run: `simulate`, then the run's metrics and its
series sampled monthly (`ensemble.sample_days`). Target: <= 6 ms per run, so that 10,000 runs
take a minute on two cores.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import simpy

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from simulator.engine import simulate  # noqa: E402
from simulator.ensemble import sample_days  # noqa: E402
from simulator.likelihood import log_likelihood  # noqa: E402
from simulator.scenario import load_scenario  # noqa: E402

TARGET = 2.0
RUN_TARGET_MS = 5.0
WORKER_TARGET_MS = 6.0
LIKELIHOOD_TARGET_S = 2.0
PROCESSES = 7


def bare_daily(days: int) -> dict[str, int]:
    """7 processes waking every day for *days* days, each updating a shared dict."""
    env = simpy.Environment()
    state: dict[str, int] = {}

    def daily(name: str):
        while True:
            yield env.timeout(1)
            state[name] = state.get(name, 0) + 1

    for k in range(PROCESSES):
        env.process(daily(f"p{k}"))
    env.run(until=days)
    return state


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default=str(ROOT / "scenarios" / "nagorno_karabakh.toml"))
    parser.add_argument("--seeds", type=int, default=30)
    parser.add_argument("--paths", type=int, default=1000)
    args = parser.parse_args()
    scenario = load_scenario(args.scenario)
    if not scenario.dynamics.enabled:
        print("the scenario's dynamics are off: nothing to measure", file=sys.stderr)
        return 2
    days = (scenario.horizon - scenario.start).days + 1
    simulate(scenario, 0)  # warm caches (codec plans, imports)
    bare_daily(days)
    monthly = sample_days(scenario)
    engine_times, bare_times, worker_times, simulated = [], [], [], 0
    for seed in range(1, args.seeds + 1):
        t0 = time.perf_counter()
        run = simulate(scenario, seed)
        t1 = time.perf_counter()
        bare_daily(days)
        t2 = time.perf_counter()
        again = simulate(scenario, seed)  # as an ensemble worker does it
        dict(again.metrics)
        again.sample(monthly)
        t3 = time.perf_counter()
        engine_times.append(t1 - t0)
        bare_times.append(t2 - t1)
        worker_times.append(t3 - t2)
        simulated += len(run.events) - run.recorded
    engine = 1000 * sum(engine_times) / len(engine_times)
    bare = 1000 * sum(bare_times) / len(bare_times)
    ratio = engine / bare
    print(f"scenario: {scenario.name}, {days} days, {args.seeds} seeds")
    mean_events = simulated / args.seeds
    verdict = "ok" if engine <= RUN_TARGET_MS else "MISSED"
    print(
        f"engine run (dynamics on): {engine:8.2f} ms  ({mean_events:.0f} simulated events;"
        f" target <= {RUN_TARGET_MS:.0f} ms: {verdict})"
    )
    print(f"bare daily model ({PROCESSES} processes): {bare:8.2f} ms")
    verdict = "ok" if ratio <= TARGET else "MISSED"
    print(f"ratio: {ratio:.2f}  (target <= {TARGET:.1f}: {verdict})")
    worker = 1000 * sum(worker_times) / len(worker_times)
    verdict = "ok" if worker <= WORKER_TARGET_MS else "MISSED"
    print(
        f"ensemble run (simulate, metrics, {len(monthly)} monthly samples): {worker:8.2f} ms"
        f"  (target <= {WORKER_TARGET_MS:.0f} ms: {verdict})"
    )
    paths = [simulate(scenario, 10_000 + k) for k in range(args.paths)]
    t0 = time.perf_counter()
    scored = 0
    for run in paths:
        forced = [i for i, cause in enumerate(run.causes) if cause == "scenario"]
        found = log_likelihood(scenario, run.events, conditioned=forced)
        scored += found.scored
    spent = time.perf_counter() - t0
    target = LIKELIHOOD_TARGET_S * args.paths / 1000
    verdict = "ok" if spent <= target else "MISSED"
    print(
        f"likelihood of {args.paths} simulated paths: {spent:8.2f} s"
        f"  ({1000 * spent / args.paths:.2f} ms a path, {scored / args.paths:.0f} scored events;"
        f" target <= {target:.1f} s: {verdict})"
    )
    # What a fit does with them: each path's Poisson-regression design built once, then every
    # new set of coefficients scored with array operations.
    designs = [log_likelihood(scenario, run.events, design=True).designs for run in paths[:100]]
    coefficients = {name: scenario.dynamics.coefficients(name) for name in designs[0]}
    t0 = time.perf_counter()
    for found in designs:
        for name, design in found.items():
            design.loglik(coefficients[name])
    rescore = (time.perf_counter() - t0) * 1000 / len(designs)
    print(
        f"re-scoring a path's design with new coefficients (what a fit repeats): {rescore:.2f} ms"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
