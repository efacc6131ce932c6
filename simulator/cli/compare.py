"""`diplosim compare SCENARIO...`: ensembles of scenarios side by side, and a report folder.

`add_ensemble_arguments(parser)` and `run_ensemble_command(args)` are the ensemble half of any
command: `compare` uses them for several scenarios, `run --runs N` for one.
"""

from __future__ import annotations

import argparse
import re
from contextlib import ExitStack
from pathlib import Path

from simulator.cli.options import add_scenario_options, scenario_from
from simulator.errors import DiplosimError
from simulator.scenario.value import MAX_RUNS

DEFAULT_RUNS = 1000


def register(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Run an ensemble of each scenario and of each one's matched baseline (the same "
        "seed for each) and print each one's outcomes beside its baseline's on the same "
        "window, with the differences and their uncertainty. --out DIR also writes "
        "index.html (self-contained, interactive), results and series as Parquet and CSV."
    )
    parser.add_argument("scenarios", nargs="+", metavar="SCENARIO", help="scenario TOML files")
    parser.add_argument(
        "--against",
        choices=("matched", "first"),
        default="matched",
        help="set each alternative beside its matched baseline (default: the scenario it "
        "extends, branched on the same day, without interventions), or beside the first "
        "scenario listed (refused unless every window is the first's)",
    )
    add_scenario_options(parser)
    add_ensemble_arguments(parser)
    parser.set_defaults(handler=run_ensemble_command)


def add_ensemble_arguments(parser: argparse.ArgumentParser) -> None:
    """Add --runs, --seed, --out, --workers, --dask, --store and --level to *parser*, leaving
    out any option it already has (a command may define --store or --seed for itself)."""
    options = [
        (
            "--runs",
            {
                "type": whole_number(1, MAX_RUNS),
                "metavar": "N",
                "help": f"runs per scenario, at most {MAX_RUNS:,} (default: [ensemble])",
            },
        ),
        (
            "--seed",
            {
                "type": seed_argument,
                "metavar": "S",
                "help": "ensemble seed (default: [ensemble] seed)",
            },
        ),
        ("--out", {"type": Path, "metavar": "DIR", "help": "write results, plots, index.html"}),
        (
            "--workers",
            {
                "type": _positive,
                "metavar": "N",
                "help": "processes (default: all cores; 1: in-process)",
            },
        ),
        (
            "--dask",
            {
                "metavar": "ADDR",
                "type": _dask_address,
                "help": "run on Dask: a scheduler address, or 'local'",
            },
        ),
        ("--store", {"metavar": "URL", "help": "write every run's events to this event store"}),
        (
            "--level",
            {"type": _level, "default": 0.95, "help": "confidence level (default: 0.95)"},
        ),
    ]
    # argparse has no public way to ask whether an option exists; this mapping is stable.
    taken = parser._option_string_actions
    for flag, spec in options:
        if flag not in taken:
            parser.add_argument(flag, **spec)


def run_ensemble_command(args: argparse.Namespace) -> int:
    """Run the ensembles the parsed *args* ask for (`scenarios` to compare, or one `scenario`),
    print the summary, write the report when `--out` is given; return the exit code."""
    from simulator.comparison import run_comparison
    from simulator.ensemble import SeedRoot, dask_client
    from simulator.report import terminal_summary, write_report
    from simulator.terminal import safe

    paths = getattr(args, "scenarios", None) or [args.scenario]
    scenarios = [scenario_from(args, str(path)) for path in paths]
    # the first scenario's [ensemble] table gives what the command line does not
    settings = scenarios[0].ensemble
    runs = getattr(args, "runs", None) or settings.runs or DEFAULT_RUNS
    seed = getattr(args, "seed", None)
    if seed is None:
        seed = settings.seed
    if seed is None:  # drawn once, so every scenario shares it and the user can repeat it
        seed = SeedRoot.of(None).entropy
    level = getattr(args, "level", 0.95)
    dask = getattr(args, "dask", None)
    try:
        with ExitStack() as stack:
            if dask is not None:  # one cluster for every scenario
                dask = stack.enter_context(dask_client(dask, getattr(args, "workers", None)))
            comparison = run_comparison(
                scenarios,
                runs,
                seed,
                against=getattr(args, "against", "alone"),
                workers=getattr(args, "workers", None),
                dask=dask,
                store=getattr(args, "store", None),
            )
    except OSError as exc:  # a Dask scheduler that cannot be reached, a pool that fails
        where = f" at {args.dask}" if getattr(args, "dask", None) else ""
        raise DiplosimError(f"cannot run the ensemble{where}: {exc}") from None
    print(terminal_summary(comparison, level))
    print(f"{runs:,} runs per scenario, seed {seed}")
    if getattr(args, "store", None):
        for ensemble in comparison.ensembles:
            print(safe(f"{ensemble.name}: ensemble {ensemble.id} in the store ({runs:,} runs)"))
    out = getattr(args, "out", None)
    if out is not None:
        written = write_report(comparison, out, level)
        names = ", ".join(p.name for p in written)
        print(safe(f"wrote {len(written)} files to {out}: {names}"))
    return 0


def whole_number(minimum: int, maximum: int | None = None):
    """An argparse `type`: *text* as a whole number >= *minimum* (and <= *maximum*), or a
    usage error."""

    def parse(text: str) -> int:
        try:
            value = int(text) if len(text) <= 30 else minimum - 1
        except ValueError:
            value = minimum - 1
        if value < minimum or (maximum is not None and value > maximum):
            bound = f"from {minimum} to {maximum:,}" if maximum is not None else f">= {minimum}"
            raise argparse.ArgumentTypeError(f"expected a whole number {bound} (got {text!r})")
        return value

    return parse


_positive = whole_number(1)
seed_argument = whole_number(0)  # a seed: numpy refuses negative ones


_DASK = re.compile(r"local|(?:tcp|tls|ws|wss|inproc|ucx)://[\w.\-\[\]:]+|[\w.\-]+:\d{1,5}")


def _dask_address(text: str) -> str:
    """'local', or a scheduler address: tcp://host:port (or another Dask scheme), host:port."""
    if not _DASK.fullmatch(text):
        raise argparse.ArgumentTypeError(
            f"expected 'local' or a scheduler address such as tcp://host:8786 (got {text!r})"
        )
    return text


def _level(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not 0.0 < value < 1.0:
        raise argparse.ArgumentTypeError(f"expected a level in (0, 1), e.g. 0.9 (got {text!r})")
    return value
