"""The marks of an event (casualties, share taken, people moving, troops, dollars): how the
engine draws them and their log-densities, the one definition serving both.

Two families: a log-normal for counts and amounts (of `x + 1` for counts that may be 0), and
for a fraction of a stock (of a holding taken, of a group fleeing) a mixture: the whole stock
with probability `all`, else a Beta(`a`, `b`) share of it. The likelihood scores the fraction
as the engine draws it, before rounding to whole people or four decimals of a share (the
rounding's effect on the density is below 1e-4 and is left out).
"""

from __future__ import annotations

import math

import numpy as np

WHOLE = 1.0 - 1e-9  # a fraction at least this is the whole stock


def lognormal_draw(rng: np.random.Generator, mean_log: float, sd_log: float) -> float:
    return math.exp(mean_log + sd_log * rng.standard_normal())


def lognormal_logpdf(x: float, mean_log: float, sd_log: float) -> float:
    """Log-density of *x* > 0 under a log-normal (log x ~ Normal(mean_log, sd_log))."""
    z = (math.log(x) - mean_log) / sd_log
    return -0.5 * z * z - math.log(sd_log * x) - 0.5 * math.log(2.0 * math.pi)


def count_draw(rng: np.random.Generator, mean_log: float, sd_log: float) -> int:
    """A count >= 0 with log(count + 1) ~ Normal(mean_log, sd_log)."""
    return max(0, int(lognormal_draw(rng, mean_log, sd_log) - 1.0 + 0.5))


def count_logpdf(count: int, mean_log: float, sd_log: float) -> float:
    # The density of count + 1 under the log-normal: a continuous stand-in for the count.
    return lognormal_logpdf(count + 1.0, mean_log, sd_log)


def fraction_draw(rng: np.random.Generator, whole: float, a: float, b: float) -> float:
    if rng.random() < whole:
        return 1.0
    return float(rng.beta(a, b))


def fraction_logpdf(f: float, whole: float, a: float, b: float) -> float:
    """Log-density of the fraction *f* in (0, 1] under the mixture (a point mass at 1)."""
    if f >= WHOLE:
        return math.log(whole) if whole > 0.0 else -math.inf
    if whole >= 1.0:
        return -math.inf
    f = min(max(f, 1e-12), 1.0 - 1e-12)
    log_beta = math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b)
    return math.log1p(-whole) + (a - 1.0) * math.log(f) + (b - 1.0) * math.log1p(-f) - log_beta
