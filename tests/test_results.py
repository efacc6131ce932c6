"""Saved results: what `--out` writes loads back to the same ensemble, provenance included."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from simulator.ensemble import run_ensemble
from simulator.outputs import write_files
from simulator.results import load_results, names, parquet_writers, provenance
from simulator.scenario import load_scenario


def save(tmp_path, *ensembles):
    write_files(tmp_path, parquet_writers(list(ensembles), provenance(list(ensembles))))
    return tmp_path


def assert_same(loaded, ensemble):
    pd.testing.assert_frame_equal(loaded.results, ensemble.results)
    if ensemble.parameters is None:
        assert loaded.parameters is None
    else:
        pd.testing.assert_frame_equal(loaded.parameters, ensemble.parameters)
    assert list(loaded.series) == list(ensemble.series)
    for name, values in ensemble.series.items():
        np.testing.assert_array_equal(loaded.series[name], values)
    np.testing.assert_array_equal(loaded.days, ensemble.days)
    for field in ("name", "start", "horizon", "branch", "seed", "content_hash", "version"):
        assert getattr(loaded, field) == getattr(ensemble, field), field
    assert loaded.id == ensemble.id


@pytest.fixture(scope="module")
def drawn():
    """An ensemble of the Transnistria case, which draws its parameters from the fit."""
    return run_ensemble(load_scenario("scenarios/transnistria.toml"), 12, 3, workers=1)


def test_an_ensemble_round_trips_with_its_parameters_series_and_provenance(tmp_path, drawn):
    assert drawn.parameters is not None and drawn.content_hash
    assert_same(load_results(save(tmp_path, drawn)), drawn)


def test_several_scenarios_in_one_folder_load_each_as_it_was(tmp_path, drawn):
    from tests.test_report import make_ensemble

    made = make_ensemble("made up", 40, 2)  # Int64 with gaps, all-missing, dates with gaps
    folder = save(tmp_path, drawn, made)
    assert names(folder) == [drawn.name, "made up"]
    assert_same(load_results(folder, "made up"), made)
    assert_same(load_results(folder, drawn.name), drawn)
    with pytest.raises(Exception, match="holds 2 scenarios"):
        load_results(folder)
    with pytest.raises(Exception, match="no results of 'other'"):
        load_results(folder, "other")


def test_a_folder_that_is_not_results_is_one_clear_error(tmp_path):
    from simulator.errors import DiplosimError

    (tmp_path / "results.parquet").write_bytes(b"not parquet")
    with pytest.raises(DiplosimError, match="not results written by diplosim"):
        load_results(tmp_path)
