"""A throwaway PostgreSQL server for the tests: one per test session, on 127.0.0.1, then deleted.

The server binaries are found from `$DIPLOSIM_PG_BIN`, `pg_config --bindir` or
/usr/lib/postgresql/<n>/bin. PostgreSQL refuses to run as root, so under root the server runs
as the `postgres` user. Without the binaries the PostgreSQL tests are skipped, except in CI
(`CI=true`), where they fail: CI must test the backend for real.

Fixtures: `pg_server` (the running server), `pg_url` (a fresh, empty schema per test, as a
store URL) and `pg_url_factory` (call it for as many fresh URLs as needed).
"""

from __future__ import annotations

import glob
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path
from urllib.parse import quote

import pytest

HOW_TO_RUN = (
    "PostgreSQL tests need the PostgreSQL server binaries (initdb, pg_ctl): "
    "`apt-get install postgresql` (or set DIPLOSIM_PG_BIN to their directory) and run "
    "`python -m pytest` again; they are required when CI=true"
)
DATABASE = "diplosim"


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def find_bindir() -> Path | None:
    """The directory holding initdb and pg_ctl, or None."""
    candidates = []
    if os.environ.get("DIPLOSIM_PG_BIN"):
        candidates.append(os.environ["DIPLOSIM_PG_BIN"])
    if shutil.which("pg_config"):
        out = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True)
        candidates.append(out.stdout.strip())
    versions = glob.glob("/usr/lib/postgresql/*/bin")
    candidates += sorted(versions, key=lambda p: int(Path(p).parent.name), reverse=True)
    if shutil.which("initdb"):
        candidates.append(str(Path(shutil.which("initdb")).parent))
    for candidate in candidates:
        if (
            candidate
            and (Path(candidate) / "initdb").exists()
            and (Path(candidate) / "pg_ctl").exists()
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
        root_user = os.geteuid() == 0
        # Under root the server's user must reach the directory: /tmp, not a private $TMPDIR.
        where = "/tmp" if root_user and os.path.isdir("/tmp") else None
        self.root = Path(tempfile.mkdtemp(prefix="diplosim-pg-", dir=where))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self.port = _free_port()
        self._as_user: list[str] = []
        if root_user:
            try:
                account = pwd.getpwnam("postgres")
            except KeyError:
                raise RuntimeError(
                    "running as root, and there is no `postgres` user to run the server as "
                    "(PostgreSQL refuses root): create one with `useradd --system postgres`"
                ) from None
            os.chown(self.root, account.pw_uid, account.pw_gid)
            self._as_user = ["runuser", "-u", "postgres", "--"]
        self.user = "postgres"

    def _run(self, *args: str) -> None:
        done = subprocess.run(
            [*self._as_user, *args], capture_output=True, text=True, cwd=self.root
        )
        if done.returncode != 0:
            log = self.log.read_text() if self.log.exists() else ""
            raise RuntimeError(f"{' '.join(args[:2])} failed:\n{done.stdout}{done.stderr}{log}")

    def start(self) -> None:
        self._run(
            str(self.bindir / "initdb"), "-D", str(self.data), "-U", self.user, "-A", "trust",
            "-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions",
        )  # fmt: skip
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.root} "
            "-c max_connections=60 -c shared_buffers=64MB"
            # A throwaway server never survives a machine crash anyway: skip the disk flushes
            # (the tests kill clients, never the server, so what they check is unaffected).
            " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        self._run(
            str(self.bindir / "pg_ctl"), "-D", str(self.data), "-l", str(self.log),
            "-o", options, "-w", "-t", "60", "start",
        )  # fmt: skip
        import psycopg

        with psycopg.connect(self.url(database="postgres"), autocommit=True) as admin:
            admin.execute(f"CREATE DATABASE {DATABASE}")

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop")
        shutil.rmtree(self.root, ignore_errors=True)

    def url(self, options: str = "", database: str = DATABASE) -> str:
        """The URL of the test database, with libpq `options` (e.g. `-csearch_path=s1`)."""
        url = f"postgresql://{self.user}@127.0.0.1:{self.port}/{database}"
        return f"{url}?options={quote(options)}" if options else url


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
    server = Server(require_bindir())
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
