"""Every registered detector on synthetic series with known change points."""

from __future__ import annotations

import pytest

from vigila.detect import DETECTORS, Detector, Ensemble, make_detector

from .series import CHANGE, SCENARIOS, first_alert, noise, times

ALERT = 0.3  # one-in-a-thousand

# Largest delay, in points after the change, before a score of at least ALERT.
# None: not expected to catch it.
MAX_DELAY = {
    "level_shift": dict.fromkeys(DETECTORS, 2),
    "spike": dict.fromkeys(DETECTORS, 0),
    "variance_change": dict.fromkeys(DETECTORS, 5),
    "drift": {
        "default": 20,
        "ewma": 60,
        "robust": 20,
        "seasonal": 20,
        "cusum": 60,
        "range": 20,
        # A 15-minute window moves with a slow ramp; the likelihood judges the
        # deviations of a seasonal baseline that follows it.
        "window": None,
        "likelihood": None,
    },
}
CASES = [(s, d) for s, limits in MAX_DELAY.items() for d in DETECTORS if limits[d] is not None]


@pytest.mark.parametrize(("scenario", "name"), CASES)
def test_detects_change_within_bounded_delay(scenario: str, name: str) -> None:
    scores = make_detector(name).score_series(SCENARIOS[scenario](), times())
    assert max(scores[CHANGE - 200 : CHANGE]) < 1.0, "alerting flat out before the change"
    delay = first_alert(scores, ALERT)
    assert delay is not None and delay <= MAX_DELAY[scenario][name], (name, scenario, delay)


@pytest.mark.parametrize("name", sorted(DETECTORS))
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_stationary_noise_scores_low(name: str, seed: int) -> None:
    scores = make_detector(name).score_series(noise(seed, 5000), times(5000))[200:]
    alerts = sum(s >= ALERT for s in scores)
    assert sorted(scores)[len(scores) // 2] < 0.05
    assert alerts <= 0.005 * len(scores), alerts


@pytest.mark.parametrize("name", sorted(DETECTORS))
@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_scores_lie_in_unit_interval(name: str, scenario: str) -> None:
    scores = make_detector(name).score_series(SCENARIOS[scenario](), times())
    assert all(0.0 <= s <= 1.0 for s in scores)


@pytest.mark.parametrize("name", sorted(DETECTORS))
def test_flat_line_then_step_is_certain(name: str) -> None:
    xs = [45.0] * 1500 + [46.0] * 10
    scores = make_detector(name).score_series(xs, times(len(xs)))
    assert max(scores[:1500]) < 0.05
    assert max(scores[1500:]) >= 0.5


@pytest.mark.parametrize("name", sorted(DETECTORS))
def test_score_one_does_not_learn(name: str) -> None:
    det = make_detector(name)
    xs, ts = SCENARIOS["level_shift"](), times()
    for x, t in zip(xs[:1200], ts[:1200], strict=True):
        before = det.to_state()
        s = det.score_one(x, t)
        assert det.to_state() == before
        assert det.update(x, t) == s


@pytest.mark.parametrize("name", sorted(DETECTORS))
def test_learn_one_is_update_without_the_score(name: str) -> None:
    a, b = make_detector(name), make_detector(name)
    for x, t in zip(SCENARIOS["spike"](), times(), strict=True):
        a.learn_one(x, t)
        b.update(x, t)
    assert a.to_state() == b.to_state()


def test_scores_do_not_depend_on_the_future() -> None:
    xs, ts = SCENARIOS["level_shift"](), times()
    full = make_detector("default").score_series(xs, ts)
    prefix = make_detector("default").score_series(xs[:1100], ts[:1100])
    assert prefix == full[:1100]


def test_unknown_detector_names_the_choices() -> None:
    with pytest.raises(ValueError, match=r"unknown detector 'nope'.*default"):
        make_detector("nope")


def test_default_ensemble_is_silent_during_probation() -> None:
    xs = [0.0] * 10 + [1e6] * 10
    assert make_detector("default").score_series(xs, times(20)) == [0.0] * 20


class Echo(Detector):
    """Scores each value as itself (plus ``offset``), to drive the ensemble's gates."""

    def __init__(self, offset: float = 0.0) -> None:
        self.offset = offset

    def score_one(self, x: float, t: float) -> float:
        return x + self.offset

    def learn_one(self, x: float, t: float) -> None:
        pass


def test_ensemble_gates_probation_refractory_and_breakthrough() -> None:
    det = Ensemble([Echo()], probation=2, refractory=3, alert=0.3, breakthrough=0.4)
    xs = [0.9, 0.9, 0.2, 0.35, 0.6, 0.8, 0.1, 0.5, 0.9, 0.2]
    got = det.score_series(xs, times(len(xs)))
    # 0-1 probation, 3 alert, 4 silenced, 5 breaks through (>= 0.35 + 0.4) and
    # restarts the refractory period, 6-7 silenced, 8 after it, 9 silenced again.
    assert got == [0.0, 0.0, 0.2, 0.35, 0.0, 0.8, 0.0, 0.0, 0.9, 0.0]


def test_ensemble_takes_the_strongest_member() -> None:
    det = Ensemble([Echo(), Echo(offset=0.05)], probation=0)
    assert det.score_series([0.1, 0.2], times(2)) == pytest.approx([0.15, 0.25])
