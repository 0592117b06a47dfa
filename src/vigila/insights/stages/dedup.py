"""Dedup: one insight per entity and prediction type within a window.

An incident spans many intervals; the operator needs one insight, not one per
interval. State is the time and the id of the last admitted event per key,
exported and imported so a restart resumes with it. The same event is admitted
again (a batch processed twice after a failed commit must not lose its
insight), and an older event never moves the window back.

>>> dedup = Dedup(window_seconds=300)
>>> key = "port-1|latency_spike"
>>> dedup.admit(key, 1000.0, "e1"), dedup.admit(key, 1200.0, "e2")
(True, False)
>>> dedup.admit(key, 1000.0, "e1"), dedup.admit(key, 1300.0, "e3")
(True, True)
"""

from __future__ import annotations


class Dedup:
    def __init__(self, window_seconds: float) -> None:
        self.window_seconds = window_seconds
        self._last: dict[str, tuple[float, str]] = {}
        self._dirty: set[str] = set()

    def admit(self, key: str, at: float, event_id: str) -> bool:
        """True, and remembered, unless another event of `key` was admitted within the
        window around `at`."""
        last = self._last.get(key)
        if last is not None and last[1] != event_id and abs(at - last[0]) < self.window_seconds:
            return False
        if last is None or at >= last[0]:
            self._last[key] = (at, event_id)
            self._dirty.add(key)
        return True

    def export_states(self) -> dict[str, bytes]:
        """Keys admitted since the last export: `time|event id`."""
        dirty, self._dirty = self._dirty, set()
        return {key: f"{self._last[key][0]!r}|{self._last[key][1]}".encode() for key in dirty}

    def import_states(self, states: dict[str, bytes]) -> None:
        """Replace the admitted keys by `states`."""
        self._last, self._dirty = {}, set()
        for key, value in states.items():
            at, _, event_id = value.decode().partition("|")
            self._last[key] = (float(at), event_id)
