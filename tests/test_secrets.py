"""No credential in anything the command line prints: every command that opens a store, given
a PostgreSQL URL with a password (also one with `#`, `?`, `/` and `@` not percent-encoded, and
an `sslpassword`), on the command line or in $DIPLOSIM_STORE, against a server that is not
there. The URLs' passwords must appear nowhere in stdout or stderr."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulator.cli import main
from simulator.redaction import MASK, redact_url, secrets_in

ROOT = Path(__file__).resolve().parent.parent
SCENARIO = str(ROOT / "scenarios" / "transnistria.toml")
PASSWORDS = ("hunter2-plain", "s3cr#t?x/y", "p@ss:w/rd")
URLS = [f"postgresql://bob:{p}@127.0.0.1:1/events" for p in PASSWORDS] + [
    "postgresql://bob@127.0.0.1:1/events?sslmode=require&sslpassword=key-phrase-9",
    "postgresql://127.0.0.1:1/events?password=query-secret-7&connect_timeout=2",
]
SECRETS = (*PASSWORDS, "key-phrase-9", "query-secret-7")


def commands(url: str, tmp_path: Path) -> list[list[str]]:
    events = tmp_path / "events.jsonl"
    events.write_text('{"type": "Ceasefire", "occurred_at": "2020-11-10", "parties": ["A"]}\n')
    gdelt = tmp_path / "rows.tsv"
    gdelt.write_text("")
    store = ["--store", url]
    return [
        ["events", "ls", *store, "--stream", "x"],
        ["events", "append", str(events), *store, "--stream", "x"],
        ["events", "verify", *store],
        ["events", "export", *store],
        ["run", SCENARIO, *store],
        ["run", SCENARIO, "--runs", "2", "--workers", "1", *store],
        ["replay", SCENARIO, *store],
        ["relations", *store, "--stream", "x", "--pair", "MDA,PMR"],
        ["import", str(gdelt), "--format", "gdelt", *store, "--stream", "x"],
        ["compare", SCENARIO, "--runs", "2", "--workers", "1", *store],
    ]


def assert_clean(text: str) -> None:
    for secret in SECRETS:
        assert secret not in text, f"{secret!r} printed: {text}"


@pytest.mark.parametrize("url", URLS)
def test_no_command_prints_a_password_given_on_the_command_line(url, tmp_path, capsys):
    for argv in commands(url, tmp_path):
        code = main(argv)
        out, err = capsys.readouterr()
        assert code == 2, (argv, out, err)
        assert_clean(out + err)
        assert err.count("\n") == 1 and "Traceback" not in err, err


def test_no_command_prints_the_password_of_the_store_in_the_environment(
    tmp_path, capsys, monkeypatch
):
    monkeypatch.setenv("DIPLOSIM_STORE", URLS[1])
    for argv in (["events", "ls", "--stream", "x"], ["events", "verify"]):
        assert main(argv) == 2
        out, err = capsys.readouterr()
        assert_clean(out + err)


@pytest.mark.parametrize("url", URLS)
def test_a_redacted_url_keeps_everything_but_the_secret(url):
    shown = redact_url(url)
    assert MASK in shown and "127.0.0.1:1/events" in shown
    assert not any(secret in shown for secret in secrets_in(url))
    assert_clean(shown)


def test_a_connection_string_is_redacted_too():
    shown = redact_url("host=db user=bob password='it s me' sslpassword=abc")
    assert "it s me" not in shown and "abc" not in shown and "user=bob" in shown
