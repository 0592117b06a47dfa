"""Sketch bins against the ddsketch library, collapsing, the wire form and malformed bytes."""

from __future__ import annotations

import math

import msgspec
import numpy as np
import pytest
from ddsketch.ddsketch import BaseDDSketch
from ddsketch.mapping import LogarithmicMapping
from ddsketch.store import CollapsingLowestDenseStore
from hypothesis import given, settings
from hypothesis import strategies as st

from vigila.metrics import MetricValidationError
from vigila.metrics.sketch import (
    BIN_LIMIT,
    KEY_SHIFT,
    codes,
    decode,
    encode,
    merged,
    quantile,
)

# Written by the previous release (ddsketch stores) for 1, 2.5 x3, -4, 0 x2 and 100 x0.5.
PREVIOUS_RELEASE = bytes.fromhex(
    "9701cb3ff052bf5a814afdcb400000000000000000dc00e8" + "01" + "00" * 45 + "03" + "00" * 184
    + "cb3fe0000000000000469101"
)


def reference(values: np.ndarray, weights: np.ndarray | None = None) -> BaseDDSketch:
    """The sketch ddsketch builds, with the mapping and stores vigila uses."""
    sketch = BaseDDSketch(LogarithmicMapping(0.01), CollapsingLowestDenseStore(BIN_LIMIT),
                          CollapsingLowestDenseStore(BIN_LIMIT), 0.0)
    for v, w in zip(values.tolist(), np.ones(len(values)) if weights is None else weights,
                    strict=True):
        sketch.add(v, float(w))
    return sketch


def both_stores(values: np.ndarray) -> list[int]:
    mapping = LogarithmicMapping(0.01)
    return [0 if abs(v) <= mapping.min_possible else
            int(math.copysign(mapping.key(abs(v)) + KEY_SHIFT, v)) for v in values.tolist()]


samples = st.lists(st.one_of(st.floats(-1e12, 1e12, allow_nan=False),
                             st.sampled_from([0.0, -0.0, 5e-324, -1e-310, 1.0, 2.0**360])),
                   min_size=1, max_size=200)


@settings(max_examples=200, deadline=None)
@given(samples)
def test_codes_are_ddsketch_keys(values):
    values = np.array(values)
    assert codes(values).tolist() == both_stores(values)


@settings(max_examples=200, deadline=None)
@given(samples, st.floats(0.0, 1.0))
def test_quantiles_are_ddsketch_quantiles(values, q):
    values = np.array(values)
    got = quantile(*merged(codes(values), np.ones(len(values))), q)
    assert got == pytest.approx(reference(values).get_quantile_value(q), rel=1e-12, abs=0)


def test_negative_zero_and_positive_bins_sort_as_their_values():
    values = np.array([-100.0, -1.0, 0.0, 1e-320, 1.0, 100.0])
    assert np.all(np.diff(codes(values)) >= 0)
    assert codes(np.array([1e-320]))[0] == 0  # too small to index: counted as zero


def test_stores_collapse_their_lowest_bins_as_ddsketch_does():
    values = np.concatenate([10.0 ** np.arange(-300, 300), -(10.0 ** np.arange(-300, 300))])
    bin_codes, weights = merged(codes(values), np.ones(len(values)))
    for sign in (1, -1):
        own = bin_codes[bin_codes * sign > 0] * sign
        assert own.max() - own.min() == BIN_LIMIT - 1
    for q in (0.01, 0.3, 0.5, 0.7, 0.99, 1.0):
        assert quantile(bin_codes, weights, q) == pytest.approx(
            reference(values).get_quantile_value(q), rel=1e-12)


def test_merged_keeps_one_sketch_per_row_and_sums_in_order():
    rows = np.array([1, 0, 1, 1])
    bin_codes = codes(np.array([2.0, 2.0, 2.0, 3.0]))
    out_rows, out_codes, out_weights = merged(bin_codes, np.array([0.1, 1.0, 0.2, 1.0]), rows)
    assert out_rows.tolist() == [0, 1, 1]
    assert out_codes.tolist() == [bin_codes[0], bin_codes[0], bin_codes[3]]
    assert out_weights.tolist() == [1.0, 0.1 + 0.2, 1.0]


def test_the_wire_form_is_the_previous_releases():
    values, weights = np.array([1.0, 2.5, -4.0, 0.0, 100.0]), np.array([1, 3, 1, 2, 0.5])
    bin_codes, summed = merged(codes(values), weights)
    assert encode(bin_codes.tolist(), summed.tolist()) == PREVIOUS_RELEASE
    back_codes, back_weights = decode(PREVIOUS_RELEASE)
    assert back_codes.tolist() == bin_codes.tolist()
    assert back_weights.tolist() == summed.tolist()


def test_empty_sketch_round_trips():
    bin_codes, weights = decode(encode([], []))
    assert len(bin_codes) == len(weights) == 0
    assert math.isnan(quantile(bin_codes, weights, 0.5))


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
        decode(data)
    assert err.value.field == "sketch"
