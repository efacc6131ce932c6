"""`diplosim scenarios`: the scenarios of a folder, where they branch and what they change."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from simulator.cli.options import add_scenario_options, scenario_from
from simulator.comparison import question_of
from simulator.dynamics import Parameters
from simulator.errors import ScenarioError
from simulator.scenario import Scenario


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("folder", nargs="?", default="scenarios", metavar="DIR")
    add_scenario_options(parser)
    parser.set_defaults(handler=scenarios)


def scenarios(args: argparse.Namespace) -> int:
    """A table of the scenarios in the folder; a file that does not load is one error line."""
    folder = Path(args.folder)
    files = sorted(folder.glob("*.toml"))
    if not files:
        raise ScenarioError(f"{folder}: no scenario files (*.toml) there")
    rows, failed = [], False
    for path in files:
        try:
            rows.append((path.name, scenario_from(args, path)))
        except ScenarioError as exc:
            failed = True
            print(str(exc).splitlines()[0], file=sys.stderr)
    print(table(rows))
    return 2 if failed else 0


def table(rows: list[tuple[str, Scenario]]) -> str:
    """The scenarios as a table (file, name, branch, extends, interventions), each row
    followed by what its interventions change and the question it asks."""
    head = ("file", "name", "branch", "extends", "changes")
    cells = [
        (
            file,
            s.name,
            f"{s.branch_date}{' +record' if s.keep_record else ''}",
            ", ".join(Path(p).name for p in s.extends) or "-",
            str(len(s.interventions)),
        )
        for file, s in rows
    ]
    widths = [max(len(r[i]) for r in [head, *cells]) for i in range(len(head))]

    def line(row) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip()

    out = [line(head), line(["-" * w for w in widths])]
    for (_, scenario), row in zip(rows, cells, strict=True):
        out.append(line(row))
        for i in scenario.interventions:
            out.append(f"    - {i.name + ': ' if i.name else ''}{i.describe()}")
        changed = _changed_parameters(scenario)
        if changed and scenario.extends:
            out.append(f"    dynamics: {changed}")
        out.append(f"    question: {question_of(scenario) or '-'}")
    return "\n".join(out)


def _changed_parameters(scenario: Scenario) -> str:
    """The dynamics settings and rule parameters the scenario sets away from their defaults."""
    default = Parameters()
    dynamics = scenario.dynamics
    changed = [
        f"{name}={getattr(dynamics, name)}"
        for name in ("enabled", "relations_half_life_days", "recheck_days")
        if getattr(dynamics, name) != getattr(default, name)
    ]
    changed += [f"{name}={value:g}" for name, value in sorted(dynamics.values.items())]
    return ", ".join(changed)
