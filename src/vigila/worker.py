"""A background loop: run a pass, and when it found nothing to do, sleep until woken.

>>> done = []
>>> worker = Worker("demo", lambda: done.append(1) or 0, idle_wait=0.01)
>>> worker.start(); worker.wake(); worker.stop()
>>> bool(done), worker.alive
(True, False)
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

log = logging.getLogger("vigila")


class Worker:
    """Calls `run_once` (returning how much it did) until stopped; an idle pass waits up to
    `idle_wait` seconds or until `wake`. An exception is logged and the pass retried
    after the wait: a store that is briefly unavailable must not kill the loop."""

    def __init__(self, name: str, run_once: Callable[[], int], idle_wait: float) -> None:
        self._run_once = run_once
        self._idle_wait = idle_wait
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=name, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def wake(self) -> None:
        self._wake.set()

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def stop(self, timeout: float = 10) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                busy = self._run_once()
            except Exception:
                log.exception("%s: pass failed; retrying", self._thread.name)
                busy = 0
            if not busy:
                self._wake.wait(self._idle_wait)
                self._wake.clear()
