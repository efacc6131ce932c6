"""`diplosim events keygen | checkpoint | verify --checkpoint`, `events ls --follow` and
`diplosim watch`, as a user runs them; bad input is one line and exit 2."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from simulator.cli import main
from simulator.projection import Projection, ProjectionError
from simulator.store import open_store
from tests.store_contract import offensive

ROOT = Path(__file__).resolve().parent.parent


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def url(tmp_path):
    url = f"sqlite:///{tmp_path / 'log.db'}"
    with open_store(url) as store:
        store.append("history", [offensive(day) for day in range(1, 6)])
    return url


def test_keygen_checkpoint_and_verify_against_it(capsys, url, tmp_path):
    key = tmp_path / "custodian.key"
    code, out, _ = run(capsys, "events", "keygen", key)
    assert code == 0 and f"{key}.pub" in out
    assert os.stat(key).st_mode & 0o777 == 0o600
    assert b"PRIVATE KEY" not in Path(f"{key}.pub").read_bytes()
    head = tmp_path / "head.json"
    code, out, _ = run(capsys, "events", "checkpoint", "--store", url, "--key", key, "--out", head)
    assert code == 0 and "5 records" in out
    signed = json.loads(head.read_text())
    assert (signed["format"], signed["count"]) == ("diplosim-checkpoint/1", 5)
    assert key.read_text() not in head.read_text() and "PRIVATE" not in out
    with open_store(url) as store:
        store.append("history", [offensive(6)])
    verify = ("events", "verify", "--store", url, "--checkpoint", head, "--public-key")
    code, out, _ = run(capsys, *verify, f"{key}.pub")
    assert code == 0
    assert "extends the checkpoint of 5 records" in out and "1 records after it" in out
    # A key pair is never overwritten.
    code, _, err = run(capsys, "events", "keygen", key)
    assert code == 2 and err.count("\n") == 1 and "already exists" in err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("--checkpoint", "head.json"), "--checkpoint and --public-key go together"),
        (("--exact",), "--exact needs --checkpoint"),
        (("--checkpoint", "missing.json", "--public-key", "k.pub"), "missing.json: cannot read"),
        (("--checkpoint", "bad.json", "--public-key", "k.pub"), "bad.json: not a checkpoint"),
        (("--checkpoint", "head.json", "--public-key", "bad.json"), "bad.json: not a PEM key"),
    ],
)
def test_bad_checkpoint_arguments_are_one_line_and_exit_2(
    capsys, url, tmp_path, monkeypatch, argv, message
):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "bad.json").write_text('{"format": "something else"}')
    run(capsys, "events", "keygen", "k")
    run(capsys, "events", "checkpoint", "--store", url, "--key", "k", "--out", "head.json")
    code, out, err = run(capsys, "events", "verify", "--store", url, *argv)
    assert (code, out) == (2, "") and err.count("\n") == 1 and message in err


def test_a_log_that_fails_verify_is_not_signed(capsys, url, tmp_path):
    import sqlite3

    run(capsys, "events", "keygen", tmp_path / "k")
    with sqlite3.connect(url[len("sqlite:///") :]) as db:
        db.execute("UPDATE events SET payload = replace(payload, '100', '101') WHERE position = 2")
    head = tmp_path / "head.json"
    code, _, err = run(
        capsys, "events", "checkpoint", "--store", url, "--key", tmp_path / "k", "--out", head
    )
    assert code == 2 and "does not verify at 2" in err and not head.exists()


def _diplosim(*argv, **options):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "simulator", *map(str, argv)]
    return subprocess.Popen(command, env=env, text=True, stdout=subprocess.PIPE, **options)


def test_ls_follow_prints_stored_then_new_records_as_they_are_appended(url):
    follower = _diplosim("events", "ls", "--store", url, "--follow", "--from", 3, "--idle", 5)
    assert follower.stdout.readline().split()[:2] == ["3", "history"]  # the catch-up is read
    with open_store(url) as store:
        store.append("other", [offensive(20)])
    # Read on through the same buffered pipe (communicate() would read past what it holds);
    # --idle ends the follower a few seconds after the last record.
    out = follower.stdout.read()
    assert follower.wait(timeout=60) == 0
    assert [line.split()[:2] for line in out.splitlines()] == [["4", "history"], ["5", "other"]]


def test_a_projection_saves_its_position_with_its_state_and_resumes(url, tmp_path):
    path = tmp_path / "count.json"

    def days(state, record):
        return [*state, record.occurred_at]

    with open_store(url) as store:
        first = Projection("days", days, list, path)
        assert first.catch_up(store) == 5 and first.position == 5
        store.append("history", [offensive(9)])
        again = Projection("days", days, list, path)  # a restart: resumes at 5
        assert (again.position, len(again.state)) == (5, 5)
        assert list(again.follow(store, idle_timeout=0)) == [1]
        assert again.state[-1] == "2020-09-09" and json.loads(path.read_text())["position"] == 6
        with pytest.raises(ProjectionError, match="saved by the projection 'days', not 'other'"):
            Projection("other", days, list, path)


def test_watch_reruns_the_forecast_when_recorded_events_arrive(tmp_path):
    scenario = tmp_path / "case.toml"
    scenario.write_text(
        """
[scenario]
name = "Watched"
start = 2020-01-01
horizon = 2020-12-31

[actors]
AAA = { name = "A", kind = "state", troops = 1000 }
BBB = { name = "B", kind = "state", troops = 1000 }

[regions]
R1 = "Region one"

[[events]]
type = "Offensive"
occurred_at = 2020-01-05
attacker = "AAA"
defender = "BBB"
region = "R1"
troops = 100
""",
        encoding="utf-8",
    )
    url = f"sqlite:///{tmp_path / 'live.db'}"
    with open_store(url) as store:
        store.append("history", [offensive(1)])
    state = tmp_path / "watch.json"
    watch = ("watch", scenario, "--store", url, "--runs", 4, "--workers", 1, "--state", state)
    watcher = _diplosim(*watch, "--idle", 8, "--poll", 0.2)
    deadline = time.monotonic() + 60
    while not state.exists() and time.monotonic() < deadline:  # the first fold is saved
        time.sleep(0.1)
    with open_store(url) as store:
        store.append("history", [offensive(2)])
    out, _ = watcher.communicate(timeout=120)
    assert watcher.returncode == 0, out
    headers = [line for line in out.splitlines() if line.startswith("== history")]
    assert headers == [
        "== history: 1 events recorded after the scenario's own (log position 1); "
        "branch 2020-09-02",
        "== history: 2 events recorded after the scenario's own (log position 2); "
        "branch 2020-09-03",
    ]
    assert json.loads(state.read_text())["position"] == 2
