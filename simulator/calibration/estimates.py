"""What a fit found: one block of estimates per rule and part, on the unconstrained scale of
the priors, with the half-life the fit chose and the log-likelihoods it reached. Built by
`fit.fit`, written and read by `fitfile`, used by scenarios (`[dynamics] from`) and ensembles
(`[uncertainties] from`)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

import attrs
import numpy as np

from simulator.calibration.priors import prior
from simulator.dynamics import Parameters


@attrs.frozen(eq=False)
class Block:
    """One rule's hazard or marks after the fit: parameter names, the maximum and its
    covariance on the unconstrained scale (`priors`), and posterior draws if sampled."""

    rule: str
    part: str  # "hazard" or "marks"
    names: tuple[str, ...]
    mean: np.ndarray
    covariance: np.ndarray
    draws: np.ndarray | None = None  # (draws, names), unconstrained
    acceptance: float | None = None


@attrs.frozen(eq=False)
class Fit:
    """The outcome of `fit`: the blocks, the chosen half-life with its profile, and the
    log-likelihood of the logs at the estimates and at the defaults."""

    cases: tuple[str, ...]
    content_hashes: tuple[str, ...]
    until: date | None
    windows: tuple[tuple[date, date], ...]  # each case's observed window [from, to)
    relations_half_life_days: float
    recheck_days: int
    profile: tuple[tuple[float, float], ...]  # (half-life, maximised log-posterior)
    blocks: tuple[Block, ...]
    events: int  # events scored, over all cases
    log_likelihood: float
    log_likelihood_defaults: float

    def unconstrained(self) -> dict[str, tuple[float, float]]:
        """Every fitted name -> (maximum, sd) on its unconstrained scale."""
        out = {}
        for block in self.blocks:
            sds = np.sqrt(np.diag(block.covariance))
            for name, z, sd in zip(block.names, block.mean, sds, strict=True):
                out[name] = (float(z), float(sd))
        return out

    def values(self, case: str | None = None) -> dict[str, float]:
        """The estimates as parameter values: the shared ones, and *case*'s freed copies in
        place of the shared values they free."""
        found = case_values({n: z for n, (z, _) in self.unconstrained().items()}, case)
        return {name: float(value) for name, value in found.items()}

    def parameters(self, case: str | None = None) -> Parameters:
        return Parameters(
            relations_half_life_days=self.relations_half_life_days,
            recheck_days=self.recheck_days,
            values=self.values(case),
        )


def case_values(z: Mapping[str, Any], case: str | None) -> dict[str, Any]:
    """Unconstrained values by fitted name (numbers or arrays of draws) as parameter values of
    *case*: the shared ones, its own freed copies (`<case>:<name>`) in their place."""
    out: dict[str, Any] = {}
    for name, value in z.items():
        owner, _, plain = name.rpartition(":")
        if owner == (case or "") or (not owner and plain not in out):
            out[plain] = prior(plain).bound(value)
    return out
