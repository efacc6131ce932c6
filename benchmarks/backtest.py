"""The backtest of the recorded case: `diplosim backtest scenarios/nagorno_karabakh.toml
--every 6M --runs 300` (pooled with the other two recorded cases), against the target of
<= 3 minutes on 2 cores, with its overall scores.

    python benchmarks/backtest.py [--runs N] [--workers N]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from simulator.backtest import backtest, every  # noqa: E402
from simulator.scenario import load_scenario  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent / "scenarios"
TARGET_SECONDS = 180.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=300)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    case = load_scenario(ROOT / "nagorno_karabakh.toml")
    pool = [load_scenario(ROOT / f"{name}.toml") for name in ("kosovo", "transnistria")]
    origins = every(case, 6)
    began = time.perf_counter()
    found = backtest(case, origins, args.runs, 0, pool, args.workers)
    seconds = time.perf_counter() - began
    overall = found.by_origin().loc["all"]
    print(
        f"{case.name}: {len(origins)} origins x {args.runs} paths, {args.workers} workers; "
        f"Brier {overall['brier']:.3f} (base rate {overall['brier_base_rate']:.3f}, "
        f"skill {overall['brier_skill']:+.3f})"
    )
    verdict = "ok" if seconds <= TARGET_SECONDS else "MISSED"
    print(f"  time  {seconds:6.1f} s   target <= {TARGET_SECONDS:.0f} s   {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
