"""The pooled fit of the three recorded cases: its time, against the target of <= 30 s on 2
cores, and what it reaches (log-likelihood at the estimates against the defaults).

    python benchmarks/fit.py [--posterior N]

The fit uses one core (its blocks are small); the time includes the design pass of each case
at each half-life of the grid, which dominates.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from simulator.calibration.fit import HALF_LIVES, fit  # noqa: E402
from simulator.scenario import load_scenario  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
CASES = ("nagorno_karabakh", "kosovo", "transnistria")
TARGET_SECONDS = 30.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posterior", type=int, default=0, help="MCMC draws as well")
    args = parser.parse_args()
    scenarios = [load_scenario(ROOT / "scenarios" / f"{name}.toml") for name in CASES]
    began = time.perf_counter()
    found = fit(scenarios, posterior=args.posterior)
    seconds = time.perf_counter() - began
    names = sum(len(b.names) for b in found.blocks)
    print(
        f"pooled fit of {len(CASES)} cases: {found.events} events, {names} parameters in "
        f"{len(found.blocks)} blocks, {len(HALF_LIVES)} half-lives on the grid"
        f"{f', {args.posterior} posterior draws' if args.posterior else ''}"
    )
    print(
        f"  log-likelihood {found.log_likelihood:.1f} at the estimates, "
        f"{found.log_likelihood_defaults:.1f} at the defaults"
    )
    verdict = "ok" if seconds <= TARGET_SECONDS else "MISSED"
    print(f"  time           {seconds:6.1f} s   target <= {TARGET_SECONDS:.0f} s   {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
