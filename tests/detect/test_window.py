"""The 15-minute window baseline and its quantile sketch."""

from __future__ import annotations

import math
import random

import pytest

from vigila.detect import LogSketch, WindowBaseline


@pytest.mark.parametrize("q", [0.5, 0.9, 0.99])
def test_sketch_quantiles_within_relative_accuracy(q: float) -> None:
    rng = random.Random(1)
    xs = [rng.lognormvariate(3.0, 1.0) for _ in range(5000)]
    sk = LogSketch(accuracy=0.02, max_bins=255)
    for x in xs:
        sk.learn_one(x)
    exact = sorted(xs)[int(q * (len(xs) - 1))]
    assert abs(sk.quantile(q) - exact) <= 0.021 * exact


def test_bounded_sketch_keeps_the_upper_tail() -> None:
    xs = [float(v) for v in range(1, 10_001)]
    sk = LogSketch(accuracy=0.02, max_bins=24)
    for x in xs:
        sk.learn_one(x)
    assert len(sk.bins) == 24
    assert abs(sk.quantile(0.99) - 9900.0) <= 0.021 * 9900.0


def test_sketch_handles_zero_and_negatives_in_order() -> None:
    sk = LogSketch()
    for x in (-5.0, -1.0, 0.0, 1.0, 5.0):
        sk.learn_one(x)
    got = [sk.quantile(q) for q in (0.0, 0.25, 0.5, 0.75, 1.0)]
    assert got == pytest.approx([-5.0, -1.0, 0.0, 1.0, 5.0], rel=0.02)


def test_sketches_merge() -> None:
    a, b = LogSketch(), LogSketch()
    for v in range(1, 501):
        a.learn_one(float(v))
        b.learn_one(float(v + 500))
    a.merge(b)
    assert a.count == 1000
    assert a.quantile(0.5) == pytest.approx(500.0, rel=0.021)


def test_window_stats_cover_the_last_fifteen_minutes() -> None:
    det = WindowBaseline()
    for i in range(1800):  # 30 minutes, one point a second: 0 for 15 minutes, then 100 + (i % 10)
        det.learn_one(0.0 if i < 900 else 100.0 + i % 10, t=float(i))
    stats = det.stats(t=1799.5)
    assert stats.count == 900
    assert stats.mean == pytest.approx(104.5)
    assert stats.std == pytest.approx(math.sqrt(8.25))
    assert stats.p99 == pytest.approx(109.0, rel=0.02)


def test_window_forgets_and_ignores_stale_points() -> None:
    det = WindowBaseline()
    det.learn_one(1.0, t=0.0)
    det.learn_one(2.0, t=2000.0)
    det.learn_one(50.0, t=10.0)  # older than the window: dropped
    assert det.stats(t=2000.0).count == 1
    empty = det.stats(t=5000.0)
    assert empty.count == 0 and math.isnan(empty.mean) and math.isnan(empty.p99)


def test_window_deviation_accounts_for_few_points() -> None:
    few, many = WindowBaseline(), WindowBaseline()
    for i in range(5):
        few.learn_one(10.0 + (i % 2), t=float(i))
    for i in range(500):
        many.learn_one(10.0 + (i % 2), t=float(i))
    assert few.score_one(13.0, t=5.0) < many.score_one(13.0, t=500.0)
