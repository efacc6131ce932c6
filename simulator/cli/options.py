"""Arguments several commands share: the scenario files they load, how far `extends` reaches,
and sizes given in MiB."""

from __future__ import annotations

import argparse
from pathlib import Path

from simulator.errors import DiplosimError
from simulator.inputs import MAX_TEXT_BYTES
from simulator.scenario import Scenario, load_scenario

MAX_MEBIBYTES = 4096  # a limit past this is a typing slip, not a file


def mebibytes(text: str) -> int:
    """A size in MiB on the command line, as bytes."""
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not 0 < value <= MAX_MEBIBYTES:
        raise argparse.ArgumentTypeError(
            f"expected a size in MiB above 0 and at most {MAX_MEBIBYTES:,} (got {text!r})"
        )
    return int(value * 2**20)


def add_scenario_options(parser: argparse.ArgumentParser) -> None:
    """`--extends-root DIR` (a folder a scenario's `extends` may reach besides its own tree)
    and `--max-size MIB` (the largest scenario file read)."""
    parser.add_argument(
        "--extends-root",
        type=Path,
        metavar="DIR",
        help="a folder `extends` may also reach (default: only the scenario's own folder tree)",
    )
    parser.add_argument(
        "--max-size",
        type=mebibytes,
        default=MAX_TEXT_BYTES,
        metavar="MIB",
        help=f"the largest scenario file read, in MiB (default {MAX_TEXT_BYTES >> 20})",
    )


def scenario_from(args: argparse.Namespace, path: str | Path) -> Scenario:
    """The scenario at *path*, its `extends` and size limited as the command line says."""
    return load_scenario(
        path,
        extends_root=getattr(args, "extends_root", None),
        max_bytes=getattr(args, "max_size", MAX_TEXT_BYTES),
    )


def parse_pair(text: str) -> tuple[str, str]:
    """A pair of actor ids as `A,B`, or `A-B` when neither id holds a dash (ids may: `A,B` is
    the form printed); DiplosimError unless two different non-empty ids."""
    if "," in text:
        parts = text.split(",")
    elif text.count("-") == 1:
        parts = text.split("-")
    else:
        parts = []
    parts = [part.strip() for part in parts]
    if len(parts) != 2 or not all(parts) or parts[0] == parts[1]:
        raise DiplosimError(
            f"--pair must be two different actor ids, as A,B (or A-B when neither id holds "
            f"a dash), e.g. AZE,ARM (got {text!r})"
        )
    return parts[0], parts[1]


def show_pair(pair: tuple[str, str]) -> str:
    """The pair as `--pair` takes it and every command prints it: `A,B`."""
    return ",".join(pair)
