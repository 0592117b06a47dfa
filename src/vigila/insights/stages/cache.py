"""Cache: an LLM answer reused for the same quantized evidence, for a while.

Two intervals of one port with nearly the same figures would get the same
answer; the key is a hash of the evidence (the port included: an answer cites
its port) with every number rounded to two significant digits and the
per-interval ids and times left out, the prediction type the analyst saw, the
prompt and the model. Bounded: the least recently used entry goes first.

>>> from vigila.clock import ManualClock
>>> clock = ManualClock(0.0)
>>> cache = DraftCache(clock, ttl_seconds=60, max_entries=100)
>>> key = cache_key({"latency_p99": 9.81, "stream_id": "a"}, "latency_spike", "full-1", "m")
>>> key == cache_key({"latency_p99": 9.83, "stream_id": "a"}, "latency_spike", "full-1", "m")
True
>>> key == cache_key({"latency_p99": 9.81, "stream_id": "b"}, "latency_spike", "full-1", "m")
False
>>> cache.put(key, "draft"); cache.get(key)
'draft'
>>> clock.advance(61); cache.get(key) is None
True
"""

from __future__ import annotations

import hashlib
import math
from collections import OrderedDict
from typing import Any, Generic, TypeVar

import msgspec

from vigila.clock import Clock

T = TypeVar("T")
SIGNIFICANT_DIGITS = 2
IGNORED_FIELDS = frozenset({"timestamp", "event_id"})
"""Fields that differ every interval and say nothing about the judgement."""


def quantize(value: Any) -> Any:
    """Numbers to two significant digits, recursively; other values as they are."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int | float):
        if not math.isfinite(value) or value == 0:
            return value
        digits = SIGNIFICANT_DIGITS - 1 - math.floor(math.log10(abs(value)))
        return round(float(value), digits)
    if isinstance(value, dict):
        return {k: quantize(v) for k, v in sorted(value.items()) if k not in IGNORED_FIELDS}
    if isinstance(value, list | tuple):
        return [quantize(v) for v in value]
    return value


def cache_key(evidence: dict[str, Any], prediction_type: str, prompt_version: str,
              model: str) -> str:
    body = msgspec.json.encode([quantize(evidence), prediction_type, prompt_version, model])
    return hashlib.blake2b(body, digest_size=16).hexdigest()


class DraftCache(Generic[T]):
    def __init__(self, clock: Clock, *, ttl_seconds: float, max_entries: int) -> None:
        self._clock = clock
        self._ttl = ttl_seconds
        self._max = max_entries
        self._entries: OrderedDict[str, tuple[float, T]] = OrderedDict()

    def get(self, key: str) -> T | None:
        found = self._entries.get(key)
        if found is None:
            return None
        expires, value = found
        if self._clock.now() >= expires:
            del self._entries[key]
            return None
        self._entries.move_to_end(key)
        return value

    def put(self, key: str, value: T) -> None:
        if self._max == 0 or self._ttl == 0:
            return
        self._entries[key] = (self._clock.now() + self._ttl, value)
        self._entries.move_to_end(key)
        while len(self._entries) > self._max:
            self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)
