"""Saved results: ensembles as Parquet files with their provenance, and loaded back.

`results.parquet` has one row per run of each scenario (`scenario`, `run`, the metrics, and
with parameter uncertainty `parameter_set` and `parameter:<name>`); `series.parquet` has the
sampled series in long form (`scenario`, `run`, `series`, `day`, `value`; `day` counts from
the scenario's start). Both carry, in the Parquet schema's metadata under `diplosim`, what is
needed to trust and rebuild them: the diplosim version, when they were written, and for each
scenario its content hash, source file, start, branch date, horizon, sample days, the seed of
its ensemble and its id, and what it was set beside. `load_results` gives back an `Ensemble`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from simulator import __version__
from simulator.ensemble import SERIES_DTYPE, Ensemble, SeedRoot
from simulator.errors import DiplosimError

RESULTS, SERIES = "results.parquet", "series.parquet"
_KEY = b"diplosim"


def provenance(
    ensembles: Sequence[Ensemble],
    against: Mapping[str, str | None] | None = None,
    sources: Mapping[str, str | None] | None = None,
) -> dict[str, Any]:
    """What the files say about where they come from (JSON-ready)."""
    return {
        "version": __version__,
        "written": datetime.now(UTC).isoformat(timespec="seconds"),
        "ensembles": [
            {
                "name": e.name,
                "id": e.id,
                "runs": e.runs,
                "content_hash": e.content_hash,
                "ran_with": e.version,
                "source": (sources or {}).get(e.name),
                "start": e.start.isoformat(),
                "branch": e.branch.isoformat(),
                "horizon": e.horizon.isoformat(),
                "seed": {
                    "entropy": e.seed.entropy,
                    "spawn_key": list(e.seed.spawn_key),
                    "pool_size": e.seed.pool_size,
                    "first_child": e.seed.first_child,
                },
                "days": [int(d) for d in e.days],
                "metrics": [[c, str(t)] for c, t in e.results.dtypes.items()],  # in order
                "parameters": None
                if e.parameters is None
                else [[c, str(t)] for c, t in e.parameters.dtypes.items()],
                "against": (against or {}).get(e.name),
            }
            for e in ensembles
        ],
    }


def results_frame(ensemble: Ensemble) -> pd.DataFrame:
    """One row per run: its index, its metrics and, with parameter uncertainty, its parameter
    set (`parameter_set`) and the values drawn (`parameter:<name>`)."""
    frame = ensemble.results
    if ensemble.parameters is not None:
        drawn = ensemble.parameters.rename(
            columns=lambda c: "parameter_set" if c == "set" else f"parameter:{c}"
        )
        frame = frame.join(drawn)
    frame = frame.reset_index().assign(scenario=ensemble.name)
    return frame[["scenario", *[c for c in frame.columns if c != "scenario"]]]


def series_frame(ensemble: Ensemble) -> pd.DataFrame:
    """The sampled series in long form: one row per run, series and day."""
    runs, days = ensemble.runs, len(ensemble.days)
    parts = []
    for name, values in ensemble.series.items():
        parts.append(
            pd.DataFrame(
                {
                    "run": np.repeat(np.arange(runs, dtype=np.int32), days),
                    "series": name,
                    "day": np.tile(ensemble.days.astype(np.int32), runs),
                    "value": values.reshape(-1).astype(SERIES_DTYPE),
                }
            )
        )
    frame = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    return frame.assign(scenario=ensemble.name)


def parquet_writers(ensembles: Sequence[Ensemble], meta: dict[str, Any]) -> dict[str, Any]:
    """Writers of results.parquet and series.parquet for `outputs.write_files`."""
    text = json.dumps(meta, sort_keys=True).encode("utf-8")

    def writer(frame: pd.DataFrame):
        def write(path: Path) -> None:
            table = pa.Table.from_pandas(frame, preserve_index=False)
            table = table.replace_schema_metadata({**(table.schema.metadata or {}), _KEY: text})
            pq.write_table(table, path)

        return write

    results = pd.concat([results_frame(e) for e in ensembles], ignore_index=True)
    series = pd.concat([series_frame(e) for e in ensembles], ignore_index=True)
    series["series"] = series["series"].astype("category")
    series["scenario"] = series["scenario"].astype("category")
    return {RESULTS: writer(results), SERIES: writer(series)}


def names(path: str | Path) -> list[str]:
    """The scenarios whose results the folder *path* holds."""
    return [e["name"] for e in _read_meta(Path(path) / RESULTS)["ensembles"]]


def load_results(path: str | Path, name: str | None = None) -> Ensemble:
    """The ensemble of scenario *name* (the only one, when None) saved in the folder *path*
    by `diplosim run --runs N --out DIR` or `diplosim compare ... --out DIR`."""
    folder = Path(path)
    meta = _read_meta(folder / RESULTS)
    entries = meta["ensembles"]
    if name is None:
        if len(entries) != 1:
            listed = ", ".join(repr(e["name"]) for e in entries)
            raise DiplosimError(f"{folder}: holds {len(entries)} scenarios; name one of {listed}")
        entry = entries[0]
    else:
        entry = next((e for e in entries if e["name"] == name), None)
        if entry is None:
            listed = ", ".join(repr(e["name"]) for e in entries)
            raise DiplosimError(f"{folder}: no results of {name!r} (it holds {listed})")
    results = pq.read_table(folder / RESULTS, filters=[("scenario", "=", entry["name"])])
    frame = results.to_pandas()
    metrics = dict(entry["metrics"])
    table = pd.DataFrame({name: _as(frame[name], kind) for name, kind in metrics.items()})
    table.index = pd.RangeIndex(len(table), name="run")
    parameters = None
    if entry["parameters"] is not None:
        parameters = pd.DataFrame(
            {
                name: _as(frame["parameter_set" if name == "set" else f"parameter:{name}"], kind)
                for name, kind in entry["parameters"]
            }
        )
        parameters.index = table.index
    days = np.asarray(entry["days"], dtype=np.int64)
    series_table = pq.read_table(folder / SERIES, filters=[("scenario", "=", entry["name"])])
    series = _series(series_table.to_pandas(), len(table), days)
    seed = entry["seed"]
    entropy = seed["entropy"]
    return Ensemble(
        name=entry["name"],
        start=date.fromisoformat(entry["start"]),
        horizon=date.fromisoformat(entry["horizon"]),
        branch=date.fromisoformat(entry["branch"]),
        seed=SeedRoot(
            entropy if isinstance(entropy, int) else tuple(entropy),
            tuple(seed["spawn_key"]),
            seed["pool_size"],
            seed["first_child"],
        ),
        days=days,
        results=table,
        series=series,
        parameters=parameters,
        content_hash=entry["content_hash"],
        version=entry["ran_with"],
    )


def _as(column: pd.Series, kind: str) -> pd.Series:
    """A column of the shared file as the ensemble's own type (another scenario's runs may
    have made the shared column wider, or given it a type where this one has no value)."""
    if column.isna().all() and str(column.dtype) != kind:
        column = pd.Series(np.nan, index=column.index)
    return column.astype(kind)


def _series(long: pd.DataFrame, runs: int, days: np.ndarray) -> dict[str, np.ndarray]:
    """The long rows back as one runs x days array per series, in the order they came."""
    out = {}
    if not len(long):
        return out
    place = pd.Series(np.arange(len(days)), index=days)
    columns = place.loc[long["day"].to_numpy()].to_numpy()
    for name, rows in long.groupby(long["series"].astype(str), sort=False).indices.items():
        values = np.full((runs, len(days)), np.nan, dtype=SERIES_DTYPE)
        values[long["run"].to_numpy()[rows], columns[rows]] = long["value"].to_numpy()[rows]
        out[name] = values
    return out


def _read_meta(path: Path) -> dict[str, Any]:
    try:
        schema = pq.read_schema(path)
    except (OSError, pa.ArrowInvalid) as exc:
        raise DiplosimError(f"{path}: not results written by diplosim ({exc})") from None
    raw = (schema.metadata or {}).get(_KEY)
    if raw is None:
        raise DiplosimError(f"{path}: a Parquet file without diplosim's provenance")
    return json.loads(raw)
