"""Ensemble throughput: the recorded case on one worker and on all cores.

    python benchmarks/ensemble.py [--runs N] [--workers N] [--scenario PATH]

Runs the same ensemble (seed 1) in-process, then on a local process pool of --workers (default:
all cores), checks that both give identical results, and prints runs/s, the speed-up and the
peak memory: the parent's peak resident set plus --workers times the largest worker's peak (an
upper bound of the whole ensemble's). Targets (on 2 cores): 10,000 runs in <= 60 s, speed-up
>= 1.7, peak memory < 1 GB; for a scenario with [uncertainties] (the recorded case draws its
parameters from its fit) 10,000 runs with parameter draws in <= 40 s.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from simulator import load_scenario  # noqa: E402
from simulator.ensemble import run_ensemble  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
TARGET_SECONDS = 60.0
TARGET_SECONDS_WITH_DRAWS = 40.0
TARGET_RUNS = 10_000
TARGET_SPEEDUP = 1.7
TARGET_MEMORY_MB = 1024.0


def peak_mb(who: int) -> float:
    return resource.getrusage(who).ru_maxrss / 1024.0  # Linux reports kilobytes


def timed(scenario, runs: int, workers: int):
    began = time.perf_counter()
    ensemble = run_ensemble(scenario, runs, 1, workers=workers, progress=False)
    return ensemble, time.perf_counter() - began


def verdict(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=TARGET_RUNS)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--scenario", default=str(ROOT / "scenarios" / "nagorno_karabakh.toml"))
    args = parser.parse_args()
    scenario = load_scenario(args.scenario)
    print(
        f"{scenario.name}: {args.runs:,} runs, 1 worker vs {args.workers} ({os.cpu_count()} cores)"
    )
    load = os.getloadavg()[0]
    if load > 0.5:  # other work on the machine takes cores from the workers: speed-up is lower
        print(f"  note: load average {load:.1f} before starting: other work slows these figures")

    single, single_seconds = timed(scenario, args.runs, 1)
    print(f"  1 worker : {single_seconds:7.1f} s  {args.runs / single_seconds:8.1f} runs/s")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    parent_before = resource.getrusage(resource.RUSAGE_SELF)
    parallel, parallel_seconds = timed(scenario, args.runs, args.workers)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    parent_after = resource.getrusage(resource.RUSAGE_SELF)
    parent_cpu = parent_after.ru_utime - parent_before.ru_utime
    busy = (after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime) / (
        parallel_seconds * args.workers
    )
    print(
        f"  {args.workers} workers: {parallel_seconds:7.1f} s  "
        f"{args.runs / parallel_seconds:8.1f} runs/s  (workers on CPU {busy:.0%} of the time, "
        f"parent {parent_cpu / parallel_seconds:.0%})"
    )
    pd.testing.assert_frame_equal(single.results, parallel.results)
    for name, values in single.series.items():
        np.testing.assert_array_equal(values, parallel.series[name])
    print("  identical results on both executors")

    speedup = single_seconds / parallel_seconds
    projected = parallel_seconds * TARGET_RUNS / args.runs
    draws = bool(scenario.uncertainties)
    target = TARGET_SECONDS_WITH_DRAWS if draws else TARGET_SECONDS
    held = single.results.memory_usage(deep=True).sum() + sum(
        a.nbytes for a in single.series.values()
    )
    parent, child = peak_mb(resource.RUSAGE_SELF), peak_mb(resource.RUSAGE_CHILDREN)
    memory = parent + args.workers * child
    print(f"  collected: {held / args.runs:,.0f} bytes per run ({held / 2**20:.1f} MB)")
    print(
        f"  speed-up        {speedup:6.2f}   target >= {TARGET_SPEEDUP}   "
        f"{verdict(speedup >= TARGET_SPEEDUP)}"
    )
    if draws:
        runaway = float(single.results["runaway"].mean())
        print(
            f"  parameter draws from [uncertainties]; runaway runs (cut at 2,000 events) "
            f"{runaway:.1%}"
        )
    print(
        f"  10,000 runs     {projected:6.1f} s target <= {target:.0f} s "
        f"({args.workers} workers{'' if args.runs == TARGET_RUNS else ', projected'}"
        f"{', with parameter draws' if draws else ''})   {verdict(projected <= target)}"
    )
    print(
        f"  peak memory     {memory:6.0f} MB (parent {parent:.0f} + {args.workers} x worker "
        f"{child:.0f})   target < {TARGET_MEMORY_MB:.0f} MB   {verdict(memory < TARGET_MEMORY_MB)}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
