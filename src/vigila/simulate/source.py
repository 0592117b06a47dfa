"""Pace a pack's simulator at a rate and hand its events over in one-second batches."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import msgspec

from vigila.packs.base import Pack

Sink = Callable[[bytes], object]
"""Takes a JSON array of events (a request body)."""


def event_stream(pack: Pack, *, start: float, rate: float, seed: int = 0,
                 **options: Any) -> Iterator[dict[str, Any]]:
    """The pack's events, spaced so that `rate` events cover one simulated second."""
    if pack.simulator is None:
        raise ValueError(f"pack {pack.name!r} has no simulator")
    return pack.simulator(start=start, seed=seed, rate=rate, **options)


def primed(events: Iterator[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """Pull the first event now: generators run lazily, and a bad option (a fault spec,
    say) should fail where it is given, not later in a thread."""
    first = next(events, None)
    return events if first is None else itertools.chain([first], events)


def paced_batches(events: Iterator[dict[str, Any]], rate: float,
                  stop: threading.Event | None = None,
                  sleep: Callable[[float], None] = time.sleep) -> Iterator[bytes]:
    """One JSON array per second of wall time, `rate` events each."""
    encode = msgspec.json.encode
    per_batch = max(1, round(rate))
    next_at = time.monotonic()
    while stop is None or not stop.is_set():
        batch = [e for _, e in zip(range(per_batch), events, strict=False)]
        if not batch:
            return
        yield encode(batch)
        next_at += 1.0
        sleep(max(0.0, next_at - time.monotonic()))


class SimulatedSource:
    """A background thread that feeds `sink` with a pack's simulated traffic."""

    def __init__(self, pack: Pack, sink: Sink, *, rate: float, seed: int = 0,
                 **options: Any) -> None:
        self._stop = threading.Event()
        events = primed(event_stream(pack, start=time.time(), rate=rate, seed=seed, **options))
        self._batches = paced_batches(events, rate, self._stop, self._stop.wait)
        self._sink = sink
        self._thread = threading.Thread(target=self._run, name=f"simulate-{pack.name}",
                                        daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)

    def _run(self) -> None:
        for body in self._batches:
            self._sink(body)
