"""States: bounded, compact, and a restart resumes exactly where it stopped."""

from __future__ import annotations

import random

import pytest

from vigila.detect import DETECTORS, Likelihood, StateError, make_detector

from .series import SCENARIOS, times

LIMIT = 1024  # bytes per series


def wild(n: int = 20_000, seed: int = 3) -> list[float]:
    """Values over many orders of magnitude and both signs: the worst case for sketches."""
    rng = random.Random(seed)
    return [rng.choice((-1.0, 1.0)) * 10.0 ** rng.uniform(-6, 9) for _ in range(n)]


@pytest.mark.parametrize("name", sorted(DETECTORS))
def test_state_stays_under_one_kilobyte(name: str) -> None:
    det = make_detector(name)
    xs = wild()
    # One point a second: every window bucket fills with many distinct bins.
    det.score_series(xs, [1e9 + i for i in range(len(xs))])
    assert len(det.to_state()) <= LIMIT


def test_default_state_size_is_fixed() -> None:
    det = make_detector("default")
    size = len(det.to_state())
    det.score_series(wild(5000), times(5000))
    assert len(det.to_state()) == size < LIMIT


@pytest.mark.parametrize("name", sorted(DETECTORS))
@pytest.mark.parametrize("scenario", ["level_shift", "variance_change"])
def test_restart_resumes_with_identical_scores(name: str, scenario: str) -> None:
    xs, ts = SCENARIOS[scenario](), times()
    cut = 900
    straight = make_detector(name).score_series(xs, ts)

    first = make_detector(name)
    head = first.score_series(xs[:cut], ts[:cut])
    saved = first.to_state()
    resumed = make_detector(name)
    resumed.from_state(saved)
    assert resumed.to_state() == saved
    tail = resumed.score_series(xs[cut:], ts[cut:])

    assert head + tail == straight


@pytest.mark.parametrize("name", sorted(DETECTORS))
def test_foreign_state_is_refused_with_the_detector_name(name: str) -> None:
    det = make_detector(name)
    with pytest.raises(StateError, match=type(det).__name__):
        det.from_state(b"\x07" * 5)


def test_state_of_another_configuration_is_refused() -> None:
    with pytest.raises(StateError, match="same parameters"):
        Likelihood(window=5).from_state(Likelihood(window=3).to_state())
