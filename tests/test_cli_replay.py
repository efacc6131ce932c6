"""`diplosim replay`: the change report, the state on a day, the idempotent store, the plot."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from simulator import load_scenario
from simulator.cli import main
from simulator.events import Statement
from simulator.store import open_store

RECORD = Path(__file__).resolve().parent.parent / "scenarios" / "nagorno_karabakh.toml"


def test_without_at_one_line_per_event(capsys):
    assert main(["replay", str(RECORD)]) == 0
    lines = capsys.readouterr().out.splitlines()
    count = len(load_scenario(RECORD).events)
    assert len(lines) == count + 1
    assert any(
        "2020-11-10  PeacekeeperDeployment" in line and "RUS 1,960" in line for line in lines
    )
    assert any("blockade of NK in force" in line for line in lines)
    assert any("war AZE-NKR started" in line for line in lines)


def test_at_a_date_prints_the_state(capsys):
    assert main(["replay", str(RECORD), "--at", "2023-06-01"]) == 0
    out = capsys.readouterr().out
    assert "on 2023-06-01" in out
    assert "NK: AZE since 2022-12-12" in out
    assert "NK: RUS 1,960" in out
    assert "ARM-AZE" in out


def test_store_is_idempotent_and_appends_the_rest_of_a_prefix(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'h.db'}"
    events = load_scenario(RECORD).events
    with open_store(url) as store:
        store.append("history", events[:10], expected_version=0)
    assert main(["replay", str(RECORD), "--store", url]) == 0
    assert f"appended {len(events) - 10} events" in capsys.readouterr().out
    assert main(["replay", str(RECORD), "--store", url]) == 0
    assert "nothing written" in capsys.readouterr().out
    with open_store(url) as store:
        assert list(store.events("history")) == list(events)
        assert store.verify().ok


def test_store_holding_other_events_is_an_error_and_writes_nothing(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'h.db'}"
    other = Statement(occurred_at=date(2020, 1, 1), speaker="XXX", kind="comment")
    with open_store(url) as store:
        store.append("history", [other])
    assert main(["replay", str(RECORD), "--store", url]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "nothing written" in err[0]
    with open_store(url) as store:
        assert store.version("history") == 1


def test_plot_writes_a_png(tmp_path, capsys):
    png = tmp_path / "relations.png"
    assert main(["replay", str(RECORD), "--plot", str(png), "--pair", "AZE,ARM"]) == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "ARM,AZE" in capsys.readouterr().out.splitlines()[-1]


def test_a_bad_scenario_is_exit_2_and_one_line(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text('[scenario]\nname = "x"\nstart = 2020-01-01\nhorizon = 2019-01-01\n')
    assert main(["replay", str(bad)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and f"{bad}:4: scenario.horizon:" in lines[0]


def test_bad_options_are_one_line_errors(capsys):
    assert main(["replay", str(RECORD), "--at", "2023-13-01"]) == 2
    assert main(["replay", str(RECORD), "--half-life", "0"]) == 2
    assert main(["replay", str(RECORD), "--plot", "x.png", "--pair", "AZE-XYZ"]) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 3


@pytest.mark.parametrize("text", ["AZE,ARM", "AZE-ARM", " AZE , ARM "])
def test_replay_and_relations_take_one_pair_syntax(text):
    from simulator.cli.options import parse_pair, show_pair

    assert parse_pair(text) == ("AZE", "ARM") and show_pair(parse_pair(text)) == "AZE,ARM"


@pytest.mark.parametrize("text", ["AZE", "AZE,AZE", "A-B-C", "AZE,", ",ARM"])
def test_a_pair_that_is_not_two_different_ids_is_refused(text):
    from simulator.cli.options import parse_pair
    from simulator.errors import DiplosimError

    with pytest.raises(DiplosimError, match="--pair must be two different actor ids"):
        parse_pair(text)
