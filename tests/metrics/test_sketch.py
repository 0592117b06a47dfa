"""Sketch wire form: round trips, bounded bins, and malformed bytes."""

from __future__ import annotations

import math

import msgspec
import numpy as np
import pytest

from vigila.metrics import MetricValidationError
from vigila.metrics.sketch import BIN_LIMIT, decode_sketch, encode_sketch, new_sketch


def test_round_trip_keeps_every_quantile():
    values = np.random.default_rng(7).normal(0, 50, 5000)  # negatives, zero region, positives
    sketch = new_sketch()
    for v in values:
        sketch.add(float(v))
    sketch.add(0.0)
    back = decode_sketch(encode_sketch(sketch))
    for q in (0.01, 0.25, 0.5, 0.75, 0.99):
        assert back.get_quantile_value(q) == pytest.approx(sketch.get_quantile_value(q))
    assert back.count == pytest.approx(sketch.count)


def test_empty_sketch_round_trips():
    assert decode_sketch(encode_sketch(new_sketch())).count == 0


def test_bins_stay_bounded_whatever_the_range():
    sketch = new_sketch()
    for exp in range(-300, 300):
        sketch.add(10.0**exp)
    data = encode_sketch(sketch)
    assert len(data) < 40 * BIN_LIMIT
    assert decode_sketch(data).get_quantile_value(1.0) == pytest.approx(1e299, rel=0.02)


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\xff\x00garbage",
        msgspec.msgpack.encode([2, 1.02, 0.0, 0, [], 0, []]),  # unknown version
        msgspec.msgpack.encode([1, 1.5, 0.0, 0, [], 0, []]),  # another accuracy
        msgspec.msgpack.encode([1, "x", 0.0, 0, [], 0, []]),
        msgspec.msgpack.encode([1, 1.0202020202020203, -1.0, 0, [], 0, []]),
        msgspec.msgpack.encode([1, 1.0202020202020203, 0.0, 0, [math.nan], 0, []]),
        msgspec.msgpack.encode([1, 1.0202020202020203, 0.0, 0, [1.0] * (BIN_LIMIT + 1), 0, []]),
    ],
)
def test_malformed_sketch_bytes_are_refused(data):
    with pytest.raises(MetricValidationError) as err:
        decode_sketch(data)
    assert err.value.field == "sketch"
