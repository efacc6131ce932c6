"""Fuzzing the loader: mutated shipped scenarios give a Scenario or a ScenarioError, nothing else.

Two kinds of mutation, several folded into each case: of the parsed TOML (keys and values
changed, removed, duplicated, renamed, types swapped), written back as TOML; and of the raw
bytes (flipped, inserted, deleted, lines duplicated or dropped). A seeded loop keeps the 1,000
cases fast and reproducible: a failure names its case number.
"""

from __future__ import annotations

import random
import shutil
import tomllib
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from simulator.errors import ScenarioError
from simulator.scenario import Scenario, load_scenario, toml_document

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"
FILES = sorted(SCENARIOS.glob("*.toml"))
CASES = 1000

_VALUES: list[Any] = [
    0,
    -1,
    1.5,
    10**30,
    float("nan"),
    "",
    "x",
    "AZE",
    "Offensive",
    True,
    date(1900, 1, 1),
    date(9999, 12, 31),
    date(2023, 9, 19),
    [],
    ["AZE", "ARM"],
    [1, "a"],
    {},
    {"type": "Offensive"},
]


def _containers(data: Any, path: tuple = ()) -> list[tuple]:
    """Every (path, container) of nested dicts and lists."""
    found = [(path, data)]
    items = data.items() if isinstance(data, dict) else enumerate(data)
    for key, value in items:
        if isinstance(value, dict | list):
            found += _containers(value, (*path, key))
    return found


def _typo(rng: random.Random, word: str) -> str:
    if not word:
        return "x"
    i = rng.randrange(len(word))
    return word[:i] + rng.choice("aeiouxyz_") + word[i + 1 :]


def mutate_data(rng: random.Random, data: dict[str, Any]) -> None:
    """One change somewhere in *data*, in place."""
    _, box = rng.choice(_containers(data))
    keys = list(box) if isinstance(box, dict) else list(range(len(box)))
    if not keys:
        if isinstance(box, dict):
            box[rng.choice(["type", "name", "x"])] = rng.choice(_VALUES)
        else:
            box.append(rng.choice(_VALUES))
        return
    key = rng.choice(keys)
    op = rng.randrange(5)
    if op == 0:  # remove
        del box[key]
    elif op == 1:  # a value of another type
        box[key] = rng.choice(_VALUES)
    elif op == 2:  # duplicate: a list element again, a key under a misspelt name
        if isinstance(box, list):
            box.insert(key, box[key])
        else:
            box[_typo(rng, key)] = box[key]
    elif op == 3 and isinstance(box, dict):  # rename
        box[_typo(rng, key)] = box.pop(key)
    else:  # swap with another value of the same container
        other = rng.choice(keys)
        box[key], box[other] = box[other], box[key]


def mutate_bytes(rng: random.Random, raw: bytes) -> bytes:
    """One change of the raw bytes."""
    data = bytearray(raw)
    op = rng.randrange(5)
    at = rng.randrange(len(data))
    if op == 0:
        data[at] = rng.randrange(256)
    elif op == 1:
        data.insert(at, rng.choice(b'[]="\n.#\\ {},0a\xff'))
    elif op == 2:
        del data[at : at + rng.randrange(1, 8)]
    else:
        lines = bytes(data).split(b"\n")
        i = rng.randrange(len(lines))
        if op == 3:
            lines.insert(i, lines[i])
        else:
            del lines[i]
        return b"\n".join(lines)
    return bytes(data)


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    """A copy of scenarios/, so mutated children find their (unmutated) parents."""
    path = tmp_path_factory.mktemp("fuzz")
    for file in FILES:
        shutil.copy(file, path / file.name)
    shutil.copytree(SCENARIOS / "fits", path / "fits")  # the fit files they read
    return path


def test_mutated_scenarios_load_or_fail_with_a_scenario_error(folder):
    rng = random.Random(20240519)
    texts = {file.name: file.read_bytes() for file in FILES}
    outcomes = {"valid": 0, "error": 0}
    case = folder / "case.toml"
    for number in range(CASES):
        name = rng.choice(sorted(texts))
        raw = texts[name]
        if rng.random() < 0.6:
            data = tomllib.loads(raw.decode("utf-8"))
            try:
                for _ in range(rng.randint(1, 4)):
                    mutate_data(rng, data)
                raw = toml_document(data).encode("utf-8")
            except RecursionError:  # a table came to contain itself: no TOML, keep the bytes
                raw = mutate_bytes(rng, raw)
        else:
            for _ in range(rng.randint(1, 4)):
                raw = mutate_bytes(rng, raw)
        case.write_bytes(raw)
        try:
            scenario = load_scenario(case)
        except ScenarioError as exc:
            assert str(exc).strip(), f"case {number}: an empty message"
            assert all(line.startswith(str(case)) for line in str(exc).splitlines()) or (
                "extends" in str(exc) or str(folder) in str(exc)
            ), f"case {number}: {exc}"
            outcomes["error"] += 1
        except Exception as exc:  # the property: no other exception, ever
            pytest.fail(f"case {number} ({name}) raised {exc!r}:\n{raw.decode(errors='replace')}")
        else:
            assert isinstance(scenario, Scenario)
            outcomes["valid"] += 1
    assert outcomes["valid"] > 50 and outcomes["error"] > 50, outcomes
