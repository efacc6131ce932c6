"""Comparisons of scenarios on equal windows: each alternative beside its matched baseline.

A metric "after the branch" counts from the branch date to the horizon, so two scenarios
branched on different days count over different windows and their difference mixes the
intervention with the extra years. An alternative is therefore set beside its *matched
baseline*: the scenario it extends (its parent), branched on the same day, in the same way
(`keep_record`), to the same horizon, without interventions, and measured on the same outputs
and questions. What differs is what the alternative changes (its interventions, dynamics and
events) and nothing else, whichever scenarios are listed with it. `against="first"` compares
with the first scenario listed instead, and is refused unless every window equals the first's;
`against="alone"` shows each scenario by itself (what `run --runs N` reports).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

import attrs
import pandas as pd

from simulator.ensemble import Ensemble, Seed, run_ensemble
from simulator.errors import DiplosimError
from simulator.scenario import Scenario, load_scenario
from simulator.summary import compare, summarize

AGAINST = ("matched", "first", "alone")


class ComparisonError(DiplosimError):
    """Scenarios that cannot be compared as asked (their windows differ)."""


@attrs.frozen
class Window:
    """What "after the branch" covers: from `branch` to `horizon`, both included."""

    branch: date
    horizon: date

    def __str__(self) -> str:
        return f"{self.branch} to {self.horizon}"


def window_of(scenario: Scenario) -> Window:
    return Window(scenario.branch_date, scenario.horizon)


def question_of(scenario: Scenario) -> str:
    """The question a scenario asks: the first sentence of its description."""
    text = " ".join(scenario.description.split())
    for end in ("? ", ". "):
        if end in text:
            return text[: text.index(end) + 1]
    return text


def matched_baseline(scenario: Scenario) -> Scenario | None:
    """The scenario's parent (itself, when it extends none) branched as it is, to its horizon,
    without interventions; None when that is the scenario itself (nothing to set beside it)."""
    if scenario.extends:
        parent_path = scenario.extends[0]
        # the parent was reached from the scenario's folder, and its own chain from there
        root = Path(scenario.source_path).parent if scenario.source_path else None
        parent = load_scenario(parent_path, extends_root=root)
    else:
        parent = scenario
    if parent.start > scenario.branch_date:
        raise ComparisonError(
            f"{scenario.name!r} branches on {scenario.branch_date}, before its parent "
            f"{parent.name!r} starts ({parent.start}): no matched baseline can be built"
        )
    baseline = attrs.evolve(
        parent,
        name=f"{parent.name}, branched {scenario.branch_date}",
        branch_at=scenario.branch_date,
        keep_record=scenario.keep_record,
        horizon=scenario.horizon,
        interventions=(),
        questions=scenario.questions,
        outputs=scenario.outputs,
        focus_given=scenario.focus_given,
    )
    return None if _runs_as(baseline) == _runs_as(scenario) else baseline


def _runs_as(scenario: Scenario) -> dict[str, Any]:
    """What a scenario runs, whatever its name and however its branch day is given: a
    scenario equal to its baseline in this is its own baseline."""
    canonical = scenario.canonical()
    canonical.pop("name")
    canonical["branch"] = {"at": str(scenario.branch_date), "keep": scenario.keep_record}
    return canonical


@attrs.frozen
class Plan:
    """What a comparison runs: `scenarios` (each listed one and the baselines they need, each
    once, a baseline before the first scenario set beside it) and, by name, what each is set
    beside (`against`: None for a baseline or a scenario shown alone)."""

    scenarios: tuple[Scenario, ...]
    against: dict[str, str | None]
    listed: tuple[str, ...]
    mode: str = "matched"


def plan(listed: Sequence[Scenario], against: str = "matched") -> Plan:
    """The ensembles to run to compare *listed* as *against* says (see the module docstring)."""
    if against not in AGAINST:
        raise ValueError(f"against must be one of {AGAINST} (got {against!r})")
    if not listed:
        raise ValueError("nothing to compare: no scenarios given")
    names = _unique_names(listed)
    renamed = tuple(
        s if s.name == n else attrs.evolve(s, name=n) for s, n in zip(listed, names, strict=True)
    )
    if against == "alone":
        return Plan(renamed, dict.fromkeys(names), tuple(names), "alone")
    if against == "first":
        first = window_of(listed[0])
        for scenario in listed[1:]:
            if window_of(scenario) != first:
                raise ComparisonError(
                    f"cannot compare {scenario.name!r} ({window_of(scenario)}) with "
                    f"{listed[0].name!r} ({first}): metrics after the branch would count over "
                    "different windows; compare each with its matched baseline (the default) "
                    "or give scenarios with the same branch date and horizon"
                )
        names = _unique_names(listed)
        renamed = tuple(
            s if s.name == n else attrs.evolve(s, name=n)
            for s, n in zip(listed, names, strict=True)
        )
        against_first = {n: (None if i == 0 else names[0]) for i, n in enumerate(names)}
        return Plan(renamed, against_first, tuple(names), "first")
    runs: list[Scenario] = []
    by_hash: dict[str, str] = {}
    against_of: dict[str, str | None] = {}
    listed_names = []

    def add(scenario: Scenario) -> str:
        known = by_hash.get(scenario.content_hash)
        if known is not None:
            return known
        name = _fresh(scenario.name, against_of)
        if name != scenario.name:
            scenario = attrs.evolve(scenario, name=name)
        by_hash[scenario.content_hash] = name
        against_of[name] = None
        runs.append(scenario)
        return name

    for scenario in listed:
        baseline = matched_baseline(scenario)
        base_name = add(baseline) if baseline is not None else None
        name = add(scenario)
        if base_name is not None and base_name != name:
            against_of[name] = base_name
        listed_names.append(name)
    return Plan(tuple(runs), against_of, tuple(dict.fromkeys(listed_names)))


def _fresh(name: str, taken: dict) -> str:
    count, fresh = 1, name
    while fresh in taken:
        count += 1
        fresh = f"{name} ({count})"
    return fresh


def _unique_names(scenarios: Sequence[Scenario]) -> list[str]:
    taken: dict[str, None] = {}
    for scenario in scenarios:
        taken[_fresh(scenario.name, taken)] = None
    return list(taken)


@attrs.frozen(eq=False)
class Comparison:
    """Ensembles of a plan, run with the same seed and runs, and what each is set beside."""

    ensembles: tuple[Ensemble, ...]
    scenarios: tuple[Scenario, ...]
    against: dict[str, str | None]
    listed: tuple[str, ...]
    mode: str = "matched"  # what `against` is: matched baselines, the first listed, or alone

    def ensemble(self, name: str) -> Ensemble:
        return next(e for e in self.ensembles if e.name == name)

    def scenario(self, name: str) -> Scenario:
        return next(s for s in self.scenarios if s.name == name)

    def table(self, level: float = 0.95, metrics: Sequence[str] | None = None) -> pd.DataFrame:
        """Each scenario's estimates, and its difference to what it is set beside."""
        summaries = {}
        for ensemble in self.ensembles:
            results = ensemble.results
            if metrics:
                results = results[[m for m in results.columns if m in set(metrics)]]
            sets = None if ensemble.parameters is None else ensemble.parameters["set"].to_numpy()
            summaries[ensemble.name] = summarize(results, level, sets)
        return compare(summaries, level, self.against)


def run_comparison(
    listed: Sequence[Scenario],
    runs: int,
    seed: Seed,
    against: str = "matched",
    **executor: Any,
) -> Comparison:
    """Ensembles of *listed* and the baselines they need (`plan`), each of *runs* runs from
    *seed* (common random numbers: run i of each uses the same seed), on *executor*
    (`run_ensemble`'s workers, dask, store, progress)."""
    chosen = plan(listed, against)
    ensembles = tuple(run_ensemble(s, runs, seed, **executor) for s in chosen.scenarios)
    return Comparison(ensembles, chosen.scenarios, chosen.against, chosen.listed, chosen.mode)
