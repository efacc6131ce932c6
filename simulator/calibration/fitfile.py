"""Fit files: a `Fit` as TOML that a person can read and a scenario can use.

`[fit]` says what was fitted (cases, their content hashes and windows, the cut-off, the
half-life chosen and its profile, the log-likelihoods); `[estimates]` gives each parameter's
value with its 95% interval, for reading; each `[[blocks]]` holds one rule's hazard or marks
as the fit found them (names, maximum, covariance on the unconstrained scale, and posterior
draws when sampled): what `read_fit` builds the `Fit` back from. Floats are written with
`repr`, so a file reads back to the very numbers that were written.
"""

from __future__ import annotations

import functools
import math
import os
import tomllib
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

from simulator import __version__
from simulator.calibration.estimates import Block, Fit
from simulator.calibration.priors import prior
from simulator.dynamics import DEFAULTS, RULES
from simulator.errors import DiplosimError
from simulator.inputs import InputError, read_whole
from simulator.scenario.problems import Locator, render_path
from simulator.scenario.write import toml_document

LEVEL_Z = 1.959963984540054  # 95% intervals
MAX_BYTES = 64 * 2**20  # a fit file is text of a few megabytes at most


class FitFileError(DiplosimError):
    """A fit file cannot be read; the message names the file, the line and the key."""


def interval(name: str, z: float, sd: float) -> tuple[float, float, float]:
    """The value of *name* at *z* and its 95% interval, from *sd* on the unconstrained scale."""
    p = prior(name.rpartition(":")[2])
    return tuple(float(p.bound(v)) for v in (z, z - LEVEL_Z * sd, z + LEVEL_Z * sd))


def fit_text(fit: Fit) -> str:
    """*fit* as the text of a fit file."""
    head: dict[str, Any] = {
        "diplosim": __version__,
        "cases": list(fit.cases),
        "content_hashes": list(fit.content_hashes),
        "windows": [[a, b] for a, b in fit.windows],
        "relations_half_life_days": fit.relations_half_life_days,
        "recheck_days": fit.recheck_days,
        "profile": [[float(h), float(v)] for h, v in fit.profile],
        "events": fit.events,
        "log_likelihood": fit.log_likelihood,
        "log_likelihood_defaults": fit.log_likelihood_defaults,
    }
    if fit.until is not None:
        head["until"] = fit.until
    estimates = {}
    for name, (z, sd) in fit.unconstrained().items():
        value, low, high = interval(name, z, sd)
        share = sd / prior(name.rpartition(":")[2]).sd
        estimates[name] = {"value": value, "low": low, "high": high, "sd_over_prior": share}
    blocks = []
    for block in fit.blocks:
        entry: dict[str, Any] = {
            "rule": block.rule,
            "part": block.part,
            "names": list(block.names),
            "mean": [float(v) for v in block.mean],
            "covariance": [[float(v) for v in row] for row in block.covariance],
        }
        if block.draws is not None:
            entry["draws"] = [[float(v) for v in row] for row in block.draws]
            entry["acceptance"] = block.acceptance
        blocks.append(entry)
    comment = (
        "# Written by `diplosim fit`: estimates of the dynamics' parameters from recorded logs.\n"
        "# [estimates] is for reading (value and 95% interval on the parameter's own scale);\n"
        "# [[blocks]] is what scenarios read back (docs/calibration.md).\n\n"
    )
    return comment + toml_document({"fit": head, "estimates": estimates, "blocks": blocks})


def write_fit(fit: Fit, path: str | Path) -> None:
    """Write *fit* to *path* whole or not at all (a temporary file renamed into place)."""
    target = Path(path)
    temporary = target.with_name(f".{target.name}.tmp")
    try:
        temporary.write_text(fit_text(fit), encoding="utf-8")
        temporary.replace(target)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise DiplosimError(f"{path}: cannot write the fit ({exc.strerror})") from None


def read_fit(path: str | Path) -> Fit:
    """The `Fit` in the fit file at *path*; any problem is one `FitFileError` line. A file
    read before and unchanged since (same size and modification time) is not read again: a
    scenario names its fit twice (`[dynamics]` and `[uncertainties]`), and every alternative
    of a case names its case's."""
    try:
        found = os.stat(path)
    except OSError:
        return _read_fit(str(path), None)  # _read_fit says why, in one line
    return _read_fit(str(path), (found.st_size, found.st_mtime_ns, found.st_ino))


@functools.lru_cache(maxsize=8)
def _read_fit(where: str, stamp: tuple[int, int, int] | None) -> Fit:
    try:
        raw = read_whole(where, MAX_BYTES)
    except InputError as exc:
        raise FitFileError(f"{exc} (a fit file expected)") from None
    try:
        text = raw.decode("utf-8")
        data = tomllib.loads(text)
    except (UnicodeDecodeError, tomllib.TOMLDecodeError, RecursionError) as exc:
        raise FitFileError(f"{where}: not a TOML fit file ({exc})") from None
    reader = _Reader(where, text)
    return reader.fit(data)


class _Reader:
    def __init__(self, where: str, text: str) -> None:
        self.where = where
        self.text = text

    def fail(self, path: tuple, what: str) -> FitFileError:
        line = Locator(self.text).line(path) if path else 1
        return FitFileError(f"{self.where}:{line}: {render_path(path) or '(top level)'}: {what}")

    def get(self, table: Any, path: tuple, key: str, kind: type | tuple, expected: str) -> Any:
        if not isinstance(table, dict) or key not in table:
            raise self.fail(path, f"missing {key!r} ({expected} expected)")
        value = table[key]
        if kind is float and type(value) is int:
            value = float(value)
        if not isinstance(value, kind) or isinstance(value, bool) and kind is not bool:
            raise self.fail(path + (key,), f"{value!r} is not {expected}")
        return value

    def numbers(self, value: Any, path: tuple, shape: tuple[int, ...]) -> np.ndarray:
        try:
            array = np.asarray(value, dtype=float)
        except (TypeError, ValueError):
            array = None
        if array is None or array.shape != shape or not np.all(np.isfinite(array)):
            want = " x ".join(map(str, shape)) if shape else "a number"
            raise self.fail(path, f"not {want} finite numbers")
        return array

    def fit(self, data: dict) -> Fit:
        head = self.get(data, (), "fit", dict, "a [fit] table")
        at = ("fit",)
        cases = tuple(self.get(head, at, "cases", list, "an array of case names"))
        hashes = tuple(self.get(head, at, "content_hashes", list, "an array of hashes"))
        windows = self.get(head, at, "windows", list, "an array of [from, to] dates")
        if not all(isinstance(c, str) for c in cases) or len(hashes) != len(cases):
            raise self.fail(at + ("cases",), "not one name (and one content hash) a case")
        if len(windows) != len(cases) or not all(
            isinstance(w, list) and len(w) == 2 and all(type(d) is date for d in w) for w in windows
        ):
            raise self.fail(at + ("windows",), "not one [from, to] pair of dates a case")
        half_life = self.get(head, at, "relations_half_life_days", float, "a number of days")
        recheck = self.get(head, at, "recheck_days", int, "a whole number of days")
        if not 0 < half_life < math.inf or recheck < 1:
            raise self.fail(at, "relations_half_life_days > 0 and recheck_days >= 1 expected")
        profile = self.get(head, at, "profile", list, "an array of [half-life, value] pairs")
        until = head.get("until")
        if until is not None and type(until) is not date:
            raise self.fail(at + ("until",), f"{until!r} is not a date")
        blocks = self.get(data, (), "blocks", list, "[[blocks]] tables")
        seen: set[str] = set()
        read_blocks = []
        for index, entry in enumerate(blocks):
            block = self.block(entry, ("blocks", index), cases)
            repeated = seen.intersection(block.names)
            if repeated:
                raise self.fail(("blocks", index, "names"), f"{sorted(repeated)[0]!r} again")
            seen.update(block.names)
            read_blocks.append(block)
        return Fit(
            cases=cases,
            content_hashes=hashes,
            until=until,
            windows=tuple((a, b) for a, b in windows),
            relations_half_life_days=half_life,
            recheck_days=recheck,
            profile=tuple(
                tuple(float(v) for v in self.numbers(p, at + ("profile", i), (2,)))
                for i, p in enumerate(profile)
            ),
            blocks=tuple(read_blocks),
            events=self.get(head, at, "events", int, "a whole number"),
            log_likelihood=self.get(head, at, "log_likelihood", float, "a number"),
            log_likelihood_defaults=self.get(
                head, at, "log_likelihood_defaults", float, "a number"
            ),
        )

    def block(self, entry: Any, path: tuple, cases: tuple[str, ...]) -> Block:
        if not isinstance(entry, dict):
            raise self.fail(path, "not a table")
        rule = self.get(entry, path, "rule", str, "a rule's name")
        part = self.get(entry, path, "part", str, '"hazard" or "marks"')
        if rule not in {r.name for r in RULES} or part not in ("hazard", "marks"):
            raise self.fail(path, f"{rule!r} {part!r} is not a rule's hazard or marks")
        names = self.get(entry, path, "names", list, "an array of parameter names")
        for i, name in enumerate(names):
            owner, _, plain = str(name).rpartition(":")
            if (
                not isinstance(name, str)
                or plain not in DEFAULTS
                or not plain.startswith(rule + ".")
                or (owner and owner not in cases)
            ):
                raise self.fail(path + ("names", i), f"{name!r} is not a parameter of {rule}")
        k = len(names)
        mean = self.numbers(entry.get("mean"), path + ("mean",), (k,))
        covariance = self.numbers(entry.get("covariance"), path + ("covariance",), (k, k))
        draws = acceptance = None
        if "draws" in entry:
            rows = entry["draws"]
            n = len(rows) if isinstance(rows, list) else -1
            draws = self.numbers(rows, path + ("draws",), (n, k))
            acceptance = entry.get("acceptance")
        return Block(rule, part, tuple(names), mean, covariance, draws, acceptance)
