"""Checkpointed projections: a fold of the store's records whose position is saved with its
result, so a follower that stops (or is stopped) resumes where it was, not from the start.

The state and the position are written together, in one file replaced whole, after each batch
of records: after a crash the file holds a state and the position it was folded to, never one
without the other, so no record is folded twice or skipped.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, Generic, TypeVar

import attrs

from simulator.errors import DiplosimError
from simulator.store import EventStore, Record

State = TypeVar("State")
FORMAT = "diplosim-projection/1"


class ProjectionError(DiplosimError):
    """A projection's saved file cannot be read or written, or belongs to another projection."""


@attrs.define
class Projection(Generic[State]):
    """The fold `apply(state, record) -> state` from `initial()`, saved to *path* (None: kept
    in memory only) as JSON by `encode`/`decode` under *name*, which a saved file must match."""

    name: str
    apply: Callable[[State, Record], State]
    initial: Callable[[], State]
    path: Path | None = attrs.field(default=None, converter=attrs.converters.optional(Path))
    encode: Callable[[State], Any] = lambda state: state
    decode: Callable[[Any], State] = lambda data: data
    position: int = attrs.field(init=False, default=0)
    state: State = attrs.field(init=False, default=None)

    def __attrs_post_init__(self) -> None:
        self.position, self.state = self._load()

    def fold(self, records: Iterable[Record]) -> int:
        """Fold *records* (those from `position` on) into the state, save, and return how many
        were folded."""
        count = 0
        for record in records:
            if record.position < self.position:
                continue  # folded before: a follower started from an earlier position
            self.state = self.apply(self.state, record)
            self.position = record.position + 1
            count += 1
        if count:
            self._save()
        return count

    def catch_up(self, store: EventStore, types: Iterable[str] | None = None) -> int:
        """Fold what the store holds after the saved position; return how many records."""
        return self.fold(store.read_all(self.position, types))

    def follow(
        self, store: EventStore, types: Iterable[str] | None = None, **subscribe: Any
    ) -> Iterator[int]:
        """Catch up, then fold each burst of new records as it comes, saving after each;
        yields how many records each fold took (the catch-up first, perhaps 0). *subscribe*
        goes to `store.subscribe_batches` (poll_interval, idle_timeout)."""
        for batch in store.subscribe_batches(self.position, types, **subscribe):
            yield self.fold(batch)

    def _load(self) -> tuple[int, State]:
        if self.path is None or not self.path.exists():
            return 0, self.initial()
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError, UnicodeDecodeError) as exc:
            raise ProjectionError(f"{self.path}: cannot read the saved projection: {exc}") from None
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise ProjectionError(f"{self.path}: not a saved projection ({FORMAT})")
        if data.get("name") != self.name:
            raise ProjectionError(
                f"{self.path}: saved by the projection {data.get('name')!r}, not {self.name!r}; "
                "give each projection a file of its own"
            )
        position = data.get("position")
        if type(position) is not int or position < 0:
            raise ProjectionError(f"{self.path}: position must be a whole number >= 0")
        return position, self.decode(data.get("state"))

    def _save(self) -> None:
        if self.path is None:
            return
        data = {"format": FORMAT, "name": self.name, "position": self.position}
        text = json.dumps({**data, "state": self.encode(self.state)}, sort_keys=True)
        partial = self.path.with_name(f".{self.path.name}.partial")
        try:
            with open(partial, "w", encoding="utf-8") as out:
                out.write(text)
                out.flush()
                os.fsync(out.fileno())
            partial.replace(self.path)
        except OSError as exc:
            partial.unlink(missing_ok=True)
            raise ProjectionError(f"{self.path}: cannot save the projection: {exc}") from None
