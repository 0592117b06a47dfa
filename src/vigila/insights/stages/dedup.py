"""Dedup: one insight per entity and prediction type within a window.

An incident spans many intervals; the operator needs one insight, not one per
interval. State is one timestamp per key, exported and imported so a restart
resumes with it.

>>> dedup = Dedup(window_seconds=300)
>>> dedup.admit("port-1|latency_spike", 1000.0), dedup.admit("port-1|latency_spike", 1200.0)
(True, False)
>>> dedup.admit("port-1|latency_spike", 1300.0)
True
"""

from __future__ import annotations


class Dedup:
    def __init__(self, window_seconds: float) -> None:
        self.window_seconds = window_seconds
        self._last: dict[str, float] = {}
        self._dirty: set[str] = set()

    def admit(self, key: str, at: float) -> bool:
        """True, and remembered, unless `key` was admitted less than the window ago."""
        last = self._last.get(key)
        if last is not None and 0 <= at - last < self.window_seconds:
            return False
        self._last[key] = at
        self._dirty.add(key)
        return True

    def export_states(self) -> dict[str, bytes]:
        """Keys admitted since the last export, with their time."""
        dirty, self._dirty = self._dirty, set()
        return {key: repr(self._last[key]).encode() for key in dirty}

    def import_states(self, states: dict[str, bytes]) -> None:
        self._last.update({key: float(value) for key, value in states.items()})
