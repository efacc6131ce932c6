"""`diplosim run`: the summary, the events as JSON Lines, and storing a run once."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from simulator import codec
from simulator.cli import main
from simulator.engine import simulate
from simulator.scenario import load_scenario
from simulator.store import open_store

RECORDED = str(Path(__file__).resolve().parent.parent / "scenarios" / "nagorno_karabakh.toml")


def test_summary_names_the_branch_and_the_metrics(capsys):
    assert main(["run", RECORDED, "--seed", "7"]) == 0
    out = capsys.readouterr().out
    assert "branch     2024-" in out and "recorded" in out
    assert "war_resumed" in out and "relations:ARM-AZE" in out


def test_events_are_the_runs_events_one_a_line(capsys):
    assert main(["run", RECORDED, "--seed", "7", "--events"]) == 0
    lines = capsys.readouterr().out.splitlines()
    run = simulate(load_scenario(RECORDED), 7)
    assert [codec.from_dict(json.loads(line)) for line in lines] == run.events


def test_a_run_is_stored_once(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'runs.db'}"
    assert main(["run", RECORDED, "--seed", "3", "--store", url]) == 0
    assert main(["run", RECORDED, "--seed", "3", "--store", url]) == 0
    assert "already stored" in capsys.readouterr().out
    run = simulate(load_scenario(RECORDED), 3)
    with open_store(url) as store:
        assert list(store.events(run.stream)) == run.events
        assert [r.causation for r in store.read(run.stream)] == run.causes


def test_a_bad_rule_parameter_is_one_line_and_exit_2(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text(
        f'extends = "{RECORDED}"\n[dynamics.attack]\nbase = -3.0\nhostil = 1.0\n',
        encoding="utf-8",
    )
    assert main(["run", str(bad), "--extends-root", str(Path(RECORDED).parent)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "dynamics.attack.hostil" in err and "hostile" in err


def test_runs_gives_an_ensemble_summary_equal_to_run_ensemble(tmp_path, capsys):
    from simulator.ensemble import run_ensemble

    out = tmp_path / "report"
    args = ["run", RECORDED, "--runs", "6", "--seed", "4", "--workers", "1", "--out", str(out)]
    assert main(args) == 0
    printed = capsys.readouterr().out
    assert "War resumes" in printed and "6 runs per scenario, seed 4" in printed
    written = (out / "results.csv").read_text().splitlines()
    expected = run_ensemble(load_scenario(RECORDED), 6, 4, workers=1).results
    assert len(written) == 1 + len(expected)


def test_runs_refuses_events(capsys):
    assert main(["run", RECORDED, "--runs", "3", "--events"]) == 2
    assert "--events" in capsys.readouterr().err


def test_a_negative_seed_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as raised:
        main(["run", RECORDED, "--seed", "-1"])
    assert raised.value.code == 2
    err = capsys.readouterr().err
    assert "--seed: expected a whole number >= 0 (got '-1')" in err and "Traceback" not in err


ONE = ("--workers", "1")


def test_run_k_replayed_alone_is_run_k_of_the_stored_ensemble_byte_for_byte(tmp_path, capsys):
    from simulator.recording import ensemble_stream

    url = f"sqlite:///{tmp_path / 'runs.db'}"
    assert (
        main(["run", RECORDED, "--runs", "5", "--seed", "9", "--store", url, "--workers", "1"]) == 0
    )
    capsys.readouterr()
    assert main(["run", RECORDED, "--runs", "5", "--seed", "9", "--index", "3", "--events"]) == 0
    replayed = capsys.readouterr().out
    scenario = load_scenario(RECORDED)
    with open_store(url) as store:
        (ensemble,) = {r.meta["ensemble"] for r in store.read_all()}
        stream = ensemble_stream(scenario.name, scenario.content_hash, ensemble, 3)
        records = list(store.read(stream))
        stored = "".join(codec.dumps(codec.to_dict(r.event)) + "\n" for r in records)
        assert replayed == stored
        meta = records[0].meta
        assert meta["run"] == 3 and meta["runs"] == 5 and meta["seed"] == "9"
        assert meta["content_hash"] == scenario.content_hash and meta["version"]
        assert len(store.streams()) == 5


def test_run_k_shows_its_events_and_what_caused_each(capsys):
    assert main(["run", RECORDED, "--runs", "5", "--seed", "9", "--index", "3"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("run 3 of the ensemble of 5 runs from seed 9")
    assert "cause" in out and "rule:" in out


def test_a_single_run_and_an_ensemble_never_share_a_stream(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'runs.db'}"
    assert main(["run", RECORDED, "--seed", "7", "--store", url]) == 0
    assert (
        main(["run", RECORDED, "--runs", "4", "--seed", "7", "--store", url, "--workers", "1"]) == 0
    )
    assert (
        main(["run", RECORDED, "--runs", "4", "--seed", "8", "--store", url, "--workers", "1"]) == 0
    )
    assert (
        main(["run", RECORDED, "--runs", "4", "--seed", "8", "--store", url, "--workers", "1"]) == 0
    )
    capsys.readouterr()
    with open_store(url) as store:
        streams = store.streams()
        assert len(streams) == 1 + 4 + 4  # the second ensemble is its own; the repeat adds nothing
        assert sum("/seed-7" in s for s in streams) == 1
        assert len({r.meta.get("ensemble") for r in store.read_all()} - {None}) == 2
