"""DDSketch bins with 1% relative accuracy, computed with numpy, and their wire form.

Bins are the ones of DDSketch with a logarithmic mapping (relative accuracy
0.01) and stores that collapse their lowest bins past `BIN_LIMIT`, as the
`ddsketch` library builds them, but computed for whole arrays at once. A sample
maps to a bin *code*: `key + KEY_SHIFT` for a positive value (key =
ceil(log(v) / log(gamma))), the negated code of its magnitude for a negative
one, and 0 for zero (and magnitudes too small to index). Codes sort as their
values do, so one cumulative sum over a sketch's codes finds any quantile.

>>> sketch = merged(codes(np.arange(1.0, 101.0)), np.ones(100))
>>> round(quantile(*sketch, 0.5))
50
>>> back = decode(encode(*(part.tolist() for part in sketch)))
>>> round(quantile(*back, 0.99))
99
"""

from __future__ import annotations

import math
import sys

import msgspec
import numpy as np

from vigila.metrics.errors import MetricValidationError

RELATIVE_ACCURACY = 0.01
BIN_LIMIT = 2048
KEY_SHIFT = 1 << 16
"""Added to a key to make its code positive: keys of finite doubles lie within ±2**16."""
CODE_BITS = 18
"""Codes, offset by 2**17, fit in this many bits (used to pack (row, code) pairs)."""

_MANTISSA = 2 * RELATIVE_ACCURACY / (1 - RELATIVE_ACCURACY)
GAMMA = 1 + _MANTISSA
# As ddsketch's LogarithmicMapping computes them, so that keys agree with its own.
_MULTIPLIER = 1 / math.log1p(_MANTISSA) * math.log(2)
_LN2 = math.log(2)
_MIN_INDEXABLE = sys.float_info.min * GAMMA
_BIN_VALUE = 2.0 / (1 + GAMMA)
_WIRE_VERSION = 1


class _Wire(msgspec.Struct, array_like=True):
    version: int
    gamma: float
    zero: float
    positive_offset: int
    positive: list[float]
    negative_offset: int
    negative: list[float]


def codes(values: np.ndarray) -> np.ndarray:
    """The bin code of each value (int64)."""
    magnitude = np.abs(values)
    keys = np.ceil(np.log(np.maximum(magnitude, _MIN_INDEXABLE)) / _LN2 * _MULTIPLIER)
    out = keys.astype(np.int64) + KEY_SHIFT
    out[values < 0] *= -1
    out[magnitude <= _MIN_INDEXABLE] = 0
    return out


def value_of(code: int) -> float:
    """The value a bin stands for: within the relative accuracy of every value in it."""
    if code == 0:
        return 0.0
    value = math.pow(2.0, (abs(code) - KEY_SHIFT) / _MULTIPLIER) * _BIN_VALUE
    return value if code > 0 else -value


def quantile(bin_codes: np.ndarray, weights: np.ndarray, q: float) -> float:
    """The q-quantile (0..1) of a sketch given as sorted distinct codes and their weights,
    at rank q * (count - 1) as DDSketch ranks; NaN when the sketch is empty."""
    if not len(bin_codes):
        return math.nan
    cumulative = np.cumsum(weights)
    rank = q * (cumulative[-1] - 1)
    at = min(int(np.searchsorted(cumulative, rank, side="right")), len(bin_codes) - 1)
    return value_of(int(bin_codes[at]))


def merged(bin_codes: np.ndarray, weights: np.ndarray,
           rows: np.ndarray | None = None) -> tuple[np.ndarray, ...]:
    """Distinct bins with their weights summed in input order, sorted, each store collapsed
    to `BIN_LIMIT` bins: `(codes, weights)` of one sketch, or `(rows, codes, weights)`
    of one sketch per row when `rows` (ints >= 0, one per bin) is given."""
    packed = bin_codes + (1 << (CODE_BITS - 1))
    if rows is not None:
        packed = packed + (rows.astype(np.int64) << CODE_BITS)
    distinct, inverse = np.unique(packed, return_inverse=True)
    summed = np.bincount(inverse, weights, minlength=len(distinct))
    out_rows = distinct >> CODE_BITS
    out_codes = (distinct & ((1 << CODE_BITS) - 1)) - (1 << (CODE_BITS - 1))
    collapsed = _collapsed(out_rows, out_codes)
    if collapsed is not None:
        return merged(collapsed, summed, None if rows is None else out_rows)
    return (out_codes, summed) if rows is None else (out_rows, out_codes, summed)


def _collapsed(rows: np.ndarray, bin_codes: np.ndarray) -> np.ndarray | None:
    """Codes (sorted by row, then code) with each store's lowest bins folded as a
    collapsing-lowest store folds them: keys below the highest key minus `BIN_LIMIT - 1`
    go to that key (for the negative store: the values nearest zero). None when no
    store spans more than `BIN_LIMIT` keys."""
    if not len(bin_codes):
        return None
    low, high = int(bin_codes.min()), int(bin_codes.max())
    if low > 0 and high - low < BIN_LIMIT:  # the usual: positive values within the limit
        return None
    out = None
    for sign in (1, -1):
        chosen = np.flatnonzero(bin_codes * sign > 0)
        if not len(chosen):
            continue
        keys, owners = bin_codes[chosen] * sign, rows[chosen]
        starts = np.flatnonzero(np.r_[True, owners[1:] != owners[:-1]])
        sizes = np.diff(np.r_[starts, len(keys)])
        lowest = np.repeat(np.maximum.reduceat(keys, starts) - (BIN_LIMIT - 1), sizes)
        if (keys < lowest).any():
            out = bin_codes.copy() if out is None else out
            out[chosen] = np.maximum(keys, lowest) * sign
    return out


def encode(bin_codes: list[int], weights: list[float]) -> bytes:
    """Compact msgpack bytes of one sketch (sorted distinct codes and their weights): the
    mapping's gamma, the zero count and each store's offset and bin counts."""
    zero = 0.0
    stores: dict[int, dict[int, float]] = {1: {}, -1: {}}
    for code, weight in zip(bin_codes, weights, strict=True):
        if code == 0:
            zero = float(weight)
        else:
            stores[1 if code > 0 else -1][abs(code) - KEY_SHIFT] = weight
    pos_offset, pos = _dense(stores[1])
    neg_offset, neg = _dense(stores[-1])
    return msgspec.msgpack.encode(_Wire(_WIRE_VERSION, GAMMA, zero, pos_offset, pos,
                                        neg_offset, neg))


def decode(data: bytes) -> tuple[np.ndarray, np.ndarray]:
    """The sorted distinct codes and weights `encode` wrote; refuses foreign accuracies and
    malformed bytes."""
    try:
        wire = msgspec.msgpack.decode(data, type=_Wire)
    except (msgspec.DecodeError, TypeError) as exc:
        raise MetricValidationError("sketch", data, f"bytes written by encode ({exc})") from None
    if wire.version != _WIRE_VERSION or not math.isclose(wire.gamma, GAMMA):
        raise MetricValidationError(
            "sketch", (wire.version, wire.gamma), f"version 1 with gamma {GAMMA}"
        )
    parts = [_sparse(-1, wire.negative_offset, wire.negative)[:, ::-1],
             _sparse(0, 0, [_weight(wire.zero)]),
             _sparse(1, wire.positive_offset, wire.positive)]
    both = np.concatenate(parts, axis=1)
    return both[0].astype(np.int64), both[1]


def _dense(store: dict[int, float]) -> tuple[int, list[float]]:
    if not store:
        return 0, []
    low, high = min(store), max(store)
    # Whole counts travel as msgpack integers: one byte each for small ones.
    counts = [store.get(key, 0) for key in range(low, high + 1)]
    return low, [int(c) if float(c).is_integer() and abs(c) < 2**53 else c for c in counts]


def _sparse(sign: int, offset: int, counts: list[float]) -> np.ndarray:
    """[codes, weights] of one store's non-empty bins, by ascending key."""
    if len(counts) > BIN_LIMIT:
        raise MetricValidationError("sketch", len(counts), f"at most {BIN_LIMIT} bins a store")
    weights = np.array([_weight(c) for c in counts], dtype=np.float64).reshape(-1)
    present = np.flatnonzero(weights)
    bin_codes = sign * (present + offset + KEY_SHIFT) if sign else np.zeros(len(present))
    return np.stack([bin_codes.astype(np.float64), weights[present]])


def _weight(count: float) -> float:
    if not 0 <= count < math.inf:
        raise MetricValidationError("sketch", count, "bin counts that are finite and >= 0")
    return count
