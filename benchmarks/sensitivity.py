"""Sensitivity analysis time: Sobol' indices of the recorded case's headline outcomes.

    python benchmarks/sensitivity.py [--samples N] [--workers N]

Writes a scenario extending scenarios/nagorno_karabakh.toml whose dynamics and
[uncertainties] come from scenarios/fits/recorded.toml (a temporary file), runs
`diplosim sensitivity`'s analysis (Saltelli's scheme of --samples base points over the fit's
rule blocks, one run a point) on --workers processes and prints the time beside the target:
<= 3 minutes on 2 workers.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from simulator import load_scenario  # noqa: E402
from simulator.calibration import sensitivity  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
TARGET_SECONDS = 180.0
SAMPLES = 128  # a power of 2 whose runs fit the target on 2 cores (256 would not)

SCENARIO = """\
extends = "{root}/scenarios/nagorno_karabakh.toml"
[scenario]
name = "Nagorno-Karabakh, fitted parameters uncertain"
[dynamics]
from = "{root}/scenarios/fits/recorded.toml"
[uncertainties]
from = "{root}/scenarios/fits/recorded.toml"
"""


def verdict(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=SAMPLES)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "uncertain.toml"
        path.write_text(SCENARIO.format(root=ROOT), encoding="utf-8")
        scenario = load_scenario(path)
    spec = sensitivity.problem(scenario)
    groups = len(set(spec["groups"]))
    runs = sensitivity.run_count(spec, "sobol", args.samples)
    print(
        f"{scenario.name}: Sobol' over {groups - 1} rule blocks and chance, "
        f"N = {args.samples}: {runs:,} runs on {args.workers} workers ({os.cpu_count()} cores)"
    )
    load = os.getloadavg()[0]
    if load > 0.5:  # other work on the machine takes cores from the workers
        print(f"  note: load average {load:.1f} before starting: other work slows these figures")
    began = time.perf_counter()
    frame = sensitivity.indices(scenario, "sobol", args.samples, seed=1, workers=args.workers)
    seconds = time.perf_counter() - began
    outcomes = list(dict.fromkeys(frame["outcome"]))
    print(f"  outcomes        {', '.join(outcomes)}")
    if frame.attrs["skipped"]:
        print(f"  skipped         {'; '.join(frame.attrs['skipped'].values())}")
    print(f"  throughput      {runs / seconds:6.1f} runs/s")
    print(
        f"  Sobol', N = {args.samples:<4} {seconds:6.1f} s target <= {TARGET_SECONDS:.0f} s "
        f"({args.workers} workers)   {verdict(seconds <= TARGET_SECONDS)}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
