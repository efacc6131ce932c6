"""`diplosim events`: append JSON Lines, list, verify, export; bad input is exit 2 and no write."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from datetime import date

import pytest

from simulator import events
from simulator.cli import main
from simulator.store import open_store

HISTORY = [
    {
        "type": "Offensive",
        "occurred_at": "2020-09-27",
        "attacker": "AZE",
        "defender": "ARM",
        "region": "NK",
        "troops": 10000,
    },
    {
        "type": "Ceasefire",
        "occurred_at": "2020-11-10",
        "parties": ["AZE", "ARM"],
        "mediator": "RUS",
    },
    {
        "type": "PeacekeeperDeployment",
        "occurred_at": "2020-11-10",
        "contributor": "RUS",
        "region": "NK",
        "troops": 1960,
        "host": "AZE",
    },
]


@pytest.fixture
def url(tmp_path):
    return f"sqlite:///{tmp_path / 'nk.db'}"


@pytest.fixture
def history(tmp_path):
    path = tmp_path / "history.jsonl"
    path.write_text("\n".join(json.dumps(line) for line in HISTORY) + "\n\n", encoding="utf-8")
    return path


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_append_writes_every_line_as_one_batch_and_says_where(capsys, url, history):
    code, out, err = run(capsys, "events", "append", str(history), "--store", url, "--stream", "h")
    assert (code, err) == (0, "")
    assert out == "appended 3 events to 'h' at positions 0..2\n"
    with open_store(url) as store:
        assert [r.event.occurred_at for r in store.read("h")] == [
            date(2020, 9, 27),
            date(2020, 11, 10),
            date(2020, 11, 10),
        ]
        assert store.read("h").__next__().event.troops == 10000


def test_bad_lines_are_reported_by_number_and_nothing_is_written(capsys, url, tmp_path):
    bad = tmp_path / "bad.jsonl"
    lines = [
        json.dumps(HISTORY[0]),
        "not json",
        json.dumps({**HISTORY[0], "type": "Invasion"}),
        json.dumps(HISTORY[1]),
        json.dumps({**HISTORY[0], "troops": -1}),
        json.dumps({**HISTORY[0], "occurred_at": "27/09/2020"}),
        "[1, 2]",
    ]
    bad.write_bytes(("\n".join(lines) + "\n").encode() + b"\xff\xfe\n")
    code, out, err = run(capsys, "events", "append", str(bad), "--store", url, "--stream", "h")
    assert code == 2 and out == ""
    reported = err.splitlines()
    assert [line.split(": ", 1)[0] for line in reported[:-1]] == [
        f"{bad}:{n}" for n in (2, 3, 5, 6, 7, 8)
    ]
    assert "unknown event type 'Invasion'" in reported[1]
    assert "'troops' must be a whole number from 0 to 1e+11 (got -1)" in reported[2]
    assert "'occurred_at' must be a date YYYY-MM-DD" in reported[3]
    assert "not valid UTF-8" in reported[5]
    assert reported[-1] == "diplosim: error: nothing appended (6 bad lines)"
    assert "Traceback" not in err
    with open_store(url) as store:
        assert list(store.read_all()) == []


def test_a_wrong_expected_version_is_one_line_exit_2_and_writes_nothing(
    capsys, url, history, tmp_path
):
    args = ("events", "append", str(history), "--store", url, "--stream", "h")
    assert run(capsys, *args, "--expected-version", "0")[0] == 0
    other = tmp_path / "other.jsonl"
    other.write_text(json.dumps({**HISTORY[0], "occurred_at": "2021-01-01"}) + "\n", "utf-8")
    code, out, err = run(
        capsys, "events", "append", str(other), *args[3:], "--expected-version", "0"
    )
    assert (code, out) == (2, "")
    assert err == "diplosim: error: stream 'h' is at version 3, not 0\n"
    with open_store(url) as store:
        assert store.version("h") == 3


def test_appending_the_same_file_again_adds_nothing(capsys, url, history):
    args = ("events", "append", str(history), "--store", url, "--stream", "h")
    assert run(capsys, *args)[0] == 0
    # A retry at the version the first append expected succeeds and adds nothing too.
    for retry in ((), ("--expected-version", "0")):
        code, out, _ = run(capsys, *args, *retry)
        assert (code, out) == (0, "nothing appended: all 3 events are already in 'h'\n")
    with open_store(url) as store:
        assert store.version("h") == 3 and store.verify().ok


def test_ls_shows_position_version_date_type_actors_and_summary(capsys, url, history):
    run(capsys, "events", "append", str(history), "--store", url, "--stream", "h")
    code, out, _ = run(capsys, "events", "ls", "--store", url, "--stream", "h")
    assert code == 0
    header, *rows = out.splitlines()
    assert header.split() == ["position", "version", "date", "type", "actors", "summary"]
    assert rows[0].split() == [
        "0",
        "0",
        "2020-09-27",
        "Offensive",
        "AZE,",
        "ARM",
        "region=NK",
        "troops=10000",
    ]
    assert [row.split()[3] for row in rows] == ["Offensive", "Ceasefire", "PeacekeeperDeployment"]


def test_ls_filters_by_type_and_stops_at_the_limit(capsys, url, history):
    run(capsys, "events", "append", str(history), "--store", url, "--stream", "h")
    _, out, _ = run(capsys, "events", "ls", "--store", url, "--type", "Ceasefire")
    assert out.splitlines()[0].split()[:3] == ["position", "stream", "version"]
    assert [row.split()[:5] for row in out.splitlines()[1:]] == [
        ["1", "h", "1", "2020-11-10", "Ceasefire"]
    ]
    _, out, err = run(capsys, "events", "ls", "--store", url, "--limit", "2")
    assert [row.split()[0] for row in out.splitlines()[1:]] == ["0", "1"]
    assert "first 2 shown" in err


def test_verify_exits_0_on_an_intact_store_and_names_the_first_bad_position(capsys, url, history):
    run(capsys, "events", "append", str(history), "--store", url, "--stream", "h")
    code, out, _ = run(capsys, "events", "verify", "--store", url)
    assert (code, out) == (
        0,
        f"{url}: ok, 3 records; hash chain intact, every record a valid event\n",
    )
    with sqlite3.connect(url[len("sqlite:///") :]) as db:
        db.execute("UPDATE events SET payload = replace(payload, '1960', '1961')")
    code, out, _ = run(capsys, "events", "verify", "--store", url)
    assert code == 1
    assert out == (
        f"{url}: record at position 2: its hash does not match it and the record before it\n"
    )


def test_export_writes_lines_that_append_reads_back_as_the_same_events(
    capsys, url, history, tmp_path
):
    run(capsys, "events", "append", str(history), "--store", url, "--stream", "h")
    code, out, _ = run(capsys, "events", "export", "--store", url)
    assert code == 0
    assert [json.loads(line) for line in out.splitlines()] == [
        dict(sorted(line.items())) for line in HISTORY
    ]
    copy = tmp_path / "all.jsonl"
    copy.write_text(out, encoding="utf-8")
    other = f"sqlite:///{tmp_path / 'copy.db'}"
    run(capsys, "events", "append", str(copy), "--store", other, "--stream", "h")
    with open_store(url) as a, open_store(other) as b:
        assert [r.payload for r in a.read_all()] == [r.payload for r in b.read_all()]


def test_export_records_gives_whole_records(capsys, url, history):
    run(capsys, "events", "append", str(history), "--store", url, "--stream", "h")
    _, out, _ = run(capsys, "events", "export", "--store", url, "--records", "--type", "Ceasefire")
    (record,) = [json.loads(line) for line in out.splitlines()]
    assert (record["position"], record["stream"], record["version"]) == (1, "h", 1)
    assert record["payload"]["mediator"] == "RUS" and len(record["hash"]) == 64


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["events", "ls", "--store", "bogus://x"], "cannot open store 'bogus://x'"),
        (["events", "verify", "--store", "sqlite:///no/such.db"], "no store at sqlite:///no/such"),
        (
            ["events", "append", "missing.jsonl", "--store", "memory://", "--stream", "h"],
            "missing.jsonl: cannot read",
        ),
    ],
)
def test_bad_arguments_are_one_line_and_exit_2(capsys, argv, message):
    code, out, err = run(capsys, *argv)
    assert (code, out) == (2, "")
    assert err.startswith("diplosim: error: ") and message in err and err.count("\n") == 1


def test_the_command_runs_as_a_module_with_no_traceback(tmp_path, history):
    url = f"sqlite:///{tmp_path / 'nk.db'}"
    command = [sys.executable, "-m", "simulator", "events"]
    done = subprocess.run(
        [*command, "append", str(history), "--store", url, "--stream", "h"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    done = subprocess.run([*command, "verify", "--store", url], capture_output=True, text=True)
    assert done.returncode == 0 and "ok, 3 records" in done.stdout
    with open_store(url) as store:
        assert isinstance(next(store.read("h")).event, events.Offensive)
