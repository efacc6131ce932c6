"""Event stores: `open_store(url)` picks the backend from the URL's scheme."""

from __future__ import annotations

import os

from simulator.errors import StoreError
from simulator.redaction import redact_url
from simulator.store.base import EventStore, Record, StreamWrite, Verification

DEFAULT_URL = "sqlite:///diplosim.db"

__all__ = ["DEFAULT_URL", "EventStore", "Record", "StreamWrite", "Verification", "open_store"]


def open_store(url: str | None = None, create: bool = True) -> EventStore:
    """Open the store at *url*: `memory://`, `sqlite:///relative.db`, `sqlite:////abs.db`,
    `postgresql://user@host/db`. Without a URL: `$DIPLOSIM_STORE`, else `sqlite:///diplosim.db`.

    With `create=False` (commands that only read) a SQLite file that does not exist is an
    error rather than a new empty store, so a mistyped path is reported, not created.
    """
    url = url or os.environ.get("DIPLOSIM_STORE") or DEFAULT_URL
    if url == "memory://":
        from simulator.store.memory import MemoryStore

        return MemoryStore()
    if url.startswith("sqlite:///") and len(url) > len("sqlite:///"):
        from simulator.store.sqlite import SQLiteStore

        path = url[len("sqlite:///") :]
        if not create and not os.path.isfile(path):
            raise StoreError(f"no store at {url} (file {path} does not exist)")  # no credential
        return SQLiteStore(path, url, create=create)
    if url.startswith(("postgresql://", "postgres://")):
        try:
            from simulator.store.postgres import PostgresStore
        except ImportError as exc:
            raise StoreError(
                f"cannot open store {redact_url(url)}: PostgreSQL support is not installed "
                f"(pip install 'diplosim[postgres]'): {exc}"
            ) from None
        return PostgresStore(url)
    raise StoreError(
        f"cannot open store {redact_url(url)!r}: expected memory://, sqlite:///path.db or "
        "postgresql://..."
    )
