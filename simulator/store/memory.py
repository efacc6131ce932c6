"""The in-memory backend (`memory://`): a list of rows; for tests, notebooks and short runs."""

from __future__ import annotations

import itertools
import threading

from simulator.store.base import EventStore, write_batches


class MemoryStore(EventStore):
    """Rows in a list, streams and ids indexed by name; a lock makes each append atomic."""

    def __init__(self, url: str = "memory://") -> None:
        self.url = url
        self.shown = url
        self._rows_list: list[tuple] = []
        self._by_stream: dict[str, list[int]] = {}
        self._ids: dict[str, dict[str, int]] = {}  # stream -> event id -> position
        self._lock = threading.Lock()

    def _append_batches(self, batches, recorded_at):
        with self._lock:
            log = self._rows_list
            staged: list[tuple] = []  # kept aside until the last batch is written: all or none
            written = write_batches(
                batches,
                log[-1:-3:-1],
                recorded_at,
                self.version,
                self._existing,
                lambda slices, metadata: staged.extend(
                    (*row[:10], metadata, row[10]) for rows in slices for row in rows
                ),
            )
            log.extend(staged)
            for row in staged:
                self._by_stream.setdefault(row[1], []).append(row[0])
                self._ids.setdefault(row[1], {})[row[11]] = row[0]
            return written

    def _existing(self, stream: str, ids: list[str]) -> dict[str, int]:
        known = self._ids.get(stream, {})
        return {event_id: known[event_id] for event_id in ids if event_id in known}

    def _page(self, stream, start, types, limit):
        if stream is not None:
            positions = self._by_stream.get(stream, [])[start : start + limit]
            return [self._rows_list[p] for p in positions]
        if types is None:
            return self._rows_list[start : start + limit]
        rows = []
        for row in itertools.islice(self._rows_list, start, None):  # no copy of the tail
            if row[3] in types:
                rows.append(row)
                if len(rows) == limit:
                    break
        return rows

    def version(self, stream: str) -> int:
        return len(self._by_stream.get(stream, ()))

    def streams(self) -> list[str]:
        return sorted(self._by_stream)
