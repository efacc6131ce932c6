"""`diplosim compare SCENARIO...`: ensembles of scenarios side by side, and a report folder.

`add_ensemble_arguments(parser)` and `run_ensemble_command(args)` are the ensemble half of any
command: `compare` uses them for several scenarios, `run --runs N` for one.
"""

from __future__ import annotations

import argparse
import re
import sys
from contextlib import ExitStack
from pathlib import Path

from simulator.cli.options import add_scenario_options, scenario_from
from simulator.errors import DiplosimError
from simulator.scenario.value import MAX_RUNS

DEFAULT_RUNS = 1000


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "compare",
        help="run ensembles of scenarios and compare their outcomes",
        description=(
            "Run an ensemble of each scenario (the same seed for each) and print each one's "
            "outcome metrics with intervals beside the first scenario's, with the differences "
            "and their uncertainty. --out DIR also writes results.csv, summary.csv, PNG plots "
            "and index.html."
        ),
    )
    parser.add_argument("scenarios", nargs="+", metavar="SCENARIO", help="scenario TOML files")
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
    """Run the ensembles the parsed *args* ask for (`scenarios` or `scenario`), print the
    table, write the report when `--out` is given; return the exit code."""
    from rich.console import Console

    from simulator.ensemble import SeedRoot, dask_client, run_ensemble
    from simulator.report import comparison, rich_table, write_report
    from simulator.terminal import safe

    paths = getattr(args, "scenarios", None) or [args.scenario]
    scenarios = [scenario_from(args, str(path)) for path in paths]
    # the first scenario's [ensemble] table gives what the command line does not
    settings = getattr(scenarios[0], "ensemble", None)
    runs = getattr(args, "runs", None) or getattr(settings, "runs", None) or DEFAULT_RUNS
    seed = getattr(args, "seed", None)
    if seed is None:
        seed = getattr(settings, "seed", None)
    if seed is None:  # drawn once, so every scenario shares it and the user can repeat it
        seed = SeedRoot.of(None).entropy
    level = getattr(args, "level", 0.95)
    wanted = [m for s in scenarios for m in getattr(s, "outputs", ())] or None
    # On a terminal, its width; into a file or a pipe, wide enough that no word is broken.
    console = Console(width=None if sys.stdout.isatty() else 200)
    dask = getattr(args, "dask", None)
    workers = getattr(args, "workers", None)
    try:
        with ExitStack() as stack:
            if dask is not None:  # one cluster for every scenario
                dask = stack.enter_context(dask_client(dask, workers))
            ensembles = [
                run_ensemble(
                    scenario,
                    runs,
                    seed,
                    workers=workers,
                    dask=dask,
                    store=getattr(args, "store", None),
                )
                for scenario in scenarios
            ]
    except OSError as exc:  # a Dask scheduler that cannot be reached, a pool that fails
        where = f" at {args.dask}" if getattr(args, "dask", None) else ""
        raise DiplosimError(f"cannot run the ensemble{where}: {exc}") from None
    title = " vs ".join(e.name for e in ensembles)
    console.print(rich_table(comparison(ensembles, level, wanted), level, title=title))
    console.print(f"{runs:,} runs per scenario, seed {seed}")
    for scenario, ensemble in zip(scenarios, ensembles, strict=True):
        if ensemble.parameters is not None:
            console.print(safe(uncertainty_note(scenario, ensemble)), markup=False)
    out = getattr(args, "out", None)
    if out is not None:
        try:
            written = write_report(ensembles, out, level, wanted)
        except OSError as exc:
            raise DiplosimError(f"cannot write the report to {out}: {exc}") from None
        names = ", ".join(p.name for p in written)
        console.print(safe(f"wrote {len(written)} files to {out}: {names}"), markup=False)
    return 0


def uncertainty_note(scenario, ensemble) -> str:
    """What the parameter draws of *ensemble* were, and so what its intervals cover."""
    given = scenario.uncertainties
    sets = int(ensemble.parameters["set"].max()) + 1
    source = []
    if given.fit is not None:
        source.append(f"the fit in {given.source} ({given.draws})")
    if given.distributions:
        source.append(f"{len(given.distributions)} distributions given")
    return (
        f"{scenario.name}: {sets:,} parameter sets x {given.runs_per_set} runs, drawn from "
        f"{' and '.join(source)} by {given.design}: the intervals cover chance and the "
        "parameters' uncertainty"
    )


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
