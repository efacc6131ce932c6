"""The priors of the fit: one normal per parameter on an unconstrained scale.

Each parameter is fitted on the scale where it ranges over all numbers: hazard coefficients and
the `mean_log` of a mark as they are, the positive mark parameters (`sd_log`, the Beta's `a`
and `b`) by their log, the probabilities (`all`) by their logit. On that scale its prior is a
normal centred on the hand-set default of `simulator.dynamics.parameters` (the order of
magnitude its reason gives) with the spread below. The spreads are weakly informative: wide
enough that a few events move the estimate far from the default, narrow enough that a
covariate the record never varies, or a rule it never shows, keeps a finite estimate near
the default instead of running off to infinity (docs/calibration.md).
"""

from __future__ import annotations

import math

import attrs
import numpy as np

from simulator.dynamics import DEFAULTS
from simulator.dynamics.parameters import POSITIVE, PROBABILITIES

# Prior sd on the unconstrained scale, by kind of parameter.
COEFFICIENT_SD = 1.5  # a factor of e^(2 x 1.5) = 20 either way at 95%, on a rate or an effect
MEAN_LOG_SD = 1.5  # the median of a mark: a factor of 20 either way at 95%
LOG_SD = 0.7  # sd_log, a, b: a factor of 4 either way at 95%
LOGIT_SD = 1.5  # the probability of the whole stock, on the logit scale


@attrs.frozen
class Prior:
    """A normal prior on the unconstrained scale `scale` ("identity", "log" or "logit")."""

    scale: str
    mean: float
    sd: float

    def free(self, value: float) -> float:
        """*value* on the unconstrained scale."""
        if self.scale == "log":
            return math.log(value)
        if self.scale == "logit":
            value = min(max(value, 1e-9), 1.0 - 1e-9)
            return math.log(value / (1.0 - value))
        return value

    def bound(self, z: float | np.ndarray) -> float | np.ndarray:
        """The parameter's value at *z* on the unconstrained scale (arrays too)."""
        if self.scale == "log":
            return np.exp(z)
        if self.scale == "logit":
            return 1.0 / (1.0 + np.exp(-z))
        return z

    def logpdf(self, z: float | np.ndarray) -> float | np.ndarray:
        u = (z - self.mean) / self.sd
        return -0.5 * u * u - math.log(self.sd * math.sqrt(2.0 * math.pi))


def prior(name: str) -> Prior:
    """The prior of the parameter *name* (`attack.base`, `flight.all`, ...)."""
    default = DEFAULTS[name][0]
    if name in PROBABILITIES:
        scale, sd = "logit", LOGIT_SD
    elif name in POSITIVE:
        scale, sd = "log", LOG_SD
    elif name.endswith("mean_log"):
        scale, sd = "identity", MEAN_LOG_SD
    else:
        scale, sd = "identity", COEFFICIENT_SD
    return Prior(scale, Prior(scale, 0.0, 1.0).free(default), sd)
