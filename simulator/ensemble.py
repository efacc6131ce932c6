"""Monte Carlo ensembles: many seeded runs of one scenario, in-process, on a process pool or Dask.

Run *i* of an ensemble is seeded with child *i* of the ensemble's `SeedSequence` (what
`SeedSequence(seed).spawn(runs)[i]` returns), built where the run executes. So the results do
not depend on the executor, the number of workers nor how the runs are cut into chunks. A chunk
carries the scenario once and brings back only the outcome metrics and the sampled series of
its runs (and their events when a store is given); the parent copies them into preallocated
arrays, so it holds a few kilobytes per run and a worker one chunk at a time.
"""

from __future__ import annotations

import math
import multiprocessing
import os
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from contextlib import contextmanager
from datetime import date, timedelta
from itertools import islice
from typing import Any

import attrs
import numpy as np
import pandas as pd

from simulator import __version__
from simulator.scenario.value import MAX_RUNS

SERIES_DTYPE = np.float32  # half the memory of float64; ample for indices and head counts
MAX_CHUNK = 200
_EPOCH = date(1970, 1, 1).toordinal()

Seed = int | np.random.SeedSequence | None


# --- seeds ----------------------------------------------------------------------------------


@attrs.frozen
class SeedRoot:
    """The ensemble's seed in a form that travels: `child(i)` equals `spawn(runs)[i]` of it."""

    entropy: int | tuple[int, ...]
    spawn_key: tuple[int, ...] = ()
    pool_size: int = 4
    first_child: int = 0

    @classmethod
    def of(cls, seed: Seed) -> SeedRoot:
        """From an int, a `SeedSequence` (its next children) or None (fresh OS entropy)."""
        if isinstance(seed, np.random.SeedSequence):
            sequence = seed
        elif seed is None or (isinstance(seed, int | np.integer) and not isinstance(seed, bool)):
            sequence = np.random.SeedSequence(None if seed is None else int(seed))
        else:
            raise TypeError(f"seed must be an int, a numpy SeedSequence or None (got {seed!r})")
        entropy = sequence.entropy
        if not isinstance(entropy, int):
            entropy = tuple(int(word) for word in entropy)
        return cls(
            entropy, tuple(sequence.spawn_key), sequence.pool_size, sequence.n_children_spawned
        )

    def child(self, index: int) -> np.random.SeedSequence:
        return np.random.SeedSequence(
            self.entropy,
            spawn_key=(*self.spawn_key, self.first_child + index),
            pool_size=self.pool_size,
        )


# --- sample days ----------------------------------------------------------------------------


def monthly_days(start: date, first: date, horizon: date) -> np.ndarray:
    """Days after *start* of each month from *first* to *horizon*, with *horizon* itself last."""
    days = []
    month = 0
    while True:
        year, index = divmod(first.month - 1 + month, 12)
        year += first.year
        day = min(first.day, _month_length(year, index + 1))
        point = date(year, index + 1, day)
        if point > horizon:
            break
        days.append((point - start).days)
        month += 1
    if not days or days[-1] != (horizon - start).days:
        days.append((horizon - start).days)
    return np.asarray(days, dtype=np.int64)


def _month_length(year: int, month: int) -> int:
    following = date(year + month // 12, month % 12 + 1, 1)
    return (following - timedelta(days=1)).day


def sample_days(scenario: Any) -> np.ndarray:
    """The days the series are sampled at: monthly from the branch date to the horizon."""
    first = getattr(scenario, "branch_date", None) or scenario.start
    return monthly_days(scenario.start, first, scenario.horizon)


# --- one chunk of runs (executes on a worker) -----------------------------------------------


@attrs.frozen
class ChunkResult:
    """Runs `start..stop` of an ensemble: metric columns, series (runs x days), events."""

    start: int
    stop: int
    metrics: dict[str, tuple[str | None, np.ndarray]]
    series: dict[str, np.ndarray]
    events: list[tuple[int, list, list]] | None = None


def run_chunk(
    scenario: Any,
    root: SeedRoot,
    start: int,
    stop: int,
    days: np.ndarray,
    keep_events: bool = False,
    simulate: Callable | None = None,
    params: Sequence[Any] | None = None,
) -> ChunkResult:
    """Simulate runs *start* .. *stop* - 1 of an ensemble (run *i* under `params[i - start]`
    when given, else the scenario's dynamics); what a worker executes."""
    if simulate is None:
        from simulator.engine import simulate
    size = stop - start
    values: dict[str, list] = {}
    series: dict[str, np.ndarray] = {}
    kept = [] if keep_events else None
    for row, index in enumerate(range(start, stop)):
        if params is None:
            run = simulate(scenario, root.child(index))
        else:
            run = simulate(scenario, root.child(index), params[row])
        for name, value in _flatten(run.metrics):
            values.setdefault(name, [None] * size)[row] = value
        for name, points in run.sample(days).items():
            if name not in series:
                series[name] = np.full((size, len(days)), np.nan, dtype=SERIES_DTYPE)
            series[name][row] = points
        if kept is not None:
            kept.append((index, list(run.events), list(run.causes)))
    columns = {name: _encode(name, column) for name, column in values.items()}
    return ChunkResult(start, stop, columns, series, kept)


def _flatten(metrics: Mapping, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """Nested metrics as flat columns: `{"relations": {("A", "B"): 1.0}}` -> `relations.A-B`."""
    for key, value in metrics.items():
        name = prefix + ("-".join(map(str, key)) if isinstance(key, tuple) else str(key))
        if isinstance(value, Mapping):
            yield from _flatten(value, name + ".")
        else:
            yield name, value


def _kind(name: str, value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool | np.bool_):
        return "bool"
    if isinstance(value, int | np.integer):
        return "int"
    if isinstance(value, float | np.floating):
        return "float"
    if isinstance(value, date):
        return "date"
    if isinstance(value, str):
        return "text"
    raise TypeError(
        f"metric {name!r}: {type(value).__name__} is not a number, bool, date, text or None"
    )


def _encode(name: str, column: list) -> tuple[str | None, np.ndarray]:
    """One metric over a chunk's runs as (kind, array): numbers and dates as float64 (dates in
    days since 1970-01-01), NaN where a run gave None; text as an object array."""
    kind = None
    for value in column:
        kind = merge_kinds(name, kind, _kind(name, value))
    if kind == "text":
        return kind, np.asarray(column, dtype=object)
    if kind == "date":
        numbers = [np.nan if v is None else float(v.toordinal() - _EPOCH) for v in column]
    else:
        numbers = [np.nan if v is None else float(v) for v in column]
    return kind, np.asarray(numbers, dtype=np.float64)


def merge_kinds(name: str, a: str | None, b: str | None) -> str | None:
    """The kind of a column whose runs gave kinds *a* and *b* (numbers widen; None is no value)."""
    if a is None or a == b:
        return b if a is None else a
    if b is None:
        return a
    numeric = ("bool", "int", "float")
    if a in numeric and b in numeric:
        return max(a, b, key=numeric.index)
    raise TypeError(f"metric {name!r} is {a} in some runs and {b} in others")


# --- collecting chunks into arrays (in the parent) ------------------------------------------


class _Collector:
    """Preallocated columns and series that chunk results are copied into, in any order."""

    def __init__(self, runs: int, points: int) -> None:
        self.runs = runs
        self.points = points
        self.kinds: dict[str, str | None] = {}
        self.columns: dict[str, np.ndarray] = {}
        self.series: dict[str, np.ndarray] = {}
        self._rank: dict[str, tuple[int, int]] = {}  # (first chunk seen, place in it)
        self.done = 0

    def add(self, chunk: ChunkResult) -> None:
        at = slice(chunk.start, chunk.stop)
        for place, (name, (kind, values)) in enumerate(chunk.metrics.items()):
            self._see(name, chunk.start, place)
            self.kinds[name] = merge_kinds(name, self.kinds.get(name), kind)
            column = self.columns.get(name)
            if column is None:
                column = self.columns[name] = np.full(self.runs, np.nan)
            if kind == "text" and column.dtype != object:  # earlier chunks had no value
                column = self.columns[name] = np.full(self.runs, None, dtype=object)
            column[at] = values
        for place, (name, values) in enumerate(chunk.series.items()):
            self._see(f"series:{name}", chunk.start, place)
            if name not in self.series:
                self.series[name] = np.full((self.runs, self.points), np.nan, dtype=SERIES_DTYPE)
            self.series[name][at] = values
        self.done += chunk.stop - chunk.start

    def _see(self, key: str, start: int, place: int) -> None:
        rank = (start, place)
        if key not in self._rank or rank < self._rank[key]:
            self._rank[key] = rank

    def frame(self) -> pd.DataFrame:
        names = sorted(self.columns, key=self._rank.__getitem__)
        data = {name: _column(self.kinds[name], self.columns[name]) for name in names}
        frame = pd.DataFrame(data, index=pd.RangeIndex(self.runs, name="run"))
        return frame

    def series_arrays(self) -> dict[str, np.ndarray]:
        names = sorted(self.series, key=lambda name: self._rank[f"series:{name}"])
        return {name: self.series[name] for name in names}


def _column(kind: str | None, values: np.ndarray) -> pd.Series:
    """A collected column as its natural pandas type; missing values stay missing."""
    if kind == "text":
        return pd.Series(values, dtype=object)
    missing = np.isnan(values)
    if kind == "date":
        days = np.where(missing, 0, values).astype(np.int64).astype("datetime64[D]")
        days[missing] = np.datetime64("NaT")
        return pd.Series(days.astype("datetime64[s]"))
    if kind == "bool":
        return pd.Series(values).astype("boolean" if missing.any() else bool)
    if kind == "int":
        return pd.Series(values).astype("Int64" if missing.any() else np.int64)
    return pd.Series(values)  # float, or no value in any run (all missing)


# --- the ensemble ---------------------------------------------------------------------------


@attrs.frozen(eq=False)
class Ensemble:
    """The outcome of many runs of one scenario.

    `results` has one row per run (index: the run's seed index) and one column per metric;
    `series` maps each sampled series to an array of runs x `days`; `days` are days after
    `start` (`dates` gives them as dates). With `[uncertainties]`, `parameters` has one row
    per run: its parameter set (`set`) and the values of the parameters that vary.
    """

    name: str
    start: date
    horizon: date
    branch: date
    seed: SeedRoot
    days: np.ndarray
    results: pd.DataFrame
    series: dict[str, np.ndarray]
    parameters: pd.DataFrame | None = None
    content_hash: str = ""  # the scenario's (`Scenario.content_hash`)
    version: str = ""  # the diplosim version that ran it

    @property
    def runs(self) -> int:
        return len(self.results)

    @property
    def id(self) -> str:
        """The ensemble's id: the same scenario, seed and size give the same id."""
        from simulator.recording import ensemble_id

        return ensemble_id(self.content_hash, self.seed, self.runs)

    @property
    def dates(self) -> pd.DatetimeIndex:
        return pd.DatetimeIndex([self.start + timedelta(days=int(d)) for d in self.days])

    def summary(self, level: float = 0.95) -> pd.DataFrame:
        """Probabilities with intervals and quantiles of every metric (see `simulator.summary`)."""
        from simulator.summary import summarize

        sets = None if self.parameters is None else self.parameters["set"].to_numpy()
        return summarize(self.results, level, sets)


def run_ensemble(
    scenario: Any,
    runs: int = 1000,
    seed: Seed = None,
    *,
    workers: int | None = None,
    dask: Any = None,
    chunk_size: int | None = None,
    progress: bool | None = None,
    store: Any = None,
    days: Sequence[int] | None = None,
    simulate: Callable | None = None,
    params: Sequence[Any] | None = None,
) -> Ensemble:
    """Run *scenario* *runs* times, run *i* seeded with child *i* of *seed*'s SeedSequence.

    Executes in-process when `workers == 1`, on a local process pool of *workers* (default: all
    cores) otherwise, or on Dask when *dask* is given: a scheduler address, `"local"` for a
    local cluster of *workers* processes, or a `distributed.Client`. The results are the same
    on every executor. *progress* shows a bar (default: when stderr is a terminal). *store* (an
    `EventStore` or a URL) receives the runs' events after the last run, all in one
    transaction, run k as stream `run/<name>/<hash>/<ensemble id>/<k>` (`simulator.recording`).
    *days*
    overrides the sample days (default: monthly from the branch date to the horizon);
    *simulate* replaces `simulator.engine.simulate` (a picklable function of scenario, seed
    and, with `[uncertainties]`, the run's parameters). A scenario with `[uncertainties]` runs
    `runs_per_set` seeds of each parameter set (`Uncertainties.sets`, seeded from *seed*);
    *params* (one `Parameters` a run) gives the runs' parameters instead (what a sensitivity
    design supplies), each run its own set.
    """
    if type(runs) is not int or not 1 <= runs <= MAX_RUNS:
        raise ValueError(f"runs must be a whole number from 1 to {MAX_RUNS:,} (got {runs!r})")
    if workers is not None and (type(workers) is not int or workers < 1):
        raise ValueError(f"workers must be a whole number >= 1 (got {workers!r})")
    root = SeedRoot.of(seed)
    points = sample_days(scenario) if days is None else np.asarray(days, dtype=np.int64)
    cores = workers or os.cpu_count() or 1
    size = chunk_size or max(1, min(MAX_CHUNK, math.ceil(runs / (cores * 8))))
    bounds = [(start, min(start + size, runs)) for start in range(0, runs, size)]
    cores = min(cores, len(bounds))  # no process without a chunk to run
    content_hash = getattr(scenario, "content_hash", "")
    writer = None
    if store is not None:
        from simulator.recording import EnsembleWriter

        writer = EnsembleWriter(store, scenario.name, content_hash, root, runs)
    collector = _Collector(runs, len(points))
    if params is not None:
        if len(params) != runs:
            raise ValueError(f"params gives {len(params)} parameter sets for {runs} runs")
        drawn = list(params)
        parameters = pd.DataFrame({"set": np.arange(runs)}, index=pd.RangeIndex(runs, name="run"))
    else:
        drawn, parameters = _parameter_sets(scenario, runs, root)
    job = (scenario, root, points, writer is not None, simulate, drawn)
    method = _start_method()  # decided before the progress bar starts its thread
    with _Progress(runs, scenario.name, progress) as bar:
        if dask is not None:
            chunks = _dask_chunks(dask, job, bounds, workers)
        elif cores == 1 or len(bounds) == 1:
            chunks = (
                run_chunk(scenario, root, a, b, *job[2:5], _part(drawn, a, b)) for a, b in bounds
            )
        else:
            chunks = _pool_chunks(job, bounds, cores, method)
        try:
            for chunk in chunks:
                collector.add(chunk)
                if writer is not None:
                    writer.add(chunk.events)
                bar.advance(chunk.stop - chunk.start)
            if writer is not None:
                writer.commit()
        finally:
            if hasattr(chunks, "close"):  # shut the pool or cluster down now, also on errors
                chunks.close()
            if writer is not None:
                writer.close()
    return Ensemble(
        name=scenario.name,
        start=scenario.start,
        horizon=scenario.horizon,
        branch=getattr(scenario, "branch_date", None) or scenario.start,
        seed=root,
        days=points,
        results=collector.frame(),
        series=collector.series_arrays(),
        parameters=parameters,
        content_hash=content_hash,
        version=__version__,
    )


# Where the parameter sets' design draws its randomness: a child of the ensemble's seed that no
# run uses (runs are children 0, 1, ...), so adding uncertainties leaves each run's seed as it was.
DESIGN_CHILD = 2**31


def _parameter_sets(scenario: Any, runs: int, root: SeedRoot) -> tuple[list | None, Any]:
    """Each run's parameters and the frame of them, when the scenario has uncertainties."""
    given = getattr(scenario, "uncertainties", None)
    if not given:
        return None, None
    per = given.runs_per_set
    sets = given.sets(
        math.ceil(runs / per), root.child(DESIGN_CHILD), scenario.dynamics, scenario.name
    )
    drawn = [sets[i // per] for i in range(runs)]
    columns: dict[str, Any] = {"set": np.arange(runs) // per}
    for name in given.names:
        columns[name] = [p[name] if "." in name else getattr(p, name) for p in drawn]
    return drawn, pd.DataFrame(columns, index=pd.RangeIndex(runs, name="run"))


def simulate_run(
    scenario: Any, runs: int, seed: Seed, index: int, simulate: Callable | None = None
):
    """Run *index* of the ensemble of *runs* runs of *scenario* seeded *seed*, alone: the same
    seed and (with `[uncertainties]`) the same parameter set, so the same path."""
    if simulate is None:
        from simulator.engine import simulate
    if not 0 <= index < runs:
        raise ValueError(f"run {index} is not in an ensemble of {runs} runs")
    root = SeedRoot.of(seed)
    drawn, _ = _parameter_sets(scenario, runs, root)
    if drawn is None:
        return simulate(scenario, root.child(index))
    return simulate(scenario, root.child(index), drawn[index])


def _part(drawn: list | None, start: int, stop: int) -> list | None:
    return None if drawn is None else drawn[start:stop]


def _start_method() -> str | None:
    """`fork` (workers start at once, modules already imported) from a single-threaded parent;
    else `forkserver` where there is one, since forking a threaded process can deadlock."""
    methods = multiprocessing.get_all_start_methods()
    if "fork" in methods and threading.active_count() == 1:
        return "fork"
    return "forkserver" if "forkserver" in methods else None


def _pool_chunks(
    job: tuple, bounds: list, workers: int, method: str | None
) -> Iterator[ChunkResult]:
    """Chunks from a local process pool, at most two per worker in flight (flat memory)."""
    scenario, root, points, keep, simulate, drawn = job
    context = multiprocessing.get_context(method)
    if method == "forkserver":  # import once in the server, not once per worker
        context.set_forkserver_preload(["simulator.ensemble", "simulator.engine"])
    todo = iter(bounds)
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:

        def submit(start: int, stop: int):
            part = _part(drawn, start, stop)
            return pool.submit(run_chunk, scenario, root, start, stop, points, keep, simulate, part)

        pending = set()
        for start, stop in todo:
            pending.add(submit(start, stop))
            if len(pending) >= 2 * workers:
                break
        while pending:
            finished, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in finished:
                yield future.result()
                following = next(todo, None)
                if following is not None:
                    pending.add(submit(*following))


@contextmanager
def dask_client(dask: Any, workers: int | None = None) -> Iterator[Any]:
    """A `distributed.Client` for *dask*: a Client (used as is), `"local"` (a LocalCluster of
    *workers* single-threaded processes, closed on exit) or a scheduler address (connected to,
    disconnected on exit). Open one to share a cluster between ensembles."""
    from distributed import Client, LocalCluster

    if isinstance(dask, Client):
        yield dask
        return
    if dask == "local":
        cores = workers or os.cpu_count() or 1
        with (
            LocalCluster(
                n_workers=cores, threads_per_worker=1, processes=True, dashboard_address=None
            ) as cluster,
            Client(cluster) as client,
        ):
            yield client
        return
    with Client(dask) as client:
        yield client


def _dask_chunks(dask: Any, job: tuple, bounds: list, workers: int | None) -> Iterator[ChunkResult]:
    """Chunks from Dask: the scenario is scattered to every worker once, chunks stream back."""
    from distributed import as_completed

    scenario, root, points, keep, simulate, drawn = job
    with dask_client(dask, workers) as client:
        shared = client.scatter(scenario, broadcast=True, hash=False)
        window = 2 * max(1, len(client.scheduler_info().get("workers", {})))
        todo = iter(bounds)

        def submit(start: int, stop: int):
            return client.submit(
                run_chunk,
                shared,
                root,
                start,
                stop,
                points,
                keep,
                simulate,
                _part(drawn, start, stop),
                pure=False,
            )

        futures = as_completed([submit(*pair) for pair in islice(todo, window)])
        for future in futures:
            yield future.result()
            future.release()
            following = next(todo, None)
            if following is not None:
                futures.add(submit(*following))


# --- the progress bar, a side effect at the edge ---------------------------------------------


class _Progress:
    """A rich progress bar on stderr, shown only on a terminal unless asked for."""

    def __init__(self, total: int, label: str, enabled: bool | None) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        console = Console(stderr=True)
        shown = console.is_terminal if enabled is None else enabled
        self._bar = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=console,
            disable=not shown,
            transient=False,
        )
        self._task = self._bar.add_task(label, total=total)

    def __enter__(self) -> _Progress:
        self._bar.start()
        return self

    def __exit__(self, *exc) -> None:
        self._bar.stop()

    def advance(self, runs: int) -> None:
        self._bar.advance(self._task, runs)
