"""The EventBridge event envelope and UUIDv7 event ids.

>>> event = msgspec.json.decode(
...     b'{"source": "vigila.fabric", "detail-type": "Port Metrics",'
...     b' "detail": {"utilization": 42}}',
...     type=Event[dict],
... )
>>> event.detail_type, event.detail["utilization"], event.id
('Port Metrics', 42, '')
"""

from __future__ import annotations

import random
import threading
import time
from datetime import datetime
from typing import Annotated, Generic, TypeVar

import msgspec
from msgspec import Meta

D = TypeVar("D")

Source = Annotated[str, Meta(min_length=1, max_length=256)]
DetailType = Annotated[str, Meta(min_length=1, max_length=256)]
EventId = Annotated[str, Meta(max_length=256)]
Resource = Annotated[str, Meta(min_length=1, max_length=2048)]
AwareTime = Annotated[datetime, Meta(tz=True)]


class Event(msgspec.Struct, Generic[D], kw_only=True,
            rename={"detail_type": "detail-type", "hops": "vigila-hops"}, gc=False):
    """One event. `detail` is typed by the pack that owns `(source, detail-type)`.

    Fields left out on ingest are filled in: `id` with a UUIDv7, `time` with the
    receive time, `region` and `account` from the configuration.
    """

    version: str = "0"
    id: EventId = ""
    source: Source
    detail_type: DetailType
    time: AwareTime | None = None
    region: Annotated[str, Meta(max_length=64)] = ""
    account: Annotated[str, Meta(max_length=64)] = ""
    resources: Annotated[list[Resource], Meta(max_length=100)] = []
    detail: D
    hops: int | msgspec.UnsetType = msgspec.UNSET
    """How many rule targets re-published this event (`vigila-hops`); absent on ingest."""

    @property
    def partition_key(self) -> str:
        """What keeps related events in order: the first resource, else the source."""
        return self.resources[0] if self.resources else self.source


class EventIdSource:
    """UUIDv7 ids (RFC 9562), monotonic within a process (its method 2).

    Per millisecond it draws random `rand_a` bits, 14 random `rand_b` bits and a
    random start for a 48-bit counter that fills the rest of `rand_b`, then
    counts up: one format per id, and a batch sorts in order. The random bits
    need uniqueness, not secrecy; `random` reseeds after a fork.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._ms = -1
        self._prefix = ""
        self._counter = _COUNTER_END

    def next(self, now_ms: int) -> str:
        """The next id for `now_ms`."""
        return self.take(now_ms, 1)[0]

    def take(self, now_ms: int, count: int) -> list[str]:
        """`count` consecutive ids for `now_ms`; safe to call from several threads."""
        with self._lock:
            if now_ms != self._ms or self._counter + count >= _COUNTER_END:
                self._ms = now_ms
                h = f"{(now_ms << 16) | (0x7 << 12) | random.getrandbits(12):016x}"
                variant = (0b10 << 14) | random.getrandbits(14)
                self._prefix = f"{h[:8]}-{h[8:12]}-{h[12:16]}-{variant:04x}-"
                self._counter = random.getrandbits(47)
            first = self._counter + 1
            self._counter += count
            prefix = self._prefix
        return _counted(prefix, first, first + count)


_COUNTER_END = 2**48 - 1
_LOW_HEX = [f"{n:03x}" for n in range(4096)]


def _counted(prefix: str, first: int, end: int) -> list[str]:
    """`prefix` + each counter in `[first, end)` as 12 hex digits. The last three digits
    come from a table, so formatting costs one join per 4,096 ids, not one per id."""
    ids: list[str] = []
    while first < end:
        high, low = divmod(first, 4096)
        stop = min(4096, low + end - first)
        head = f"{prefix}{high:09x}"
        ids += [head + digits for digits in _LOW_HEX[low:stop]]
        first += stop - low
    return ids


_default_source = EventIdSource()


def new_event_id(now_ms: int | None = None) -> str:
    """A fresh UUIDv7 for `now_ms` (default: the current time)."""
    return _default_source.next(time.time_ns() // 1_000_000 if now_ms is None else now_ms)
