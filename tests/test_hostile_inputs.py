"""Files that are not regular files are refused before they are opened: a FIFO with no writer
(which would hang), a device (which would fill memory), a directory. One line naming the file,
exit 2, no traceback, no hang; every command and every kind of file a user names."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def hostile(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("hostile")
    fifo = folder / "pipe"
    os.mkfifo(fifo)
    extends = folder / "extends_fifo.toml"
    extends.write_text(f'extends = "{fifo}"\n[scenario]\nname = "x"\n', "utf-8")
    uses = folder / "fit_fifo.toml"
    uses.write_text(
        f'extends = "{ROOT / "scenarios" / "transnistria.toml"}"\n[dynamics]\nfrom = "{fifo}"\n',
        "utf-8",
    )
    return {
        "fifo": fifo,
        "device": Path("/dev/zero"),
        "folder": folder,
        "extends": extends,
        "fit": uses,
    }


CASES = [
    (["validate", "{fifo}"], "{fifo}", "FIFO"),
    (["validate", "{device}"], "{device}", "character device"),
    (["validate", "{folder}"], "{folder}", "directory"),
    (["validate", "{extends}"], "{extends}:1: extends", "FIFO"),
    (["validate", "{fit}", "--extends-root", str(ROOT)], "dynamics.from", "FIFO"),
    (["run", "{fifo}"], "{fifo}", "FIFO"),
    (["events", "append", "{fifo}", "--store", "memory://", "--stream", "x"], "{fifo}", "FIFO"),
    (
        ["events", "append", "{device}", "--store", "memory://", "--stream", "x"],
        "{device}",
        "device",
    ),
    (
        ["import", "{device}", "--format", "gdelt", "--store", "memory://", "--stream", "x"],
        "{device}",
        "device",
    ),
    (
        ["import", "{fifo}", "--format", "acled", "--store", "memory://", "--stream", "x"],
        "{fifo}",
        "FIFO",
    ),
    (
        [
            "import",
            "{folder}",
            "--format",
            "gdelt",
            "--store",
            "memory://",
            "--stream",
            "x",
            "--actors-table",
            "{fifo}",
        ],
        "{fifo}",
        "FIFO",
    ),
]


@pytest.mark.parametrize(("argv", "names", "what"), CASES)
def test_a_file_that_is_not_a_regular_file_is_refused_at_once(hostile, argv, names, what):
    fill = {k: str(v) for k, v in hostile.items()}
    command = [sys.executable, "-m", "simulator", *(a.format(**fill) for a in argv)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert done.returncode == 2, done
    lines = (done.stdout + done.stderr).strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in lines[0], lines
    assert names.format(**fill) in lines[0] and what in lines[0], lines[0]


OPTIONS = [
    (["run", "scenarios/transnistria.toml", "--runs", "1000000000000"], "--runs", "1,000,000"),
    (
        ["run", "scenarios/transnistria.toml", "--runs", "2", "--dask", "not a url"],
        "--dask",
        "tcp://",
    ),
    (["replay", "scenarios/transnistria.toml", "--plot", "out.xyz"], "--plot", ".png"),
]


@pytest.mark.parametrize(("argv", "option", "what"), OPTIONS)
def test_an_option_value_is_checked_before_any_work(argv, option, what):
    command = [sys.executable, "-m", "simulator", *argv]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert done.returncode == 2, done
    assert "Traceback" not in done.stderr and not done.stdout.strip(), done
    last = done.stderr.strip().splitlines()[-1]
    assert option in last and what in last, last


def test_data_text_is_shown_escaped_on_a_terminal_and_not_as_markup():
    from rich.console import Console

    from simulator.terminal import cell, safe

    assert safe("a\x1b[2Jb\u202etxt") == "a\\u001b[2Jb\\u202etxt"
    console = Console(record=True, width=80)
    console.print(cell("[/] [bold]name[/bold]"))
    assert "[/] [bold]name[/bold]" in console.export_text()


def test_a_name_that_a_spreadsheet_would_run_is_written_inert(tmp_path):
    import pandas as pd

    from simulator.report import _save_csv

    _save_csv(
        pd.DataFrame({"scenario": ["=HYPERLINK(1)", "plain"], "n": [-1, 2]}), tmp_path / "r.csv"
    )
    again = pd.read_csv(tmp_path / "r.csv")
    assert again["scenario"].tolist() == ["'=HYPERLINK(1)", "plain"]
    assert again["n"].tolist() == [-1, 2]


def test_json_lines_that_nest_deep_or_carry_huge_numbers_are_refused_by_line(tmp_path, capsys):
    from simulator.cli import main

    event = '{"type": "Offensive", "occurred_at": "2020-01-01", "attacker": "A", "defender": "B", '
    lines = [
        "[" * 60_000 + "]" * 60_000,
        event + '"region": "R", "casualties": ' + "9" * 400 + "}",
        event + '"region": "R", "casualties": ' + "9" * 5_000 + "}",
    ]
    path = tmp_path / "hostile.jsonl"
    path.write_text("\n".join(lines) + "\n")
    assert main(["events", "append", str(path), "--store", "memory://", "--stream", "x"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert f"{path}:1: nested too deeply" in err
    assert f"{path}:2: Offensive: 'casualties' must be a whole number from 0 to 1e+11" in err
    assert f"{path}:3: not a JSON object" in err


@pytest.mark.parametrize("bad", ["\u00b2", "9" * 5_000])
def test_a_data_row_with_a_unicode_digit_or_a_huge_id_is_refused_and_the_rest_imported(bad):
    from simulator.ingest.mapping import digits, numeric_key

    assert not digits(bad)
    assert numeric_key(bad) == bad  # kept as text, never passed to int()
    assert digits("123") and numeric_key("123") == 123


def test_extends_naming_a_file_that_is_no_scenario_says_so_on_the_line_naming_it(tmp_path):
    from simulator.errors import ScenarioError
    from simulator.scenario import load_scenario

    (tmp_path / "notes.txt").write_text("root:x:0:0:root:/root:/bin/bash\n", "utf-8")
    path = tmp_path / "child.toml"
    path.write_text('extends = "notes.txt"\n[scenario]\nname = "x"\n', "utf-8")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    message = str(caught.value)
    assert message.startswith(f"{path}:1: extends: 'notes.txt' is not a scenario file")
    assert len(message.splitlines()) == 1


@pytest.mark.parametrize("named", ["/etc/passwd", "../outside.toml", "inner/../../outside.toml"])
def test_extends_out_of_the_scenario_folder_is_refused_on_its_line_unread(tmp_path, named):
    from simulator.errors import ScenarioError
    from simulator.scenario import load_scenario

    (tmp_path / "outside.toml").write_bytes((ROOT / "scenarios" / "kosovo.toml").read_bytes())
    (tmp_path / "fits").mkdir()
    fit = ROOT / "scenarios" / "fits" / "recorded.toml"
    (tmp_path / "fits" / "recorded.toml").write_bytes(fit.read_bytes())
    folder = tmp_path / "here"
    (folder / "inner").mkdir(parents=True)
    path = folder / "child.toml"
    path.write_text(f'# a child\n\n\nextends = "{named}"\n', "utf-8")
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    message = str(caught.value)
    assert message.startswith(f"{path}:4: extends: {named!r} is outside {folder}")
    assert "--extends-root" in message and len(message.splitlines()) == 1
    if not named.startswith("/"):  # the user names the folder: then it is read
        assert load_scenario(path, extends_root=tmp_path).name == "Kosovo 1998-2024"


def test_extends_through_a_link_out_of_the_folder_is_refused(tmp_path):
    from simulator.errors import ScenarioError
    from simulator.scenario import load_scenario

    folder = tmp_path / "here"
    folder.mkdir()
    (folder / "parent.toml").symlink_to(ROOT / "scenarios" / "kosovo.toml")
    path = folder / "child.toml"
    path.write_text('extends = "parent.toml"\n', "utf-8")
    with pytest.raises(ScenarioError, match="is outside"):
        load_scenario(path)


def _diplosim(argv: list[str]) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "simulator", *argv]
    return subprocess.run(command, capture_output=True, text=True, timeout=60, cwd=ROOT)


def test_the_command_line_names_a_folder_extends_may_reach(tmp_path):
    path = tmp_path / "child.toml"
    path.write_text(f'extends = "{ROOT / "scenarios" / "kosovo.toml"}"\n', "utf-8")
    refused = _diplosim(["validate", str(path)])
    assert refused.returncode == 2 and "is outside" in refused.stderr
    assert "Traceback" not in refused.stderr and len(refused.stderr.splitlines()) == 1
    allowed = _diplosim(["validate", str(path), "--extends-root", str(ROOT / "scenarios")])
    assert allowed.returncode == 0, allowed.stderr


@pytest.mark.parametrize(
    "command",
    [
        ["events", "verify"],
        ["events", "ls"],
        ["events", "append", "{jsonl}", "--stream", "x"],
        ["run", "scenarios/transnistria.toml"],
    ],
)
def test_another_application_s_sqlite_file_is_refused_and_left_as_it_was(tmp_path, command):
    import hashlib
    import sqlite3

    path = tmp_path / "theirs.db"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE customers (name TEXT)")
        db.execute("INSERT INTO customers VALUES ('ada')")
    db.close()
    before = hashlib.sha256(path.read_bytes()).hexdigest()
    jsonl = tmp_path / "e.jsonl"
    jsonl.write_text('{"type": "Ceasefire", "occurred_at": "2020-11-10", "parties": ["A"]}\n')
    argv = [a.format(jsonl=jsonl) for a in command] + ["--store", f"sqlite:///{path}"]
    done = subprocess.run(
        [sys.executable, "-m", "simulator", *argv],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert done.returncode == 2, done
    assert "is not a diplosim store" in done.stderr and "Traceback" not in done.stderr
    assert hashlib.sha256(path.read_bytes()).hexdigest() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["e.jsonl", "theirs.db"]  # no -wal


def test_an_event_date_outside_the_documented_range_is_refused():
    from datetime import date

    from simulator import events as ev
    from simulator.errors import EventError

    with pytest.raises(EventError, match="from 1800-01-01 to 2200-12-31"):
        ev.Ceasefire(occurred_at=date(9999, 1, 1), parties=("A",))
    assert ev.Ceasefire(occurred_at=date(1800, 1, 1), parties=("A",)).occurred_at.year == 1800


def test_a_long_listing_is_printed_a_block_at_a_time_whole_and_in_order(monkeypatch, capsys):
    from simulator.cli import events as command

    monkeypatch.setattr(command, "BLOCK", 3)
    pulled = []

    def rows():
        for i in range(10):
            pulled.append(i)
            yield (str(i), "x" * i)

    printed_before_end = []
    real_print = print

    def spy(*args, **kwargs):
        printed_before_end.append(len(pulled))
        real_print(*args, **kwargs)

    monkeypatch.setattr("builtins.print", spy)
    command._print_table(("n", "text"), rows())
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["n", "text"] and len(lines) == 11
    assert [line.split()[0] for line in lines[1:]] == [str(i) for i in range(10)]
    assert printed_before_end[0] <= 4  # the first rows were printed before the rest was read


def _event_line(day: int) -> str:
    fields = {"type": "Offensive", "occurred_at": f"2020-01-{1 + day % 28:02d}"}
    fields |= {"attacker": "AAA", "defender": "BBB", "region": "R", "troops": day}
    return json.dumps(fields)


def test_a_line_longer_than_the_limit_is_refused_by_number_and_never_held(tmp_path, capsys):
    from simulator.cli import main

    path = tmp_path / "long.jsonl"
    text = "x" * (3 * 2**20)
    long_line = '{"type": "Statement", "occurred_at": "2020-01-01", "speaker": "AAA", '
    long_line += f'"kind": "comment", "text": "{text}"}}'
    path.write_text(f"{_event_line(1)}\n{long_line}\n{_event_line(2)}\n", "utf-8")
    url = f"sqlite:///{tmp_path / 's.db'}"
    assert main(["events", "append", str(path), "--store", url, "--stream", "h"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[0] == f"{path}:2: longer than 1,048,576 bytes (one event a line expected)"
    assert err[-1] == "diplosim: error: nothing appended (1 bad lines)"
    argv = ["events", "append", str(path), "--store", url, "--stream", "h", "--max-size", "4"]
    assert main(argv) == 0
    assert "appended 3 events" in capsys.readouterr().out


def test_a_scenario_past_the_size_limit_names_the_option_that_raises_it(tmp_path):
    scenario = ROOT / "scenarios" / "transnistria.toml"
    refused = _diplosim(["validate", str(scenario), "--max-size", "0.01"])
    assert refused.returncode == 2 and len(refused.stderr.splitlines()) == 1
    assert "larger than 10,485 bytes" in refused.stderr and "--max-size MIB" in refused.stderr
    assert _diplosim(["validate", str(scenario), "--max-size", "8"]).returncode == 0
    nonsense = _diplosim(["validate", str(scenario), "--max-size", "nan"])
    assert nonsense.returncode == 2 and "expected a size in MiB" in nonsense.stderr


def test_appending_a_long_file_holds_one_slice_not_the_file(tmp_path):
    """Peak memory of `events append` grows by a little a line (the position it returns, and
    the 64-bit key that counts identical events for their ids: about 150 bytes), not by the
    events: it was 889 bytes a line (889 MB for a million) when the file was held."""
    import tracemalloc

    from simulator.cli import main

    peaks = []
    for count in (10_000, 50_000):
        path = tmp_path / f"{count}.jsonl"
        path.write_text("".join(_event_line(i) + "\n" for i in range(count)), "utf-8")
        url = f"sqlite:///{tmp_path / f'{count}.db'}"
        tracemalloc.start()
        assert main(["events", "append", str(path), "--store", url, "--stream", "h"]) == 0
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
    per_line = (peaks[1] - peaks[0]) / 40_000
    assert per_line < 200, peaks


@pytest.mark.parametrize("runs", ["1000000000000", str(2**63), str(2**64 + 1)])
def test_an_ensemble_size_past_the_maximum_is_refused_on_its_line_before_anything_runs(
    tmp_path, runs
):
    path = tmp_path / "big.toml"
    path.write_text(f'extends = "transnistria.toml"\n\n[ensemble]\nruns = {runs}\n', "utf-8")
    (tmp_path / "transnistria.toml").write_text(
        (ROOT / "scenarios" / "transnistria.toml")
        .read_text("utf-8")
        .replace(
            'from = "fits/recorded.toml"', f'from = "{ROOT / "scenarios/fits/recorded.toml"}"'
        ),
        "utf-8",
    )
    done = _diplosim(["run", str(path)])
    assert done.returncode == 2 and not done.stdout, done
    (line,) = done.stderr.splitlines()
    assert line.startswith(f"diplosim: error: {path}:4: ensemble.runs") and "1,000,000" in line


@pytest.mark.parametrize(
    ("raw", "what"),
    [
        (b'[actors]\nAZE = ["Azerbaijan", "\xff"]\n', "not UTF-8"),
        (b"x = " + b"[" * 1000 + b"]" * 1000 + b"\n", "nested too deeply"),
    ],
)
def test_an_actors_table_that_is_not_utf8_or_nests_deep_is_one_line(tmp_path, raw, what):
    path = tmp_path / "actors.toml"
    path.write_bytes(raw)
    data = tmp_path / "e.tsv"
    data.write_text("", "utf-8")
    argv = ["import", str(data), "--format", "gdelt", "--store", "memory://", "--stream", "x"]
    done = _diplosim([*argv, "--actors-table", str(path)])
    assert done.returncode == 2 and "Traceback" not in done.stderr, done
    (line,) = done.stderr.splitlines()
    assert str(path) in line and what in line, line


def test_a_pool_starts_no_more_processes_than_it_has_runs_to_share(monkeypatch):
    from simulator import ensemble
    from simulator.scenario import load_scenario

    started = []
    real = ensemble._pool_chunks

    def counting(job, bounds, cores, method):
        started.append(cores)
        return real(job, bounds, cores, method)

    monkeypatch.setattr(ensemble, "_pool_chunks", counting)
    scenario = load_scenario(ROOT / "scenarios" / "transnistria.toml")
    ensemble.run_ensemble(scenario, runs=3, seed=1, workers=64)
    assert started and max(started) <= 3
