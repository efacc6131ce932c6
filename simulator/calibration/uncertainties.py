"""`[uncertainties]`: what a scenario does not know about its parameters, and the parameter
sets an ensemble runs.

A scenario gives, per parameter, a distribution (uniform, log-uniform, normal, triangular),
and/or `from` a fit file, whose Laplace approximation (or, with `draws = "posterior"`, its MCMC
draws) covers every fitted parameter at once, correlations within a rule included. An
ensemble of N runs draws N / `runs_per_set` parameter sets from a space-filling design
(`scipy.stats.qmc`: a Latin hypercube by default, or Sobol'), seeded from the ensemble's seed,
and runs each set with `runs_per_set` seeds: the repeats within a set are what lets a summary
split the spread of an outcome into the part from the parameters and the part from chance
(`simulator.summary`). A distribution given for a parameter replaces the fit's for it.
"""

from __future__ import annotations

import hashlib
import math
from typing import Any

import attrs
import numpy as np
from scipy import stats
from scipy.stats import qmc

from simulator.calibration.estimates import Fit, case_values
from simulator.dynamics import DEFAULTS, Parameters

KINDS = {
    "uniform": ("low", "high"),
    "loguniform": ("low", "high"),
    "normal": ("mean", "sd"),
    "triangular": ("low", "mode", "high"),
}
DESIGNS = ("lhs", "sobol", "random")
SETTINGS = ("relations_half_life_days",)  # besides the rules' parameters
DRAWS = ("laplace", "posterior")


@attrs.frozen
class Distribution:
    """One parameter's distribution: its kind and the numbers `KINDS` names for it."""

    name: str
    kind: str
    numbers: tuple[float, ...] = attrs.field(converter=tuple)

    def __attrs_post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown distribution {self.kind!r} (one of {', '.join(KINDS)})")
        keys = KINDS[self.kind]
        if len(self.numbers) != len(keys) or not all(map(math.isfinite, self.numbers)):
            raise ValueError(f"a {self.kind} distribution takes {', '.join(keys)}: finite numbers")
        given = dict(zip(keys, self.numbers, strict=True))
        if self.kind == "normal" and given["sd"] <= 0:
            raise ValueError("sd must be > 0")
        if self.kind != "normal" and not given["low"] < given["high"]:
            raise ValueError("low must be below high")
        if self.kind == "loguniform" and given["low"] <= 0:
            raise ValueError("a log-uniform distribution needs low > 0")
        if self.kind == "triangular" and not given["low"] <= given["mode"] <= given["high"]:
            raise ValueError("mode must lie between low and high")

    def ppf(self, u: np.ndarray) -> np.ndarray:
        """The values at the probabilities *u* (the inverse of the distribution function)."""
        n = self.numbers
        if self.kind == "uniform":
            return n[0] + u * (n[1] - n[0])
        if self.kind == "loguniform":
            return np.exp(math.log(n[0]) + u * (math.log(n[1]) - math.log(n[0])))
        if self.kind == "normal":
            return stats.norm.ppf(u, loc=n[0], scale=n[1])
        low, mode, high = n
        return stats.triang.ppf(u, (mode - low) / (high - low), loc=low, scale=high - low)

    def as_table(self) -> dict[str, object]:
        return {"distribution": self.kind, **dict(zip(KINDS[self.kind], self.numbers, strict=True))}


@attrs.frozen
class Uncertainties:
    """The distributions a scenario gives its parameters, the fit it draws the rest from
    (except those `fixed`: the values the scenario sets itself), and how an ensemble draws
    them."""

    distributions: tuple[Distribution, ...] = attrs.field(default=(), converter=tuple)
    fit: Fit | None = attrs.field(default=None, eq=False)
    source: str | None = None  # the fit file's path
    draws: str = "laplace"
    design: str = "lhs"
    runs_per_set: int = 10
    fixed: tuple[str, ...] = attrs.field(default=(), converter=tuple)  # not drawn from the fit

    def __attrs_post_init__(self) -> None:
        if self.draws not in DRAWS:
            raise ValueError(f"draws must be one of {', '.join(DRAWS)} (got {self.draws!r})")
        if self.design not in DESIGNS:
            raise ValueError(f"design must be one of {', '.join(DESIGNS)} (got {self.design!r})")
        if type(self.runs_per_set) is not int or self.runs_per_set < 1:
            raise ValueError(f"runs_per_set must be a whole number >= 1 ({self.runs_per_set!r})")
        fit = self.fit
        if (
            self.draws == "posterior"
            and fit is not None
            and any(b.draws is None for b in fit.blocks)
        ):
            raise ValueError(
                "draws = 'posterior' needs a fit file with posterior draws "
                "(diplosim fit --posterior N)"
            )
        for d in self.distributions:
            if d.name not in DEFAULTS and d.name not in SETTINGS:
                raise ValueError(f"'{d.name}' is not a parameter of the dynamics")
        # The fit's numbers enter the scenario's content hash: changed in place, they would
        # leave it stale, so its arrays are made read-only.
        for block in fit.blocks if fit is not None else ():
            for array in (block.mean, block.covariance, block.draws):
                if array is not None:
                    array.setflags(write=False)

    def __reduce__(self) -> tuple[type, tuple[Any, ...]]:
        """Rebuilt when unpickled, not restored: numpy unpickles arrays writable."""
        return (Uncertainties, attrs.astuple(self, recurse=False))

    def canonical(self) -> dict[str, object]:
        """JSON-ready, for the scenario's content hash: the fit enters by its numbers."""
        digest = None
        if self.fit is not None:
            h = hashlib.sha256()
            for block in self.fit.blocks:
                h.update(" ".join(block.names).encode("utf-8"))
                for array in (block.mean, block.covariance, block.draws):
                    if array is not None:
                        h.update(np.ascontiguousarray(array, dtype=float).tobytes())
            digest = h.hexdigest()
        return {
            "distributions": [d.as_table() | {"name": d.name} for d in self.distributions],
            "fit": digest,
            "draws": self.draws,
            "design": self.design,
            "runs_per_set": self.runs_per_set,
            "fixed": list(self.fixed),
        }

    def __bool__(self) -> bool:
        return bool(self.distributions) or self.fit is not None

    @property
    def names(self) -> tuple[str, ...]:
        """The parameters that vary, in a fixed order: the fit's, then the others given."""
        out = dict.fromkeys(n for n in self._fitted_names() if n not in self.fixed)
        out.update(dict.fromkeys(d.name for d in self.distributions))
        return tuple(out)

    def _fitted_names(self) -> list[str]:
        if self.fit is None:
            return []
        return sorted({n.rpartition(":")[2] for b in self.fit.blocks for n in b.names})

    def factors(self) -> list[tuple[str, str]]:
        """The design's dimensions as (factor, group): one per distribution (its own group);
        per fitted block (Laplace), one independent normal factor per parameter, grouped by
        block, as the block's parameters are drawn together (correlated); or one factor that
        picks a posterior draw."""
        out = [(d.name, d.name) for d in self.distributions]
        if self.fit is not None:
            if self.draws == "posterior":
                out.append(("posterior draw", "posterior draw"))
            else:
                for block, drawn in self._blocks():
                    group = f"{block.rule} ({block.part})"
                    out += [(f"{group} factor {i + 1}", group) for i in range(len(drawn))]
        return out

    def _blocks(self) -> list[tuple[Any, np.ndarray]]:
        """The fit's blocks with the places of their parameters that are drawn (not fixed);
        blocks with none left out."""
        out = []
        for block in self.fit.blocks if self.fit is not None else ():
            drawn = [i for i, n in enumerate(block.names) if n.rpartition(":")[2] not in self.fixed]
            if drawn:
                out.append((block, np.asarray(drawn, dtype=np.intp)))
        return out

    def sets(
        self, count: int, seed: np.random.SeedSequence, base: Parameters, case: str | None
    ) -> list[Parameters]:
        """*count* parameter sets from the design seeded by *seed* (see `at`)."""
        rng = np.random.default_rng(seed)
        return self.at(_design(self.design, count, len(self.factors()), rng), base, case)

    def at(self, u: np.ndarray, base: Parameters, case: str | None) -> list[Parameters]:
        """The parameter sets at the points *u* of [0, 1)^factors (one row a set): *base* with
        the values drawn there, a fit's copies freed for *case* in place of the shared ones."""
        u = np.clip(np.asarray(u, dtype=float), 1e-12, 1.0 - 1e-12)
        count = len(u)
        given = {d.name: d.ppf(u[:, i]) for i, d in enumerate(self.distributions)}
        fitted = self._fitted(u[:, len(self.distributions) :], case)
        out = []
        for row in range(count):
            values = dict(base.values)
            values.update({name: float(v[row]) for name, v in fitted.items()})
            settings = {}
            for name, v in given.items():
                if name in SETTINGS:
                    settings[name] = float(v[row])
                else:
                    values[name] = float(v[row])
            out.append(attrs.evolve(base, values=values, **settings))
        return out

    def _fitted(self, u: np.ndarray, case: str | None) -> dict[str, np.ndarray]:
        """Values of the fit's parameters at the design's columns *u*."""
        if self.fit is None:
            return {}
        z: dict[str, np.ndarray] = {}
        if self.draws == "posterior":
            n = len(self.fit.blocks[0].draws)
            pick = np.minimum((u[:, 0] * n).astype(np.intp), n - 1)
            for block in self.fit.blocks:
                for j, name in enumerate(block.names):
                    z[name] = block.draws[pick % len(block.draws), j]
        else:
            # The drawn parameters of a block from their marginal normal (the fixed ones are
            # the scenario's, not the fit's, so the fit's correlation with them is dropped).
            column = 0
            for block, drawn in self._blocks():
                k = len(drawn)
                normal = stats.norm.ppf(u[:, column : column + k])
                column += k
                covariance = block.covariance[np.ix_(drawn, drawn)]
                draws = block.mean[drawn] + normal @ _root(covariance).T
                for j, place in enumerate(drawn):
                    z[block.names[place]] = draws[:, j]
        return {n: np.asarray(v, dtype=float) for n, v in case_values(z, case).items()}


def _root(covariance: np.ndarray) -> np.ndarray:
    """A square root L of a covariance (L L^T = C), by eigenvalues: C may be near singular."""
    values, vectors = np.linalg.eigh((covariance + covariance.T) / 2.0)
    return vectors * np.sqrt(np.maximum(values, 0.0))


def _design(kind: str, count: int, width: int, rng: np.random.Generator) -> np.ndarray:
    """*count* points in [0, 1)^width: a Latin hypercube, a scrambled Sobol' sequence or
    independent uniforms."""
    if width == 0:
        return np.empty((count, 0))
    if kind == "lhs":
        u = qmc.LatinHypercube(d=width, rng=rng).random(count)
    elif kind == "sobol":
        u = qmc.Sobol(d=width, scramble=True, rng=rng).random(count)
    else:
        u = rng.random((count, width))
    return u
