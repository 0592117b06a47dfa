"""DDSketch quantile sketches with 1% relative accuracy, and their wire form.

Rollup buckets keep a sketch once they hold two different values, so any
percentile of any series can be read back, and sketches from different
partitions or periods merge without loss of accuracy. Sketches collapse their
lowest bins past `BIN_LIMIT`, which bounds their memory whatever values arrive.

>>> sketch = new_sketch()
>>> for v in range(1, 101):
...     sketch.add(float(v))
>>> round(decode_sketch(encode_sketch(sketch)).get_quantile_value(0.5))
50
"""

from __future__ import annotations

import math

import msgspec
from ddsketch.ddsketch import BaseDDSketch
from ddsketch.mapping import LogarithmicMapping
from ddsketch.store import CollapsingLowestDenseStore

from vigila.metrics.errors import MetricValidationError

RELATIVE_ACCURACY = 0.01
BIN_LIMIT = 2048
_CHUNK = 32  # bins grow by this much: small, as most buckets hold few distinct values
_MAPPING = LogarithmicMapping(RELATIVE_ACCURACY)
_WIRE_VERSION = 1


class _Wire(msgspec.Struct, array_like=True):
    version: int
    gamma: float
    zero: float
    positive_offset: int
    positive: list[float]
    negative_offset: int
    negative: list[float]


def new_sketch() -> BaseDDSketch:
    """An empty sketch; all sketches share one (immutable) key mapping."""
    return BaseDDSketch(
        mapping=_MAPPING,
        store=CollapsingLowestDenseStore(BIN_LIMIT, _CHUNK),
        negative_store=CollapsingLowestDenseStore(BIN_LIMIT, _CHUNK),
        zero_count=0.0,
    )


def encode_sketch(sketch: BaseDDSketch) -> bytes:
    """Compact msgpack bytes: the mapping's gamma, the zero count and both stores' bins."""
    # ddsketch has no public accessor for its stores; its own protobuf codec reads them so too.
    pos_offset, pos = _bins(sketch._store)
    neg_offset, neg = _bins(sketch._negative_store)
    wire = _Wire(
        _WIRE_VERSION, _MAPPING.gamma, sketch._zero_count, pos_offset, pos, neg_offset, neg
    )
    return msgspec.msgpack.encode(wire)


def decode_sketch(data: bytes) -> BaseDDSketch:
    """The sketch `encode_sketch` wrote; refuses foreign accuracies and malformed bytes."""
    try:
        wire = msgspec.msgpack.decode(data, type=_Wire)
    except (msgspec.DecodeError, TypeError) as exc:
        raise MetricValidationError(
            "sketch", data, f"bytes written by encode_sketch ({exc})"
        ) from None
    if wire.version != _WIRE_VERSION or not math.isclose(wire.gamma, _MAPPING.gamma):
        raise MetricValidationError(
            "sketch", (wire.version, wire.gamma), f"version 1 with gamma {_MAPPING.gamma}"
        )
    zero = _weight(wire.zero)
    return BaseDDSketch(
        mapping=_MAPPING,
        store=_store(wire.positive_offset, wire.positive),
        negative_store=_store(wire.negative_offset, wire.negative),
        zero_count=zero,
    )


def _bins(store: CollapsingLowestDenseStore) -> tuple[int, list[float]]:
    if store.count == 0:
        return 0, []
    lo, hi = store.min_key - store.offset, store.max_key - store.offset
    # Whole counts travel as msgpack integers: one byte each for small ones.
    return store.min_key, [int(c) if float(c).is_integer() else c for c in store.bins[lo : hi + 1]]


def _store(offset: int, counts: list[float]) -> CollapsingLowestDenseStore:
    if len(counts) > BIN_LIMIT:
        raise MetricValidationError("sketch", len(counts), f"at most {BIN_LIMIT} bins a store")
    store = CollapsingLowestDenseStore(BIN_LIMIT, _CHUNK)
    for key, count in enumerate(counts, start=offset):
        if _weight(count):
            store.add(key, count)
    return store


def _weight(count: float) -> float:
    if not 0 <= count < math.inf:
        raise MetricValidationError("sketch", count, "bin counts that are finite and >= 0")
    return count
