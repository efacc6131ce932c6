"""`diplosim validate` and `diplosim scenarios`: ok lines, one line per problem, exit codes."""

from __future__ import annotations

from pathlib import Path

from simulator.cli import main

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"
FILES = sorted(str(p) for p in SCENARIOS.glob("*.toml"))

BAD = """\
[scenario]
name = "Bad"
start = 2020-01-01
horizon = 2021-01-01
[actors]
AAA = "Alpha"
[[events]]
type = "Offensiv"
occurred_at = 2020-02-01
[[events]]
type = "Ceasefire"
occurred_at = 2022-02-01
parties = ["AAA", "BBB"]
[dynamix]
"""


def test_every_shipped_scenario_is_ok(capsys):
    assert main(["validate", *FILES]) == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) == len(FILES) >= 8
    assert all(line.startswith("ok ") for line in out)
    assert any("(No offensive in 2023, 143 events, branch 2023-09-19)" in line for line in out)


def test_each_problem_is_one_line_and_the_exit_code_is_2(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text(BAD, encoding="utf-8")
    good = FILES[0]
    assert main(["validate", good, str(bad)]) == 2
    captured = capsys.readouterr()
    assert captured.out.startswith(f"ok {good} (")
    lines = captured.err.splitlines()
    assert lines == [
        f"{bad}:8: events[0].type: unknown event type 'Offensiv' (did you mean 'Offensive'? "
        + lines[0].split("did you mean 'Offensive'? ")[1],
        f"{bad}:14: dynamix: unknown table (did you mean 'dynamics'? "
        + lines[1].split("did you mean 'dynamics'? ")[1],
    ]
    assert "Traceback" not in captured.err


def test_problems_of_meaning_are_listed_together(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    event = 'type = "Offensive"\noccurred_at = 2020-02-01\n'
    event += 'attacker = "AAA"\ndefender = "ZZZ"\nregion = "R"\n'
    text = BAD.replace('type = "Offensiv"\noccurred_at = 2020-02-01\n', event)
    bad.write_text(text.replace("[dynamix]\n", ""), "utf-8")
    assert main(["validate", str(bad)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert [line.split(": ")[0] for line in err] == [f"{bad}:{n}" for n in (11, 12, 15, 16)]
    assert "events[0].defender: 'ZZZ' is not a declared actor" in err[0]
    assert "events[0].region: 'R' is not a declared region" in err[1]
    assert "events[1].occurred_at: 2022-02-01 is outside the scenario" in err[2]
    assert "events[1].parties: 'BBB' is not a declared actor" in err[3]


def test_a_missing_file_and_a_bad_parent_are_errors_not_tracebacks(tmp_path, capsys):
    child = tmp_path / "child.toml"
    child.write_text('extends = "nowhere.toml"\n', encoding="utf-8")
    assert main(["validate", str(tmp_path / "absent.toml"), str(child)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert "absent.toml: cannot read the file" in err[0]
    assert err[1].startswith(f"{child}:1: extends: 'nowhere.toml': ")


def test_the_listing_names_each_scenario_its_branch_changes_and_question(capsys):
    assert main(["scenarios", str(SCENARIOS)]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].split() == ["file", "name", "branch", "extends", "changes"]
    row = next(line for line in out.splitlines() if line.startswith("no_offensive_2023.toml"))
    assert row.split()[1:] == ["No", "offensive", "in", "2023", "2023-09-19", "+record"] + [
        "nagorno_karabakh.toml",
        "6",
    ]
    assert "- no offensive: drop Offensive AZE+NKR 2023-09-19..2023-12-31" in out
    assert "question: What if the peacekeepers had held" in out
    assert out.count("question: ") == len(FILES)


def test_the_listing_of_a_folder_without_scenarios_is_an_error(tmp_path, capsys):
    assert main(["scenarios", str(tmp_path)]) == 2
    assert "no scenario files" in capsys.readouterr().err
