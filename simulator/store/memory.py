"""The in-memory backend (`memory://`): a list of rows; for tests, notebooks and short runs."""

from __future__ import annotations

import threading
from itertools import islice

from simulator.errors import ConcurrencyError
from simulator.store.base import GENESIS, EventStore, chain


class MemoryStore(EventStore):
    """Rows in a list, streams indexed by name; a lock makes each append atomic."""

    def __init__(self, url: str = "memory://") -> None:
        self.url = url
        self.shown = url
        self._rows_list: list[tuple] = []
        self._by_stream: dict[str, list[int]] = {}
        self._lock = threading.Lock()

    def _append_rows(self, stream, slices, expected_version, recorded_at):
        with self._lock:
            positions = self._by_stream.get(stream, [])
            if expected_version is not None and expected_version != len(positions):
                raise ConcurrencyError(
                    f"stream {stream!r} is at version {len(positions)}, not {expected_version}"
                )
            previous = self._rows_list[-1][9] if self._rows_list else GENESIS
            rows: list[tuple] = []  # kept aside until the last slice is chained: all or nothing
            for prepared in slices:
                rows += chain(
                    stream, len(positions) + len(rows), len(self._rows_list) + len(rows),
                    previous, prepared, recorded_at, len(rows),
                )  # fmt: skip
                previous = rows[-1][9]
            self._rows_list.extend(rows)
            self._by_stream.setdefault(stream, positions).extend(row[0] for row in rows)
            return [row[0] for row in rows]

    def _page(self, stream, start, types, limit):
        if stream is not None:
            positions = self._by_stream.get(stream, [])[start : start + limit]
            return [self._rows_list[p] for p in positions]
        if types is None:
            return self._rows_list[start : start + limit]
        rows = []
        for row in islice(self._rows_list, start, None):  # no copy of the tail
            if row[3] in types:
                rows.append(row)
                if len(rows) == limit:
                    break
        return rows

    def version(self, stream: str) -> int:
        return len(self._by_stream.get(stream, ()))

    def streams(self) -> list[str]:
        return sorted(self._by_stream)
