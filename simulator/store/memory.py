"""The in-memory backend (`memory://`): a list of rows; for tests, notebooks and short runs."""

from __future__ import annotations

import itertools
import threading

from simulator.store.base import GENESIS, EventStore, write_batches


class MemoryStore(EventStore):
    """Rows in a list, streams indexed by name; a lock makes each append atomic."""

    def __init__(self, url: str = "memory://") -> None:
        self.url = url
        self.shown = url
        self._rows_list: list[tuple] = []
        self._by_stream: dict[str, list[int]] = {}
        self._lock = threading.Lock()

    def _append_batches(self, batches, recorded_at):
        with self._lock:
            log = self._rows_list
            staged: list[tuple] = []  # kept aside until the last batch is written: all or none
            written = write_batches(
                batches,
                len(log),
                log[-1][9] if log else GENESIS,
                recorded_at,
                self.version,
                lambda slices, metadata: staged.extend(
                    (*row, metadata) for rows in slices for row in rows
                ),
            )
            log.extend(staged)
            for stream, positions in written.items():
                if positions:  # a write of no events makes no stream
                    self._by_stream.setdefault(stream, []).extend(positions)
            return written

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
