"""Stochastic behaviour models: their parameters (named, with defaults) and SimPy processes."""

from __future__ import annotations

import attrs


@attrs.frozen(kw_only=True)
class Parameters:
    """Every rate and effect of the dynamics, overridable in a scenario's `[dynamics]` table."""

    enabled: bool = True
