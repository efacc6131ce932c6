"""Scores of probabilistic forecasts against outcomes, as conflict forecasting scores them (the
VIEWS prediction challenges): Brier and log scores of yes/no questions, CRPS and PIT of counts,
skill against baselines that know only the record before the origin, and reliability.

Every score is negatively oriented (lower is better) except skill and PIT. The functions are pure:
they take numbers the caller read from an ensemble and the record, and return numbers, a frame
or a matplotlib `Figure` built without pyplot (as in `simulator.plots`).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import scoringrules
from matplotlib.figure import Figure
from numpy.typing import ArrayLike

# Fewer scored yes/no questions than this spread over ten bins leave about three a bin, where one
# outcome moves a bin's observed frequency by a third: the diagram would be mostly noise.
MIN_RELIABILITY_QUESTIONS = 30
BASELINE_FLOOR, BASELINE_CEILING = 0.01, 0.99  # a baseline is never certain (the log score)


def probability(yes: int, runs: int) -> float:
    """The forecast probability of an ensemble of *runs* paths of which *yes* answer yes.

    (yes + 0.5) / (runs + 1), a Jeffreys-style correction: the probability stays off 0 and 1, so
    the log score of an outcome no path foresaw is finite, and the Brier score uses the same number
    so that both score one forecast.
    """
    if runs < 1 or not 0 <= yes <= runs:
        raise ValueError(f"need 0 <= yes <= runs and runs >= 1, got yes={yes}, runs={runs}")
    return (yes + 0.5) / (runs + 1)


def brier(p: float, y: int) -> float:
    """Brier score (p - y)^2 of probability *p* for outcome *y* in {0, 1}: 0 is perfect, 1 the
    worst, 0.25 a coin's."""
    return float(scoringrules.brier_score(y, p))


def log_score(p: float, y: int) -> float:
    """Log score: the negative log-likelihood of outcome *y* in {0, 1} under probability *p*,
    -ln p if y else -ln(1 - p). Lower is better (0 is perfect, ln 2 a coin's); infinite when the
    outcome had probability 0, which `probability` and `clip` keep from happening."""
    return float(scoringrules.log_score(y, p))


def crps(ensemble: ArrayLike, y: float) -> float:
    """CRPS of the ensemble's paths for outcome *y*, in the outcome's units (lower is better).

    The *fair* estimator, E|X - y| - sum_{i != j} |x_i - x_j| / (2 M (M - 1)) (Ferro 2014): the
    paths are a random sample of the model's distribution, and the fair estimator is unbiased for
    that distribution's CRPS, so the score neither rewards a narrow ensemble of few paths nor
    changes with the number of runs, and backtests of different --runs compare. (scoringrules'
    default treats the paths as the forecast itself, and changed between versions, so it is named.)
    One path has no spread to estimate: its CRPS is its absolute error, as for a point baseline.
    """
    paths = np.asarray(ensemble, dtype=float).ravel()
    if paths.size == 0:
        raise ValueError("the CRPS of an empty ensemble is undefined")
    if paths.size == 1:
        return abs(float(paths[0]) - y)
    return float(scoringrules.crps_ensemble(y, paths, estimator="fair"))


def pit(ensemble: ArrayLike, y: float, rng: np.random.Generator) -> float:
    """Randomised probability integral transform of *y* under the ensemble: P(X < y) + U P(X = y),
    U uniform on [0, 1] from *rng*. Counts tie often, and the draw spreads a tie over its step so
    that the PIT of a calibrated ensemble is uniform on [0, 1]."""
    paths = np.asarray(ensemble, dtype=float).ravel()
    if paths.size == 0:
        raise ValueError("the PIT of an empty ensemble is undefined")
    below, tied = np.mean(paths < y), np.mean(paths == y)
    return float(below + rng.uniform() * tied)


def skill(score: float, reference: float) -> float:
    """Skill 1 - score / reference of a negatively oriented score against a baseline's (the Brier
    skill score, given mean Briers): above 0 beats the baseline, 1 is perfect. NaN when the
    reference is 0, as a perfect baseline leaves nothing to beat."""
    if reference == 0:
        return math.nan
    return 1.0 - score / reference


def clip(p: float, low: float = BASELINE_FLOOR, high: float = BASELINE_CEILING) -> float:
    """*p* kept within [low, high]: a baseline that says 0 or 1 (persistence, a base rate of
    nothing) would get an infinite log score for the first surprise."""
    return float(min(max(p, low), high))


def base_rate_probability(count: int, days_observed: float, window_days: float) -> float:
    """The base rate's probability of at least one event of the kind in a window of
    *window_days*, from *count* such events in the *days_observed* before the origin: events
    arriving as a Poisson process at the past rate, 1 - exp(-count / days_observed * window_days),
    clipped to [0.01, 0.99] so that its log score stays finite (`clip`)."""
    if days_observed <= 0:
        raise ValueError(f"a base rate needs a record before the origin, got {days_observed} days")
    return clip(1.0 - math.exp(-count / days_observed * window_days))


def coin() -> float:
    """The coin's probability, 0.5: the baseline that knows nothing."""
    return 0.5


def reliability(probabilities: ArrayLike, outcomes: ArrayLike, bins: int = 10) -> pd.DataFrame:
    """The forecasts in *bins* equal bins of probability, each with its count, mean probability
    and the observed frequency of yes: a calibrated forecaster's frequencies match its
    probabilities. Every bin is a row (NaN means when empty); bins are [low, high), the last
    also holds 1."""
    p = np.asarray(probabilities, dtype=float).ravel()
    y = np.asarray(outcomes, dtype=float).ravel()
    if p.shape != y.shape:
        raise ValueError(f"{p.size} probabilities but {y.size} outcomes")
    if np.any((p < 0) | (p > 1)):
        raise ValueError("probabilities must lie in [0, 1]")
    if bins < 1:
        raise ValueError(f"need at least one bin, got {bins}")
    # Rounded first, so that a probability on an edge (0.3 of ten bins) opens the bin it starts,
    # whatever the binary rounding of p * bins.
    index = np.clip(np.floor(np.round(p * bins, 9)).astype(int), 0, bins - 1)
    counts = np.bincount(index, minlength=bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_p = np.bincount(index, weights=p, minlength=bins) / counts
        frequency = np.bincount(index, weights=y, minlength=bins) / counts
    edges = np.arange(bins + 1) / bins
    return pd.DataFrame(
        {
            "bin_low": edges[:-1],
            "bin_high": edges[1:],
            "forecasts": counts,
            "mean_probability": mean_p,
            "observed_frequency": frequency,
        }
    )


def reliability_figure(frame: pd.DataFrame, title: str, warning: str | None = None) -> Figure:
    """Reliability diagram of a `reliability` frame: observed frequency against mean probability
    per bin, points sized by their forecasts, beside the diagonal of perfect calibration; the
    *warning* (too few questions, say) written across it when given."""
    figure = Figure(figsize=(5.2, 5.0), layout="constrained")
    ax = figure.subplots()
    ax.plot([0, 1], [0, 1], color="grey", linestyle="--", linewidth=0.9, label="calibrated")
    filled = frame[frame["forecasts"] > 0]
    if not filled.empty:
        sizes = 20 + 200 * filled["forecasts"] / filled["forecasts"].max()
        ax.plot(filled["mean_probability"], filled["observed_frequency"], color="C0", alpha=0.5)
        ax.scatter(
            filled["mean_probability"], filled["observed_frequency"], s=sizes, color="C0",
            alpha=0.8, zorder=3, label="forecasts (size: how many)",
        )  # fmt: skip
        for row in filled.itertuples():
            ax.annotate(
                str(row.forecasts), (row.mean_probability, row.observed_frequency),
                textcoords="offset points", xytext=(7, 0), va="center", fontsize=7, color="dimgrey",
            )  # fmt: skip
    if warning:
        box = {"facecolor": "white", "edgecolor": "#d62728", "alpha": 0.9}
        ax.text(
            0.5, 0.97, warning, transform=ax.transAxes, ha="center", va="top", fontsize=9,
            color="#d62728", wrap=True, bbox=box,
        )  # fmt: skip
    ax.set_xlim(-0.04, 1.04)  # room for the points at 0 and 1
    ax.set_ylim(-0.04, 1.04)
    ax.set_aspect("equal")
    ax.set_xlabel("forecast probability (mean in bin)")
    ax.set_ylabel("observed frequency")
    ax.set_title(title, fontsize=11)
    ax.legend(fontsize=8, loc="lower right")
    ax.grid(alpha=0.3)
    return figure
