"""Fuzzing what a user feeds the importers: mutated JSON Lines (for `events append`), data files
of each format (GDELT, ICEWS, ACLED) and actors tables give a result or the project's one clear
error, never another exception. As the scenario fuzzing (tests/test_scenario_fuzz.py, whose
mutations these reuse): 1,000 seeded cases a kind, a failure naming its case."""

from __future__ import annotations

import json
import random

import pytest

from simulator import codec
from simulator.cli import main
from simulator.errors import DiplosimError
from simulator.ingest import import_file
from simulator.ingest.actors import ActorTable
from simulator.scenario import load_scenario
from simulator.store import open_store
from tests.test_ingest import gdelt_sample, icews_line
from tests.test_scenario_fuzz import SCENARIOS, mutate_bytes, mutate_data

CASES = 1000


def mutated(rng: random.Random, raw: bytes) -> bytes:
    for _ in range(rng.randint(1, 4)):
        raw = mutate_bytes(rng, raw) if raw else bytes([rng.randrange(256)])
    return raw


def test_mutated_json_lines_append_or_fail_with_one_clear_error(tmp_path, capsys):
    record = load_scenario(SCENARIOS / "transnistria.toml").events[:12]
    lines = [codec.dumps(codec.to_dict(e)) for e in record]
    rng = random.Random(20241201)
    path = tmp_path / "case.jsonl"
    outcomes = {0: 0, 2: 0}
    for number in range(CASES):
        chosen = list(lines)
        if rng.random() < 0.5:
            at = rng.randrange(len(chosen))
            data = json.loads(chosen[at])
            try:
                for _ in range(rng.randint(1, 3)):
                    mutate_data(rng, data)
                chosen[at] = json.dumps(data, default=str)
            except (ValueError, RecursionError):  # the object came to contain itself: not JSON
                chosen[at] = "{" + chosen[at]
            raw = ("\n".join(chosen) + "\n").encode("utf-8")
        else:
            raw = mutated(rng, ("\n".join(chosen) + "\n").encode("utf-8"))
        path.write_bytes(raw)
        try:
            code = main(["events", "append", str(path), "--store", "memory://", "--stream", "x"])
        except Exception as exc:  # the property: no other exception, ever
            pytest.fail(f"case {number} raised {exc!r}:\n{raw[:2000]!r}")
        out, err = capsys.readouterr()
        assert code in outcomes, (number, code, err)
        outcomes[code] += 1
        if code == 2:
            assert err and all(
                line.startswith((str(path), "diplosim: error", "...")) for line in err.splitlines()
            ), (number, err)
    assert outcomes[0] > 50 and outcomes[2] > 50, outcomes


SAMPLES = {
    "gdelt": "\n".join(gdelt_sample(58)) + "\n",
    "icews": "\n".join(
        icews_line(**{"Event ID": str(900 + i), "Event Date": "2020-09-27", "Source Name":
                      "Azerbaijan", "Target Name": "Armenia", "CAMEO Code": "190",
                      "Intensity": "-10", "Country": "Armenia"})
        for i in range(6)
    ) + "\n",
    "acled": (
        "event_id_cnty,event_date,event_type,sub_event_type,actor1,actor2,country,fatalities\n"
        "ARM1,2020-09-27,Battles,Armed clash,Military Forces of Azerbaijan (2003-),"
        "Military Forces of Armenia (2018-),Armenia,12\n"
        "ARM2,2020-09-28,Protests,Peaceful protest,Protesters (Armenia),,Armenia,0\n"
    ),
}  # fmt: skip


@pytest.mark.parametrize("fmt", sorted(SAMPLES))
def test_mutated_data_files_import_or_fail_with_one_clear_error(tmp_path, fmt):
    rng = random.Random(sum(map(ord, fmt)))
    path = tmp_path / f"case.{fmt}"
    base = SAMPLES[fmt].encode("utf-8")
    imported = failed = 0
    for number in range(CASES):
        raw = mutated(rng, base)
        path.write_bytes(raw)
        with open_store("memory://") as store:
            try:
                import_file(str(path), fmt, store, "x", on_refused=lambda line, reason: None)
                imported += 1
            except DiplosimError as exc:
                assert str(exc).strip() and "\n" not in str(exc).strip(), (number, exc)
                failed += 1
            except Exception as exc:  # the property: no other exception, ever
                pytest.fail(f"case {number} ({fmt}) raised {exc!r}:\n{raw!r}")
    assert imported > 50, (imported, failed)


def test_mutated_actors_tables_load_or_fail_with_one_clear_error(tmp_path):
    base = (
        b'[actors]\nNorth = ["AZE", "Northland"]\nSouth = ["ARMMIL", "ARMGOV", "ARM"]\n'
        b'[regions]\nHighlands = ["Highland Province"]\n'
    )
    rng = random.Random(4242)
    path = tmp_path / "actors.toml"
    loaded = failed = 0
    for number in range(CASES):
        raw = mutated(rng, base)
        path.write_bytes(raw)
        try:
            ActorTable.load(str(path))
            loaded += 1
        except DiplosimError as exc:
            assert str(path) in str(exc), (number, exc)
            failed += 1
        except Exception as exc:  # the property: no other exception, ever
            pytest.fail(f"case {number} raised {exc!r}:\n{raw!r}")
    assert loaded > 50 and failed > 50, (loaded, failed)
