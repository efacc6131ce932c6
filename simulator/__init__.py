"""diplosim: an event-sourced simulator of diplomatic and conflict scenarios.

The public names are imported on first use, so `import simulator` stays cheap for the
command line and for worker processes.
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

_PUBLIC = {
    "open_store": "simulator.store",
    "load_scenario": "simulator.scenario",
    "simulate": "simulator.engine",
    "run_ensemble": "simulator.ensemble",
    "simulate_run": "simulator.ensemble",
    "run_comparison": "simulator.comparison",
    "load_results": "simulator.results",
}

__all__ = ["__version__", *_PUBLIC]


def __getattr__(name: str):
    if name in _PUBLIC:
        return getattr(importlib.import_module(_PUBLIC[name]), name)
    raise AttributeError(f"module 'simulator' has no attribute {name!r}")
