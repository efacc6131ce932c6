"""`diplosim fit`: estimate the dynamics' parameters from the records of one or more scenarios
(pooled), print the estimates with their intervals and write a fit file (docs/calibration.md)."""

from __future__ import annotations

import argparse

from simulator.cli.options import add_scenario_options, scenario_from
from simulator.cli.relations import day_argument


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("scenarios", metavar="SCENARIO", nargs="+", help="scenario files (TOML)")
    add_scenario_options(parser)
    parser.add_argument("--out", required=True, help="the fit file to write (TOML)")
    parser.add_argument(
        "--until",
        type=day_argument,
        help="fit on the record before this day only (default: all of each record)",
    )
    parser.add_argument(
        "--posterior",
        type=_draws,
        default=0,
        metavar="N",
        help="also draw N posterior draws by MCMC (emcee) and keep them in the fit file",
    )
    parser.add_argument("--seed", type=_draws, default=0, help="seed of the MCMC (default 0)")
    parser.add_argument(
        "--all", action="store_true", help="list every parameter (default: the informed ones)"
    )
    parser.set_defaults(handler=handle)


def _draws(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if not 0 <= value <= 1_000_000:
        raise argparse.ArgumentTypeError(f"expected a whole number 0 to 1000000 (got {text!r})")
    return value


def handle(args: argparse.Namespace) -> int:
    from simulator.calibration.fit import fit
    from simulator.calibration.fitfile import write_fit

    scenarios = [scenario_from(args, path) for path in args.scenarios]
    found = fit(scenarios, until=args.until, posterior=args.posterior, seed=args.seed)
    write_fit(found, args.out)
    print(describe(found, every=args.all))
    print(f"\nwritten to {args.out}")
    return 0


INFORMED = 0.9  # an estimate whose sd is below this share of its prior's is led by the data


def describe(found, every: bool = False) -> str:
    """The fit as text: what was fitted, the half-life profile, the log-likelihoods and the
    table of estimates with 95% intervals (Laplace, or posterior quantiles when sampled)."""
    from simulator.calibration.fitfile import interval
    from simulator.calibration.priors import prior
    from simulator.dynamics import DEFAULTS

    lines = []
    for case, (start, end) in zip(found.cases, found.windows, strict=True):
        lines.append(f"case {case}: record from {start} to {end} (excluded)")
    lines.append(f"{found.events} events scored, pooled")
    chosen = found.relations_half_life_days
    profile = ", ".join(f"{h:g}: {v:.1f}{' *' if h == chosen else ''}" for h, v in found.profile)
    lines.append(f"relations_half_life_days chosen on a grid (log-posterior): {profile}")
    lines.append(
        f"log-likelihood at the estimates {found.log_likelihood:.1f}, "
        f"at the defaults {found.log_likelihood_defaults:.1f}"
    )
    rows = []
    hidden = 0
    for name, (z, sd) in found.unconstrained().items():
        plain = name.rpartition(":")[2]
        share = sd / prior(plain).sd
        if share >= INFORMED and not every:
            hidden += 1
            continue
        value, low, high = interval(name, z, sd)
        rows.append((name, value, low, high, share, DEFAULTS[plain][0]))
    lines += [
        "",
        f"{'parameter':<34}{'estimate':>11}{'95% interval (Laplace)':>26}"
        f"{'sd/prior':>10}{'default':>10}",
    ]
    for name, value, low, high, share, default in rows:
        bounds = f"[{low:>10.4g}, {high:>10.4g}]"
        lines.append(f"{name:<34}{value:>11.4g}   {bounds}{share:>10.2f}{default:>10.4g}")
    if hidden:
        lines.append(
            f"({hidden} parameters the records hardly inform (sd/prior >= {INFORMED}) left out: "
            "their estimates stay near the defaults; --all lists them)"
        )
    sampled = [b for b in found.blocks if b.draws is not None]
    if sampled:
        worst = min(b.acceptance for b in sampled)
        lines.append(
            f"posterior: {len(sampled[0].draws)} draws a block by MCMC (emcee), "
            f"lowest acceptance fraction {worst:.2f}"
        )
    return "\n".join(lines)
