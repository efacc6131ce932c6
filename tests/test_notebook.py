"""The comparison notebook runs from top to bottom (few runs) and draws its figures."""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbclient import NotebookClient

NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "compare_scenarios.ipynb"


def test_the_comparison_notebook_runs_and_draws_figures(monkeypatch):
    monkeypatch.setenv("DIPLOSIM_NOTEBOOK_RUNS", "12")
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    client = NotebookClient(
        notebook,
        timeout=300,
        kernel_name="python3",
        resources={"metadata": {"path": str(NOTEBOOK.parent)}},
    )
    client.execute()  # raises CellExecutionError naming the cell if any cell fails
    outputs = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    figures = [o for o in outputs if "image/png" in o.get("data", {})]
    assert len(figures) >= 4
    printed = "".join(o.get("text", "") for o in outputs)
    assert "12 runs per scenario" in printed
