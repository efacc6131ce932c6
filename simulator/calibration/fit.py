"""Fitting the dynamics to recorded logs: penalised maximum likelihood, Laplace intervals and,
on request, posterior draws by MCMC.

The log-likelihood (`simulator.likelihood`) splits exactly by rule, and within a rule into its
hazard (a Poisson regression on the rule's design) and its marks; the priors are independent
normals (`priors`). So the posterior factorises into one block per rule and part, each with a
few parameters: each block is maximised on its own (the hazard with its exact gradient and
Hessian, the marks numerically), its curvature at the maximum gives its covariance (the
Laplace approximation), and MCMC samples each block on its own (emcee), the joint draws being
the blocks' draws side by side. Several cases (scenarios) are fitted at once: their designs are
stacked, so they share every parameter except those a scenario frees (`[dynamics] free`),
which get one copy per case that frees them, named `<case>:<parameter>`.

The half-life of the relations' sums shapes the covariates rather than entering the hazards
linearly, so it is chosen on a grid (`HALF_LIVES`) by the maximised log-posterior (a profile);
the blocks are those at the chosen half-life.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from datetime import date, timedelta

import attrs
import numpy as np
from scipy import optimize

from simulator import dynamics
from simulator.calibration.estimates import Block, Fit
from simulator.calibration.priors import Prior, prior
from simulator.dynamics import DEFAULTS, Parameters
from simulator.errors import DiplosimError
from simulator.likelihood import log_likelihood
from simulator.scenario import Scenario

HALF_LIVES = (
    45.0,
    90.0,
    180.0,
    365.0,
    730.0,
    1461.0,
    2922.0,
)  # days: the grid the half-life is chosen on
LEVEL_Z = 1.959963984540054  # 95% intervals
_LOG_DAYS = math.log(dynamics.DAYS_PER_YEAR)


class FitError(DiplosimError):
    """The logs cannot be fitted (an event no rule could write, cases that disagree...)."""


def observed_window(scenario: Scenario, until: date | None = None) -> tuple[date, date]:
    """The days a scenario's record covers, [start, end): to the branch date or the day after
    its last event, whichever is later, and before *until*."""
    last = scenario.events[-1].occurred_at + timedelta(days=1) if scenario.events else None
    end = max(scenario.branch_date, last) if last else scenario.branch_date
    if until is not None:
        end = min(end, until)
    return scenario.start, end


@attrs.frozen(eq=False)
class _Case:
    """What one scenario's record gives the fit at one half-life: per rule the design arrays
    (covariates, exposure days, counts) and the marks' values."""

    name: str
    designs: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]
    marks: dict[str, list]
    events: int


def observed(scenario: Scenario, until: date | None) -> tuple[Scenario, date, date]:
    """*scenario* as a fit may read it: its record in the observed window only, without its
    interventions (the cast, which decides who may act, is built from what is left, so no
    actor becomes a party before its first recorded act), and the window."""
    start, end = observed_window(scenario, until)
    log = tuple(e for e in scenario.events if e.occurred_at < end)
    return attrs.evolve(scenario, events=log, interventions=(), branch_at=None), start, end


def _case(scenario: Scenario, half_life: float, until: date | None) -> _Case:
    seen, start, end = observed(scenario, until)
    params = Parameters(
        relations_half_life_days=half_life, recheck_days=scenario.dynamics.recheck_days
    )
    found = log_likelihood(seen, params=params, since=start, design=True, until=end)
    if found.impossible:
        index, why = found.impossible[0]
        raise FitError(
            f"{scenario.source_path or scenario.name}: events[{index}]: {why}; "
            "a log no rule could write cannot be fitted"
        )
    designs = {}
    for rule in dynamics.RULES:
        d = found.designs[rule.name]
        if d.rows:
            designs[rule.name] = (
                np.asarray(d.rows, dtype=float),
                np.asarray(d.days, dtype=float),
                np.asarray(d.counts, dtype=float),
            )
    marks = {name: d.marks for name, d in found.designs.items() if d.marks}
    return _Case(scenario.name, designs, marks, found.scored)


def _layout(
    rule: str, params: Sequence[str], cases: Sequence[str], freed: Mapping[str, frozenset[str]]
) -> tuple[tuple[str, ...], dict[str, np.ndarray]]:
    """A block's names (each parameter shared, and a copy per case that frees it) and, per
    case, the index of each of its parameters in the block."""
    names: list[str] = []
    for p in params:
        names.append(f"{rule}.{p}")
        names += [f"{c}:{rule}.{p}" for c in cases if f"{rule}.{p}" in freed[c]]
    place = {n: i for i, n in enumerate(names)}
    index = {
        c: np.asarray(
            [
                place[f"{c}:{rule}.{p}" if f"{rule}.{p}" in freed[c] else f"{rule}.{p}"]
                for p in params
            ],
            dtype=np.intp,
        )
        for c in cases
    }
    return tuple(names), index


def _priors(names: Sequence[str]) -> list[Prior]:
    return [prior(n.rpartition(":")[2]) for n in names]


def _prior_terms(priors: Sequence[Prior]) -> tuple[np.ndarray, np.ndarray]:
    return np.asarray([p.mean for p in priors]), np.asarray([p.sd for p in priors])


# --- one block: its log-posterior, maximum and curvature -------------------------------------


@attrs.frozen(eq=False)
class _Problem:
    """One block to fit: names, the log-posterior (with gradient and Hessian when exact) and
    a vectorised log-posterior over walkers for MCMC."""

    rule: str
    part: str
    names: tuple[str, ...]
    logpost: Callable[[np.ndarray], float]
    gradient: Callable[[np.ndarray], np.ndarray] | None
    hessian: Callable[[np.ndarray], np.ndarray] | None
    logpost_many: Callable[[np.ndarray], np.ndarray]
    start: np.ndarray


def _hazard_problem(
    rule: dynamics.Rule, cases: Sequence[_Case], freed: Mapping[str, frozenset[str]]
) -> _Problem:
    names, index = _layout(rule.name, rule.covariates, [c.name for c in cases], freed)
    mu, sd = _prior_terms(_priors(names))
    parts = [(c.designs[rule.name], index[c.name]) for c in cases if rule.name in c.designs]

    def logpost(z: np.ndarray) -> float:
        total = -0.5 * float(np.sum(((z - mu) / sd) ** 2))
        for (x, days, n), ix in parts:
            eta = np.minimum(x @ z[ix] - _LOG_DAYS, 50.0)
            total += float(n @ eta - days @ np.exp(eta))
        return total

    def gradient(z: np.ndarray) -> np.ndarray:
        g = -(z - mu) / sd**2
        for (x, days, n), ix in parts:
            eta = np.minimum(x @ z[ix] - _LOG_DAYS, 50.0)
            np.add.at(g, ix, x.T @ (n - days * np.exp(eta)))
        return g

    def hessian(z: np.ndarray) -> np.ndarray:
        h = -np.diag(1.0 / sd**2)
        for (x, days, _), ix in parts:
            eta = np.minimum(x @ z[ix] - _LOG_DAYS, 50.0)
            block = (x * (days * np.exp(eta))[:, None]).T @ x
            h[np.ix_(ix, ix)] -= block
        return h

    def logpost_many(zs: np.ndarray) -> np.ndarray:
        total = -0.5 * np.sum(((zs - mu) / sd) ** 2, axis=1)
        for (x, days, n), ix in parts:
            eta = np.minimum(x @ zs[:, ix].T - _LOG_DAYS, 50.0)
            total += n @ eta - days @ np.exp(eta)
        return total

    return _Problem(rule.name, "hazard", names, logpost, gradient, hessian, logpost_many, mu)


class _Values(dict):
    """Parameter values by name for a rule's mark density: the block's, else the default."""

    def __missing__(self, name: str) -> float:
        return DEFAULTS[name][0]


def _marks_problem(
    rule: dynamics.Rule, cases: Sequence[_Case], freed: Mapping[str, frozenset[str]]
) -> _Problem:
    names, index = _layout(rule.name, rule.mark_names, [c.name for c in cases], freed)
    priors = _priors(names)
    mu, sd = _prior_terms(priors)
    plain = [f"{rule.name}.{p}" for p in rule.mark_names]
    parts = [(c.marks[rule.name], index[c.name]) for c in cases if rule.name in c.marks]

    def logpost(z: np.ndarray) -> float:
        total = -0.5 * float(np.sum(((z - mu) / sd) ** 2))
        bound = [float(p.bound(v)) for p, v in zip(priors, z, strict=True)]
        for values, ix in parts:
            m = _Values(zip(plain, (bound[i] for i in ix), strict=True))
            total += sum(rule.mark_density(v, m) for v in values)
        return total if math.isfinite(total) else -math.inf

    def logpost_many(zs: np.ndarray) -> np.ndarray:
        return np.asarray([logpost(z) for z in zs])

    return _Problem(rule.name, "marks", names, logpost, None, None, logpost_many, mu)


def _maximise(problem: _Problem) -> tuple[np.ndarray, np.ndarray, float]:
    """The block's maximum, its covariance (the inverse of minus the Hessian there) and the
    maximised log-posterior."""
    if problem.gradient is not None:
        found = optimize.minimize(
            lambda z: -problem.logpost(z),
            problem.start,
            jac=lambda z: -problem.gradient(z),
            hess=lambda z: -problem.hessian(z),
            method="trust-exact",
        )
        z = found.x
        minus_h = -problem.hessian(z)
        if not found.success and np.linalg.norm(problem.gradient(z)) > 1e-4:
            raise FitError(f"the fit of {problem.rule}'s hazard did not converge: {found.message}")
    else:
        found = optimize.minimize(lambda z: -problem.logpost(z), problem.start, method="BFGS")
        z = found.x
        if not np.isfinite(found.fun):
            raise FitError(f"the fit of {problem.rule}'s marks found no finite maximum")
        minus_h = -_numeric_hessian(problem.logpost, z)
    return z, _inverse_pd(minus_h), problem.logpost(z)


def _numeric_hessian(f: Callable[[np.ndarray], float], z: np.ndarray) -> np.ndarray:
    """Central differences, step 1e-3 on the unconstrained scale."""
    k, step = len(z), 1e-3
    h = np.empty((k, k))
    for i in range(k):
        for j in range(i, k):
            e_i, e_j = np.eye(k)[i] * step, np.eye(k)[j] * step
            value = (f(z + e_i + e_j) - f(z + e_i - e_j) - f(z - e_i + e_j) + f(z - e_i - e_j)) / (
                4 * step * step
            )
            h[i, j] = h[j, i] = value
    return h


def _inverse_pd(a: np.ndarray) -> np.ndarray:
    """The inverse of a symmetric matrix that should be positive definite; eigenvalues too
    small (a flat or numerically noisy direction) are raised to 1e-8 first."""
    values, vectors = np.linalg.eigh((a + a.T) / 2.0)
    values = np.maximum(values, 1e-8)
    return (vectors / values) @ vectors.T


def _sample(problem: _Problem, mean: np.ndarray, cov: np.ndarray, draws: int, seed: int):
    """*draws* posterior draws of the block by emcee's affine-invariant ensemble sampler,
    started from the Laplace approximation; with the mean acceptance fraction."""
    import emcee

    k = len(mean)
    walkers = max(16, 2 * k + 2)
    steps_per_draw = 10  # thinning
    burn = 200
    rng = np.random.default_rng(seed)
    start = rng.multivariate_normal(mean, cov, size=walkers, method="eigh")
    sampler = emcee.EnsembleSampler(walkers, k, problem.logpost_many, vectorize=True)
    steps = burn + steps_per_draw * math.ceil(draws / walkers)
    state = emcee.State(start, random_state=np.random.RandomState(seed % 2**32).get_state())
    sampler.run_mcmc(state, steps, progress=False)
    chain = sampler.get_chain(discard=burn, thin=steps_per_draw, flat=True)
    return chain[:draws], float(np.mean(sampler.acceptance_fraction))


# --- the fit -----------------------------------------------------------------------------------


def fit(
    scenarios: Sequence[Scenario],
    until: date | None = None,
    half_lives: Sequence[float] = HALF_LIVES,
    posterior: int = 0,
    seed: int = 0,
) -> Fit:
    """Fit the dynamics to the records of *scenarios* (pooled), each observed to the later of
    its branch date and its last event, and before *until*; with *posterior* > 0, also draw
    that many posterior draws by MCMC (seeded by *seed*)."""
    if not scenarios:
        raise FitError("no scenario to fit")
    if not half_lives or not all(0 < h < math.inf for h in half_lives):
        raise FitError(f"half_lives must be days > 0 (got {tuple(half_lives)!r})")
    names = [s.name for s in scenarios]
    if len(set(names)) != len(names):
        raise FitError(
            f"two scenarios have the same name ({_first_repeat(names)!r}): cases must differ"
        )
    recheck = {s.dynamics.recheck_days for s in scenarios}
    if len(recheck) > 1:
        raise FitError(f"the scenarios have different [dynamics] recheck_days ({sorted(recheck)})")
    for s in scenarios:
        start, end = observed_window(s, until)
        if end <= start:
            raise FitError(
                f"{s.source_path or s.name}: nothing to fit: the record starts on {start}, "
                f"on or after --until {until}"
            )
    freed = {s.name: frozenset(s.dynamics.free) for s in scenarios}
    best = None
    profile = []
    for half_life in half_lives:
        cases = [_case(s, half_life, until) for s in scenarios]
        problems = _problems(cases, freed)
        results = [_maximise(p) for p in problems]
        total = sum(r[2] for r in results)
        profile.append((float(half_life), total))
        if best is None or total > best[0]:
            best = (total, half_life, cases, problems, results)
    _, half_life, cases, problems, results = best
    blocks = []
    for index, (problem, (z, cov, _)) in enumerate(zip(problems, results, strict=True)):
        draws = acceptance = None
        if posterior:
            draws, acceptance = _sample(problem, z, cov, posterior, seed * 1000 + index)
        blocks.append(Block(problem.rule, problem.part, problem.names, z, cov, draws, acceptance))
    result = Fit(
        cases=tuple(names),
        content_hashes=tuple(s.content_hash for s in scenarios),
        until=until,
        windows=tuple(observed_window(s, until) for s in scenarios),
        relations_half_life_days=float(half_life),
        recheck_days=recheck.pop(),
        profile=tuple(profile),
        blocks=tuple(blocks),
        events=sum(c.events for c in cases),
        log_likelihood=0.0,
        log_likelihood_defaults=0.0,
    )
    at_fit = sum(_total(s, result.parameters(s.name), until) for s in scenarios)
    at_defaults = sum(
        _total(s, Parameters(recheck_days=result.recheck_days), until) for s in scenarios
    )
    return attrs.evolve(result, log_likelihood=at_fit, log_likelihood_defaults=at_defaults)


def _problems(cases: Sequence[_Case], freed: Mapping[str, frozenset[str]]) -> list[_Problem]:
    out = []
    for rule in dynamics.RULES:
        out.append(_hazard_problem(rule, cases, freed))
        if rule.mark_names:
            out.append(_marks_problem(rule, cases, freed))
    return out


def _total(scenario: Scenario, params: Parameters, until: date | None) -> float:
    seen, start, end = observed(scenario, until)
    return log_likelihood(seen, params=params, since=start, until=end).total


def _first_repeat(names: Sequence[str]) -> str:
    seen: set[str] = set()
    for name in names:
        if name in seen:
            return name
        seen.add(name)
    return ""
