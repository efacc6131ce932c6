"""Ensembles: seeding from one SeedSequence, executors that agree, compact collection."""

from __future__ import annotations

import functools
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

from simulator import events
from simulator.ensemble import SeedRoot, monthly_days, run_ensemble, sample_days, simulate_run
from simulator.scenario import Scenario
from simulator.store import open_store

TOY = Scenario(name="toy", start=date(2020, 1, 1), horizon=date(2021, 1, 1))


class ToyRun:
    """A stand-in run for the collection machinery: every metric kind, seeded by the seed."""

    def __init__(self, scenario: Scenario, seed: np.random.SeedSequence) -> None:
        rng = np.random.default_rng(seed)
        self.level = float(rng.normal())
        self.day = int(rng.integers(1, 365))
        self.war = bool(rng.random() < 0.4)
        onset = scenario.start + timedelta(days=self.day)
        self.metrics = {
            "war_resumed": self.war,
            "war_resumed_date": onset if self.war else None,
            "war_resumed_day": self.day if self.war else None,
            "displaced": int(rng.poisson(5000)),
            "relations": {("A", "B"): self.level},
            "never": None,
        }
        self.events = [events.Statement(occurred_at=onset, speaker="A", kind="comment")]
        self.causes = [f"toy:{self.day}"]

    def sample(self, days: np.ndarray) -> dict[str, np.ndarray]:
        return {
            "relations:A-B": self.level * np.arange(len(days)),
            "war": (np.asarray(days) >= self.day) & self.war,
        }


def toy_simulate(scenario: Scenario, seed: np.random.SeedSequence) -> ToyRun:
    return ToyRun(scenario, seed)


def run_toy(runs: int = 40, seed: int = 11, **options):
    return run_ensemble(TOY, runs, seed, simulate=toy_simulate, **options)


def assert_same(a, b) -> None:
    pd.testing.assert_frame_equal(a.results, b.results)
    assert list(a.series) == list(b.series)
    for name in a.series:
        np.testing.assert_array_equal(a.series[name], b.series[name])
    np.testing.assert_array_equal(a.days, b.days)


def test_run_i_is_seeded_with_child_i_of_the_ensemble_seed_sequence():
    children = np.random.SeedSequence(2024).spawn(50)
    root = SeedRoot.of(2024)
    for index in (0, 1, 17, 49):
        expected = children[index].generate_state(8)
        np.testing.assert_array_equal(root.child(index).generate_state(8), expected)


def test_a_seed_sequence_seeds_its_next_children():
    parent = np.random.SeedSequence(5)
    parent.spawn(3)  # already used three children
    root = SeedRoot.of(parent)
    later = np.random.SeedSequence(5)
    expected = later.spawn(6)[3:]
    for index, child in enumerate(expected):
        np.testing.assert_array_equal(root.child(index).generate_state(4), child.generate_state(4))


def test_results_do_not_depend_on_chunking_nor_on_the_process_pool():
    one = run_toy(workers=1)
    assert_same(one, run_toy(workers=1, chunk_size=7))
    assert_same(one, run_toy(workers=2, chunk_size=3))


def test_the_same_seed_repeats_and_another_seed_differs():
    assert_same(run_toy(seed=3, workers=1), run_toy(seed=3, workers=1))
    a, b = run_toy(seed=3, workers=1), run_toy(seed=4, workers=1)
    assert not a.results["displaced"].equals(b.results["displaced"])


def test_without_a_seed_the_drawn_seed_is_kept_and_reproduces_the_runs():
    drawn = run_toy(seed=None, workers=1)
    again = run_ensemble(TOY, 40, drawn.seed.entropy, simulate=toy_simulate, workers=1)
    assert_same(drawn, again)


def test_metrics_become_columns_of_their_natural_type():
    ensemble = run_toy(runs=60, workers=1, chunk_size=5)
    frame = ensemble.results
    assert list(frame.columns) == [
        "war_resumed",
        "war_resumed_date",
        "war_resumed_day",
        "displaced",
        "relations.A-B",
        "never",
    ]
    assert frame.index.name == "run" and list(frame.index) == list(range(60))
    assert frame["war_resumed"].dtype == bool
    assert pd.api.types.is_datetime64_any_dtype(frame["war_resumed_date"])
    assert (frame["war_resumed_date"].notna() == frame["war_resumed"]).all()
    assert str(frame["war_resumed_day"].dtype) == "Int64"
    assert frame["displaced"].dtype == np.int64
    assert frame["relations.A-B"].dtype == np.float64
    assert frame["never"].isna().all()


def test_series_are_runs_by_sample_days():
    ensemble = run_toy(runs=30, workers=1)
    assert ensemble.series["relations:A-B"].shape == (30, len(ensemble.days))
    assert ensemble.series["relations:A-B"].dtype == np.float32
    first = toy_simulate(TOY, SeedRoot.of(11).child(12))
    expected = first.sample(ensemble.days)["relations:A-B"].astype(np.float32)
    np.testing.assert_array_equal(ensemble.series["relations:A-B"][12], expected)
    assert ensemble.dates[0] == pd.Timestamp(TOY.start) and ensemble.dates[-1] == pd.Timestamp(
        TOY.horizon
    )


def test_sample_days_are_monthly_from_the_branch_date_to_the_horizon():
    days = monthly_days(date(2020, 1, 1), date(2020, 1, 31), date(2020, 5, 15))
    dates = [date(2020, 1, 1) + timedelta(days=int(d)) for d in days]
    assert dates == [
        date(2020, 1, 31),
        date(2020, 2, 29),
        date(2020, 3, 31),
        date(2020, 4, 30),
        date(2020, 5, 15),
    ]
    branched = Scenario(
        name="b", start=date(2020, 1, 1), horizon=date(2021, 1, 1), branch_at=date(2020, 6, 10)
    )
    assert sample_days(branched)[0] == (date(2020, 6, 10) - date(2020, 1, 1)).days


def test_every_runs_events_go_to_its_own_stream_with_their_causation():
    from simulator.recording import ensemble_stream

    store = open_store("memory://")
    ensemble = run_toy(runs=12, workers=2, chunk_size=5, store=store)
    name = functools.partial(ensemble_stream, "toy", TOY.content_hash, ensemble.id)
    assert store.streams() == sorted(name(i) for i in range(12))
    record = next(store.read(name(7)))
    assert record.meta["run"] == 7 and record.meta["ensemble"] == ensemble.id
    run = toy_simulate(TOY, SeedRoot.of(11).child(7))
    assert record.event == run.events[0]
    assert record.causation == run.causes[0]


def test_a_metric_of_two_kinds_is_refused():
    with pytest.raises(TypeError, match="metric 'odd'"):
        run_ensemble(TOY, 12, 1, simulate=two_kinds, workers=1, chunk_size=4)


def two_kinds(scenario, seed):
    run = toy_simulate(scenario, seed)
    run.metrics["odd"] = "text" if run.war else 1.5
    return run


@pytest.mark.parametrize("runs", [0, -3, 2.5])
def test_a_bad_number_of_runs_is_refused(runs):
    with pytest.raises(ValueError, match="runs must be"):
        run_ensemble(TOY, runs, 1, simulate=toy_simulate)


# --- with the engine, on the recorded case ----------------------------------------------------

RECORDED = "scenarios/nagorno_karabakh.toml"


@pytest.fixture(scope="module")
def recorded():
    from simulator import load_scenario

    return load_scenario(RECORDED)


def test_every_executor_gives_identical_results(recorded):
    from distributed import Client, LocalCluster

    inline = run_ensemble(recorded, 20, 99, workers=1)
    assert_same(inline, run_ensemble(recorded, 20, 99, workers=2, chunk_size=3))
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
        ) as cluster,
        Client(cluster) as client,
    ):
        assert_same(inline, run_ensemble(recorded, 20, 99, dask=client, chunk_size=4))
    assert inline.results["war_resumed"].dtype == bool


def test_a_stored_run_replays_to_the_same_path(recorded, tmp_path):
    from simulator.recording import ensemble_stream

    store = open_store(f"sqlite:///{tmp_path / 'runs.db'}")
    ensemble = run_ensemble(recorded, 4, 5, workers=1, store=store)
    stream = ensemble_stream(recorded.name, recorded.content_hash, ensemble.id, 2)
    assert stream in store.streams()
    again = simulate_run(recorded, 4, 5, 2)
    records = list(store.read(stream))
    assert [r.event for r in records] == again.events
    assert [r.causation for r in records] == again.causes
    assert store.verify().ok


def test_the_same_ensemble_stored_twice_adds_nothing_and_another_gets_its_own_streams():
    store = open_store("memory://")
    run_toy(runs=4, workers=1, store=store)
    before = list(store.read_all())
    run_toy(runs=4, workers=1, store=store)
    assert list(store.read_all()) == before
    run_toy(runs=4, seed=12, workers=1, store=store)
    assert len(store.streams()) == 8


def test_an_ensemble_that_fails_leaves_nothing_in_the_store():
    store = open_store("memory://")
    with pytest.raises(TypeError, match="metric 'odd'"):
        run_ensemble(TOY, 12, 1, simulate=two_kinds, workers=1, chunk_size=4, store=store)
    assert store.streams() == []
