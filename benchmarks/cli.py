"""Start-up of the command line: `diplosim --help` in a fresh interpreter.

    python benchmarks/cli.py [--repeat N]

Runs `python -m simulator --help` N times (default 10) and prints the median wall time
beside the target (<= 0.3 s), and for comparison `python -c pass` (the interpreter alone)
and `diplosim run --help` (which loads the engine and the scenario reader).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET = 0.3


def timed(argv: list[str], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        subprocess.run(argv, check=True, capture_output=True, cwd=ROOT)
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=10)
    repeat = parser.parse_args().repeat
    python = sys.executable
    bare = timed([python, "-c", "pass"], repeat)
    help_ = timed([python, "-m", "simulator", "--help"], repeat)
    run_help = timed([python, "-m", "simulator", "run", "--help"], repeat)
    verdict = "ok" if help_ <= TARGET else "MISSED"
    print(
        f"diplosim --help      {help_:.3f} s median of {repeat}   (target <= {TARGET} s)  {verdict}"
    )
    print(f"python -c pass       {bare:.3f} s")
    print(f"diplosim run --help  {run_help:.3f} s")


if __name__ == "__main__":
    main()
