"""`diplosim import` and `diplosim relations` from the command line: summaries, refused rows
on stderr by line, exit codes, the monthly table and the plot."""

from __future__ import annotations

import pytest

from simulator.cli import main
from simulator.store import open_store
from tests.test_ingest import gdelt_line, gdelt_sample, write


@pytest.fixture
def gdelt_file(tmp_path):
    lines = [*gdelt_sample(58), "1\t2\tnot a row"]
    return write(tmp_path, "events.csv", lines)


def test_import_prints_a_summary_and_refused_rows_by_line(tmp_path, gdelt_file, capsys):
    url = f"sqlite:///{tmp_path / 'store.db'}"
    code = main(["import", gdelt_file, "--format", "gdelt", "--store", url, "--stream", "gdelt"])
    out, err = capsys.readouterr()
    assert code == 0
    assert "read 7 rows" in out and "imported 6 events into stream 'gdelt'" in out
    assert "Offensive" in out and "refused 1" in out
    assert f"{gdelt_file}:7: refused: expected 58 columns, got 3" in err
    code = main(["import", gdelt_file, "--format", "gdelt", "--store", url, "--stream", "gdelt"])
    out, _ = capsys.readouterr()
    assert code == 0 and "imported 0 events" in out and "already in the stream 6" in out
    with open_store(url) as store:
        assert store.version("gdelt") == 6


def test_import_with_an_actors_table(tmp_path, gdelt_file, capsys):
    table = tmp_path / "actors.toml"
    table.write_text('[actors]\nNorth = ["AZE"]\n', encoding="utf-8")
    url = f"sqlite:///{tmp_path / 'store.db'}"
    args = ["import", gdelt_file, "--format", "gdelt", "--store", url, "--stream", "g"]
    assert main([*args, "--actors-table", str(table)]) == 0
    with open_store(url) as store:
        assert next(store.events("g")).attacker == "North"


def test_import_filters_count_what_they_skip_and_refuse_a_table_given_as_actors(
    tmp_path, gdelt_file, capsys
):
    url = f"sqlite:///{tmp_path / 'store.db'}"
    args = ["import", gdelt_file, "--format", "gdelt", "--store", url, "--stream", "g"]
    assert main([*args, "--actors", "AZE", "--from", "2020-09-01", "--to", "2020-11-11"]) == 0
    out = capsys.readouterr().out
    assert "imported 2 events" in out and "outside the filters 4" in out
    assert main([*args, "--actors", "actors.toml"]) == 2
    assert "the actors table is --actors-table FILE" in capsys.readouterr().err
    assert main([*args, "--root-codes", "31"]) == 2
    assert "'31' is no CAMEO root code" in capsys.readouterr().err


@pytest.mark.parametrize(
    "trouble, message",
    [
        ("missing file", "cannot read"),
        ("other layout", "3 columns; a GDELT event export"),
        ("bad store", "cannot open store"),
        ("bad actors", "not valid TOML"),
    ],
)
def test_an_unusable_file_format_or_store_exits_2(tmp_path, gdelt_file, capsys, trouble, message):
    path, url, extra = gdelt_file, f"sqlite:///{tmp_path / 's.db'}", []
    if trouble == "missing file":
        path = str(tmp_path / "nope.csv")
    elif trouble == "other layout":
        path = write(tmp_path, "other.csv", ["a\tb\tc"])
    elif trouble == "bad store":
        url = "nosuch://store"
    else:
        bad = tmp_path / "actors.toml"
        bad.write_text("[actors\n", encoding="utf-8")
        extra = ["--actors-table", str(bad)]
    code = main(["import", path, "--format", "gdelt", "--store", url, "--stream", "s", *extra])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("diplosim: error:") and message in err and "Traceback" not in err


def test_relations_prints_a_monthly_table_and_writes_a_plot(tmp_path, gdelt_file, capsys):
    url = f"sqlite:///{tmp_path / 'store.db'}"
    main(["import", gdelt_file, "--format", "gdelt", "--store", url, "--stream", "gdelt"])
    more = write(tmp_path, "more.csv", [
        gdelt_line(GLOBALEVENTID="900", SQLDATE="20201201", Actor1Code="AZE", Actor2Code="ARM",
                   EventCode="057", GoldsteinScale="8"),
    ])  # fmt: skip
    main(["import", more, "--format", "gdelt", "--store", url, "--stream", "other"])
    capsys.readouterr()
    png = tmp_path / "pair.png"
    code = main([
        "relations", "--store", url, "--stream", "gdelt", "--stream", "other",
        "--pair", "AZE,ARM", "--plot", str(png),
    ])  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "relations index AZE,ARM, half-life 180 days"
    assert lines[1].split() == ["month", "gdelt", "other"]
    months = [line.split()[0] for line in lines[2:] if line[:1].isdigit()]
    assert months == ["2020-09", "2020-10", "2020-11", "2020-12"]
    september = lines[2].split()
    assert float(september[1]) == pytest.approx(-10 * 0.5 ** (3 / 180), abs=0.01)
    assert float(september[2]) == 0.0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_relations_refuses_a_bad_pair_or_an_empty_stream(tmp_path, gdelt_file, capsys):
    url = f"sqlite:///{tmp_path / 'store.db'}"
    main(["import", gdelt_file, "--format", "gdelt", "--store", url, "--stream", "gdelt"])
    capsys.readouterr()
    assert main(["relations", "--store", url, "--stream", "gdelt", "--pair", "AZE"]) == 2
    assert "--pair must be two different actor ids" in capsys.readouterr().err
    assert main(["relations", "--store", url, "--stream", "none", "--pair", "A,B"]) == 2
    assert "stream 'none'" in capsys.readouterr().err
    assert main(["relations", "--store", url, "--stream", "gdelt", "--pair", "X,Y"]) == 0
    assert "no events between X and Y" in capsys.readouterr().out


def test_relations_on_a_missing_store_file_creates_nothing(tmp_path, capsys):
    missing = tmp_path / "typo.db"
    code = main(["relations", "--store", f"sqlite:///{missing}", "--stream", "s", "--pair", "A,B"])
    assert code == 2
    assert "does not exist" in capsys.readouterr().err
    assert not missing.exists()
