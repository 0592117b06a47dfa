"""Clocks: the system clock in production, a manual clock in tests and replays.

Everything time-based in vigila (windows, retention, alarms, TTL, dedup) reads
time from an injected clock, so tests move time forward instead of sleeping.

>>> clock = ManualClock(1_700_000_000.0)
>>> clock.advance(60)
>>> clock.now()
1700000060.0
"""

from __future__ import annotations

import time
from typing import Protocol


class Clock(Protocol):
    """A source of wall-clock time, in seconds since the Unix epoch."""

    def now(self) -> float: ...


class SystemClock:
    """The real wall clock."""

    def now(self) -> float:
        return time.time()


class ManualClock:
    """A clock that moves only when told to."""

    def __init__(self, start: float = 0.0) -> None:
        self._now = float(start)

    def now(self) -> float:
        return self._now

    def advance(self, seconds: float) -> None:
        """Move time forward; a negative step is refused."""
        if seconds < 0:
            raise ValueError(f"a clock cannot go back: advance({seconds})")
        self._now += seconds

    def set(self, t: float) -> None:
        """Jump to an absolute time no earlier than now."""
        if t < self._now:
            raise ValueError(f"a clock cannot go back: set({t}) < now {self._now}")
        self._now = float(t)
