"""Array state: batches over many entities give the scalar detectors' results, bit for bit."""

from __future__ import annotations

import math
import random
from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vigila.detect import (
    EWMA,
    Detector,
    Likelihood,
    RangeNovelty,
    Seasonal,
    StateError,
    WindowBaseline,
    default_detector,
)
from vigila.detect.arrays import (
    DetectorArrays,
    EWMAArrays,
    LikelihoodArrays,
    MetricArrays,
    RangeNoveltyArrays,
    SeasonalArrays,
    WindowArrays,
    default_detector_arrays,
    rounds,
)
from vigila.detect.arrays.base import floor_div

Event = tuple[int, float, float]  # entity slot, value, epoch seconds
START = 1_700_000_000.0

PAIRS: dict[str, tuple[Callable[[], Detector], Callable[[], DetectorArrays]]] = {
    "default": (default_detector, default_detector_arrays),
    "ewma": (EWMA, EWMAArrays),
    "seasonal": (Seasonal, SeasonalArrays),
    "likelihood": (Likelihood, LikelihoodArrays),
    "likelihood-window-1": (
        lambda: Likelihood(EWMA(), window=1),
        lambda: LikelihoodArrays(EWMAArrays(), window=1),
    ),
    "likelihood-window-6": (
        lambda: Likelihood(EWMA(0.01), window=6),
        lambda: LikelihoodArrays(EWMAArrays(0.01), window=6),
    ),
    "range": (RangeNovelty, RangeNoveltyArrays),
}


def series(kind: int, n: int, rng: random.Random) -> tuple[list[float], list[float]]:
    """Values and times of one entity of a kind: noise, flat line, daily cycle, spikes,
    wild magnitudes, gaps, small counts."""
    cadence = (60.0, 60.0, 600.0, 30.0, 1.0, 60.0, 15.0)[kind]
    level = 10.0 ** rng.randint(-3, 6)
    times, values, t = [], [], START + rng.uniform(0.0, 3600.0)
    for i in range(n):
        t += cadence
        if kind == 5 and rng.random() < 0.02:
            t += rng.choice((1800.0, 7200.0))  # a gap longer than the window
        if kind == 0:
            x = rng.gauss(level, 0.05 * level)
        elif kind == 1:
            x = 42.0 if i < 0.7 * n else 43.0
        elif kind == 2:
            x = level * (2.0 + math.sin(2.0 * math.pi * t / 86_400.0)) + rng.gauss(0.0, 0.1 * level)
        elif kind == 3:
            x = rng.gauss(level, 0.1 * level) * (10.0 if rng.random() < 0.02 else 1.0)
        elif kind == 4:
            sign = rng.choice((-1.0, 0.0, 1.0, 1.0))
            x = sign * 10.0 ** rng.uniform(-12, 12)
        elif kind == 5:
            x = rng.gauss(level, 0.02 * level)
        else:
            x = float(rng.choice((0, 0, 1, 2, 3, 5, 8)))
        times.append(t)
        values.append(x)
    return values, times


def fleet(entities: int = 50, points: int = 400, seed: int = 5) -> list[Event]:
    """Events of heterogeneous entities in arrival order; a few carry an older timestamp."""
    rng = random.Random(seed)
    events = []
    for e in range(entities):
        values, times = series(e % 7, points, rng)
        events += [(e, x, t) for x, t in zip(values, times, strict=True)]
    events.sort(key=lambda ev: ev[2])
    return [
        (e, x, t - rng.choice((30.0, 200.0, 1000.0, 5000.0)) if rng.random() < 0.03 else t)
        for e, x, t in events
    ]


def batches(events: list[Event], seed: int = 9) -> list[list[Event]]:
    """The events cut into batches of random sizes, in which entities repeat."""
    rng = random.Random(seed)
    out, i = [], 0
    while i < len(events):
        size = rng.choice((1, 7, 50, 300, 1000))
        out.append(events[i : i + size])
        i += size
    return out


def keeps(score: float) -> bool:
    """The window learns what did not look anomalous, as a pack's gate would."""
    return score < 0.5


class Scalar:
    """The reference: one scalar detector and window per entity, point by point."""

    def __init__(self, make: Callable[[], Detector]) -> None:
        self.make = make
        self.detectors: dict[int, Detector] = {}
        self.windows: dict[int, WindowBaseline] = {}

    def run(self, events: list[Event]) -> np.ndarray:
        rows = []
        for e, x, t in events:
            det = self.detectors.setdefault(e, self.make())
            window = self.windows.setdefault(e, WindowBaseline())
            moments, stats = window.moments(t), window.stats(t)
            before = det.score_one(x, t)
            s = det.update(x, t)
            if keeps(s):
                window.learn_one(x, t)
            rows.append((*moments, *stats, before, s))
        return np.array(rows, dtype=np.float64)


class Arrays:
    """The same through the arrays, a batch at a time, round by round."""

    def __init__(self, make: Callable[[], DetectorArrays]) -> None:
        self.detector = make()
        self.window = WindowArrays()

    def run_batch(self, batch: list[Event]) -> np.ndarray:
        slots = np.array([e for e, _, _ in batch], dtype=np.intp)
        x = np.array([v for _, v, _ in batch])
        t = np.array([s for _, _, s in batch])
        self.detector.ensure(int(slots.max()) + 1)
        self.window.ensure(int(slots.max()) + 1)
        out = np.empty((len(batch), 9))
        for rows in rounds(slots):
            s_, x_, t_ = slots[rows], x[rows], t[rows]
            moments, stats = self.window.moments(s_, t_), self.window.stats(s_, t_)
            before = self.detector.score(s_, x_, t_)
            s = self.detector.update(s_, x_, t_)
            keep = s < 0.5
            self.window.learn(s_[keep], x_[keep], t_[keep])
            out[rows] = np.column_stack([*moments, *stats, before, s])
        return out

    def run(self, events: list[Event]) -> np.ndarray:
        return np.concatenate([self.run_batch(b) for b in batches(events)])


def assert_identical(got: np.ndarray, want: np.ndarray) -> None:
    """Equal bit for bit: NaN where NaN, and the sign of zero too."""
    np.testing.assert_array_equal(got, want)
    assert got.tobytes() == want.tobytes()


def assert_same_states(scalar: Scalar, arrays: Arrays) -> None:
    """Batch and one-slot states are the scalar ``to_state()`` bytes."""
    entities = sorted(scalar.detectors)
    detectors = [scalar.detectors[e].to_state() for e in entities]
    windows = [scalar.windows[e].to_state() for e in entities]
    slots = np.array(entities, dtype=np.intp)
    assert arrays.detector.states(slots) == detectors
    assert arrays.window.states(slots) == windows
    assert [arrays.detector.state_of(e) for e in entities] == detectors
    assert [arrays.window.state_of(e) for e in entities] == windows


@pytest.fixture(scope="module")
def events() -> list[Event]:
    return fleet()


@pytest.mark.parametrize("name", sorted(PAIRS))
def test_batches_give_the_scalar_results_bit_for_bit(name: str, events: list[Event]) -> None:
    make_scalar, make_arrays = PAIRS[name]
    scalar, arrays = Scalar(make_scalar), Arrays(make_arrays)
    want, got = scalar.run(events), arrays.run(events)
    assert_identical(got, want)
    assert_same_states(scalar, arrays)


def test_the_fleet_exercises_what_could_differ(events: list[Event]) -> None:
    scalar = Scalar(default_detector)
    results = scalar.run(events)
    scores = results[:, 8]
    assert (scores >= 0.3).sum() > 20 and (scores == 1.0).any()  # alerts, and gated repeats
    assert np.isnan(results[:, 6]).any() and (results[:, 0] >= 50).any()  # empty and full windows
    full = [len(sk.bins) for w in scalar.windows.values() for sk in w.sketches]
    assert max(full) == 24  # sketches that collapsed
    assert any(len(b) < 3 for b in batches(events)) and any(len(b) > 500 for b in batches(events))


def test_states_restored_mid_run_resume_identically(events: list[Event]) -> None:
    cut = len(events) // 2
    scalar = Scalar(default_detector)
    scalar.run(events[:cut])
    resumed = Arrays(default_detector_arrays)
    n = max(scalar.detectors) + 1
    resumed.detector.ensure(n)
    resumed.window.ensure(n)
    for e, det in scalar.detectors.items():
        resumed.detector.load(e, det.to_state())
        resumed.window.load(e, scalar.windows[e].to_state())
    assert_same_states(scalar, resumed)
    assert_identical(resumed.run(events[cut:]), scalar.run(events[cut:]))
    assert_same_states(scalar, resumed)


def test_growing_keeps_states_and_reset_forgets() -> None:
    det, window = default_detector_arrays(), WindowArrays()
    det.ensure(1)
    window.ensure(1)
    slot, ones = np.array([0]), np.ones(1)
    for i in range(200):
        det.update(slot, ones * (i % 4), ones * 60.0 * i)
        window.learn(slot, ones * (i % 4), ones * 60.0 * i)
    saved, window_saved = det.state_of(0), window.state_of(0)
    det.ensure(1000)
    window.ensure(3)
    assert det.capacity == window.capacity == 1000 or window.capacity == 3
    assert det.state_of(0) == saved and window.state_of(0) == window_saved
    assert det.state_of(999) == default_detector().to_state()
    det.reset(slot)
    window.reset(slot)
    assert det.state_of(0) == default_detector().to_state()
    assert window.states(np.array([0, 2])) == [WindowBaseline().to_state()] * 2
    assert det.states(np.array([], dtype=np.intp)) == []


def test_capacity_at_least_doubles() -> None:
    det = EWMAArrays()
    det.ensure(3)
    det.ensure(4)
    assert det.capacity == 6
    det.ensure(100)
    assert det.capacity == 100


@pytest.mark.parametrize("name", sorted(PAIRS))
def test_foreign_state_is_refused_with_the_detector_name(name: str) -> None:
    make_scalar, make_arrays = PAIRS[name]
    arrays = make_arrays()
    arrays.ensure(1)
    with pytest.raises(StateError, match=type(make_scalar()).__name__):
        arrays.load(0, b"\x07" * 5)


def test_window_refuses_sketches_over_its_bins() -> None:
    wide = WindowBaseline(max_bins=40)
    for i in range(300):
        wide.learn_one(1.5**i, t=float(i))
    window = WindowArrays()
    window.ensure(1)
    with pytest.raises(StateError, match="LogSketch"):
        window.load(0, wide.to_state())


def test_window_needs_a_merge_that_does_not_collapse() -> None:
    with pytest.raises(ValueError, match="buckets"):
        WindowArrays(buckets=11, max_bins=24)


def test_metric_arrays_save_and_restore_every_metric() -> None:
    state = MetricArrays(("a", "b"))
    state.ensure(2)
    slots, t = np.array([0, 1]), np.array([60.0, 60.0])
    state.windows["a"].learn(slots, np.array([1.0, 2.0]), t)
    state.detectors["b"].update(slots, np.array([3.0, 4.0]), t)
    copy = MetricArrays(("a", "b"))
    copy.ensure(2)
    copy.load(1, state.states_of(1))
    assert copy.states_of(1) == state.states_of(1) != copy.states_of(0)
    with pytest.raises(StateError, match="MetricArrays"):
        copy.load(0, state.states_of(1)[:3])


def test_rounds_apply_each_entity_in_event_order() -> None:
    slots = np.array([4, 4, 2, 4, 9, 2])
    assert [r.tolist() for r in rounds(slots)] == [[0, 2, 4], [1, 5], [3]]
    assert rounds(np.array([], dtype=np.intp)) == []


@given(st.lists(st.one_of(st.integers(0, 6), st.integers(65_530, 200_000)), max_size=60))
def test_rounds_partition_a_batch_into_unique_slots(entities: list[int]) -> None:
    slots = np.array(entities, dtype=np.intp)
    parts = rounds(slots)
    assert sorted(np.concatenate(parts).tolist() if parts else []) == list(range(len(slots)))
    for k, rows in enumerate(parts):
        assert len(set(slots[rows].tolist())) == len(rows)
        assert rows.tolist() == sorted(rows.tolist())
        for r in rows.tolist():  # the k-th occurrence of its entity
            assert entities[:r].count(entities[r]) == k


@given(
    st.lists(
        st.one_of(
            st.floats(-1e12, 1e12, allow_nan=False),
            st.integers(-10**6, 10**6).map(lambda k: k * 180.0),
            st.integers(-10**9, 10**9).map(float),
        ),
        min_size=1,
    ),
    st.sampled_from((180.0, 7200.0, 86_400.0 / 7, 0.1, 3.0)),
)
def test_floor_div_is_pythons(ts: list[float], width: float) -> None:
    want = np.array([t // width for t in ts])
    assert_identical(floor_div(np.array(ts), width), want)


values = st.one_of(
    st.floats(-1e9, 1e9, allow_nan=False),
    st.sampled_from((0.0, -0.0, 1.0, 1.0, 7.5, 1e-10, -3.0)),
)
events_strategy = st.lists(
    st.tuples(st.integers(0, 3), values, st.integers(-1200, 1200)), min_size=1, max_size=250
)


@settings(max_examples=60, deadline=None)
@given(events_strategy)
def test_any_batch_gives_the_scalar_results(raw: list[tuple[int, float, int]]) -> None:
    """Timestamps walk forward and back; values repeat, flatline and jump."""
    events, t = [], START
    for e, x, step in raw:
        t += step
        events.append((e, x, t))
    scalar, arrays = Scalar(default_detector), Arrays(default_detector_arrays)
    assert_identical(arrays.run(events), scalar.run(events))
    assert_same_states(scalar, arrays)
