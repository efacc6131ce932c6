"""Simulated runs in the event store: stream names that cannot collide, and provenance.

A single run is stream `run/<scenario>/<hash>/seed-<seed>`; run k of an ensemble is
`run/<scenario>/<hash>/<ensemble>/<k>`, where <hash> starts the scenario's content hash and
<ensemble> is the ensemble's id (from the hash, the seed and the number of runs). So a single
run never lands on an ensemble's stream, a changed scenario never lands on an old one's, and a
second ensemble of a scenario (another seed or size) gets streams of its own. Every record
carries metadata (covered by the hash chain): the scenario, its content hash, the seed, the
ensemble id, the run's index and the ensemble's size, and the diplosim version.

An ensemble is written in one `append_many` transaction after its last run, from a spool on
disk that holds the runs' events as they arrive: the store then has the whole ensemble or
none of it, and the parent process holds one run at a time.
"""

from __future__ import annotations

import hashlib
import pickle
import tempfile
from collections.abc import Iterator
from typing import Any

from simulator import __version__, codec
from simulator.errors import StoreError

NAME_IN_STREAM = 80  # characters of the scenario name in a stream name (the store takes 200)


def ensemble_id(content_hash: str, seed: Any, runs: int) -> str:
    """The id of the ensemble of *runs* runs of the scenario hashed *content_hash* from *seed*
    (a `SeedRoot`): the same ensemble always has the same id, another one another."""
    key = f"{content_hash}|{seed.entropy}|{tuple(seed.spawn_key)}|{seed.first_child}|{runs}"
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:12]


def _prefix(name: str, content_hash: str) -> str:
    return f"run/{name[:NAME_IN_STREAM]}/{content_hash[:12] or 'unhashed'}"


def run_stream(name: str, content_hash: str, seed_label: str) -> str:
    """The stream of a single run of a scenario with seed *seed_label*."""
    return f"{_prefix(name, content_hash)}/seed-{seed_label}"


def ensemble_stream(name: str, content_hash: str, ensemble: str, index: int) -> str:
    """The stream of run *index* of ensemble *ensemble*."""
    return f"{_prefix(name, content_hash)}/{ensemble}/{index}"


def run_metadata(
    name: str, content_hash: str, seed: str, ensemble: str | None = None, index: int = 0, runs=1
) -> dict[str, Any]:
    """What each record of a run carries: where it comes from, to replay it."""
    meta: dict[str, Any] = {
        "scenario": name[:NAME_IN_STREAM],
        "content_hash": content_hash,
        "seed": seed,
        "version": __version__,
    }
    if ensemble is not None:
        meta |= {"ensemble": ensemble, "run": index, "runs": runs}
    return meta


def store_run(run: Any, store: Any) -> str:
    """Write the single *run* to its stream, unless the stream already holds exactly it; a
    line saying what was done."""
    from simulator.engine import seed_label

    label = seed_label(run.seed)
    stream = run.stream
    held = store.version(stream)
    if held:
        stored = [(r.type, r.schema, r.payload, r.causation) for r in store.read(stream)]
        mine = [(*codec.encode(e), c) for e, c in zip(run.events, run.causes, strict=True)]
        if stored == mine:
            return f"{stream}: already stored ({held} events), nothing written"
        raise StoreError(f"stream {stream!r} already holds {held} other events; nothing written")
    meta = run_metadata(run.name, run.content_hash, label)
    store.append(stream, run.events, expected_version=0, causation=run.causes, metadata=meta)
    return f"{stream}: {len(run.events)} events written to {store.shown}"


class EnsembleWriter:
    """Spools each run's events as chunks arrive; `commit` writes them all in one transaction.

    If the ensemble's streams are already in the store with the same events (the same
    ensemble run again), nothing is written; other events there are refused.
    """

    def __init__(self, store: Any, name: str, content_hash: str, seed: Any, runs: int) -> None:
        from simulator.store import open_store

        self._owned = isinstance(store, str)
        self._store = open_store(store) if self._owned else store
        self._name, self._hash, self._runs = name, content_hash, runs
        self._seed = seed
        self.ensemble = ensemble_id(content_hash, seed, runs)
        self._spool = tempfile.TemporaryFile()  # noqa: SIM115 - closed by close()
        self._count = 0

    def add(self, runs: list[tuple[int, list, list]] | None) -> None:
        for index, events, causes in runs or ():
            pickle.dump((index, events, causes), self._spool, protocol=pickle.HIGHEST_PROTOCOL)
            self._count += 1

    def commit(self) -> str:
        """Write the spooled ensemble: all of its runs, or (on any error) none."""
        from simulator.store import StreamWrite

        first = ensemble_stream(self._name, self._hash, self.ensemble, 0)
        if self._store.version(first):
            return f"ensemble {self.ensemble} already stored ({self._runs:,} runs), nothing written"
        seed = f"{self._seed.entropy}"

        def writes() -> Iterator[StreamWrite]:
            for index, events, causes in self._spooled():
                yield StreamWrite(
                    ensemble_stream(self._name, self._hash, self.ensemble, index),
                    events,
                    expected_version=0,
                    causation=causes,
                    metadata=run_metadata(
                        self._name, self._hash, seed, self.ensemble, index, self._runs
                    ),
                )

        self._store.append_many(writes())
        return (
            f"{self._runs:,} runs written to {self._store.shown} as "
            f"{ensemble_stream(self._name, self._hash, self.ensemble, 0)[:-1]}<run>"
        )

    def _spooled(self) -> Iterator[tuple[int, list, list]]:
        self._spool.seek(0)
        for _ in range(self._count):
            yield pickle.load(self._spool)  # noqa: S301 - our own spool, written just above

    def close(self) -> None:
        self._spool.close()
        if self._owned:
            self._store.close()
