"""A throwaway PostgreSQL server for the tests: one per test session, on 127.0.0.1, then deleted.

The server binaries are found from `$DIPLOSIM_PG_BIN`, `pg_config --bindir`,
/usr/lib/postgresql/<n>/bin or $PATH. PostgreSQL refuses to run as root, so under root the
server runs as the `postgres` user. The server is told to stop when the test process dies, even
by SIGKILL, so an interrupted run leaves no server behind. Without the binaries the
PostgreSQL tests are skipped, except in CI (`CI=true`), where they fail: CI must test the
backend for real.

Fixtures: `pg_server` (the running server), `pg_url` (a fresh, empty schema per test, as a
store URL) and `pg_url_factory` (call it for as many fresh URLs as needed).
"""

from __future__ import annotations

import ctypes
import glob
import itertools
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

import pytest

HOW_TO_RUN = (
    "PostgreSQL tests need the PostgreSQL server binaries (initdb, postgres): "
    "`apt-get install postgresql` (or set DIPLOSIM_PG_BIN to their directory) and run "
    "`python -m pytest` again; they are required when CI=true"
)
DATABASE = "diplosim"
_PR_SET_PDEATHSIG = 1


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def find_bindir() -> Path | None:
    """The directory holding initdb and postgres, or None."""
    candidates = []
    if os.environ.get("DIPLOSIM_PG_BIN"):
        candidates.append(os.environ["DIPLOSIM_PG_BIN"])
    if shutil.which("pg_config"):
        out = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True)
        candidates.append(out.stdout.strip())
    versions = glob.glob("/usr/lib/postgresql/*/bin")
    newest_first = sorted(versions, key=lambda p: [int(n) for n in re.findall(r"\d+", p)])[::-1]
    candidates += newest_first
    if shutil.which("initdb"):
        candidates.append(str(Path(shutil.which("initdb")).parent))
    for candidate in candidates:
        if (
            candidate
            and (Path(candidate) / "initdb").exists()
            and (Path(candidate) / "postgres").exists()
        ):
            return Path(candidate)
    return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """A running throwaway server: `url(dbname)`, `log` (the server's log file), `stop()`."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.account = None
        if os.geteuid() == 0:
            try:
                self.account = pwd.getpwnam("postgres")
            except KeyError:
                raise RuntimeError(
                    "running as root, and there is no `postgres` user to run the server as "
                    "(PostgreSQL refuses root): create one with `useradd --system postgres`"
                ) from None
        # Under root the server's user must reach the directory: /tmp, not a private $TMPDIR.
        where = "/tmp" if self.account and os.path.isdir("/tmp") else None
        self.root = Path(tempfile.mkdtemp(prefix="diplosim-pg-", dir=where))
        if self.account:
            os.chown(self.root, self.account.pw_uid, self.account.pw_gid)
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self.port = _free_port()
        self.user = "postgres"
        self._process: subprocess.Popen | None = None

    def _as_server_user(self) -> None:
        # Runs in the child between fork and exec: become `postgres` under root, then ask to be
        # sent SIGQUIT (immediate shutdown) when the test process dies, however it dies, so a
        # killed test run leaves no server behind. (A change of user clears that request, so
        # it comes last.)
        if self.account:
            os.initgroups(self.account.pw_name, self.account.pw_gid)
            os.setgid(self.account.pw_gid)
            os.setuid(self.account.pw_uid)
        if sys.platform == "linux":
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGQUIT)

    def start(self) -> None:
        done = subprocess.run(
            [
                str(self.bindir / "initdb"), "-D", str(self.data), "-U", self.user, "-A", "trust",
                "-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions",
            ],
            capture_output=True, text=True, cwd=self.root, preexec_fn=self._as_server_user,
        )  # fmt: skip
        if done.returncode != 0:
            raise RuntimeError(f"initdb failed:\n{done.stdout}{done.stderr}")
        with open(self.log, "wb") as log:
            self._process = subprocess.Popen(
                [
                    str(self.bindir / "postgres"), "-D", str(self.data), "-p", str(self.port),
                    "-c", "listen_addresses=127.0.0.1", "-k", str(self.root),
                    "-c", "max_connections=60", "-c", "shared_buffers=64MB",
                    # A throwaway server never survives a machine crash anyway: no disk flushes
                    # (the tests kill clients, never the server, so what they check holds).
                    "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
                ],
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=self.root,
                preexec_fn=self._as_server_user,
            )  # fmt: skip
        import psycopg

        deadline = time.monotonic() + 60
        while True:
            try:
                with psycopg.connect(self.url(database="postgres"), autocommit=True) as admin:
                    admin.execute(f"CREATE DATABASE {DATABASE}")
                return
            except psycopg.OperationalError:
                if self._process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"server did not start:\n{self.log.read_text()}") from None
                time.sleep(0.05)

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.send_signal(signal.SIGQUIT)
            self._process.wait(30)
        shutil.rmtree(self.root, ignore_errors=True)

    def url(self, options: str = "", database: str = DATABASE) -> str:
        """The URL of the test database, with libpq `options` (e.g. `-csearch_path=s1`)."""
        url = f"postgresql://{self.user}@127.0.0.1:{self.port}/{database}"
        return f"{url}?options={quote(options)}" if options else url


def _alive(pid_file: Path) -> bool:
    try:
        os.kill(int(pid_file.read_text().split()[0]), 0)
    except (OSError, ValueError, IndexError):
        return False
    return True


def sweep(older_than: float = 15 * 60) -> None:
    """Delete what killed test runs left in the temporary directory: their server stopped with
    them, but nothing was left to remove its files. A directory whose server still runs, or
    younger than *older_than* seconds (a run starting now), is left alone."""
    for where in {tempfile.gettempdir(), "/tmp"}:
        for root in Path(where).glob("diplosim-pg-*"):
            try:
                young = time.time() - root.stat().st_mtime < older_than
            except OSError:
                continue
            if not young and not _alive(root / "data" / "postmaster.pid"):
                shutil.rmtree(root, ignore_errors=True)


def require_bindir() -> Path:
    """The server binaries' directory; without them skip the test, or fail it in CI."""
    bindir = find_bindir()
    if bindir is None:
        if _in_ci():
            pytest.fail(f"CI=true and no PostgreSQL server found. {HOW_TO_RUN}")
        pytest.skip(HOW_TO_RUN)
    return bindir


@pytest.fixture(scope="session")
def pg_server():
    """The session's PostgreSQL server (skipped when there is none, failed in CI)."""
    bindir = require_bindir()
    sweep()
    server = Server(bindir)
    try:
        server.start()
    except Exception:
        server.stop()
        raise
    yield server
    server.stop()


_schemas = itertools.count()


@pytest.fixture
def pg_url_factory(pg_server):
    """Call it for the URL of a new, empty schema: each call is a store of its own."""
    import psycopg

    admin = psycopg.connect(pg_server.url(), autocommit=True)

    def new_url(**settings: str) -> str:
        name = f"t{os.getpid()}_{next(_schemas)}"
        admin.execute(f"CREATE SCHEMA {name}")  # a generated identifier, never user input
        options = " ".join([f"-csearch_path={name}"] + [f"-c{k}={v}" for k, v in settings.items()])
        return pg_server.url(options)

    yield new_url
    admin.close()


@pytest.fixture
def pg_url(pg_url_factory):
    """The URL of a fresh, empty PostgreSQL store."""
    return pg_url_factory()
