"""The embedded runtime's lifecycle."""

from __future__ import annotations

import threading
import time

from tests.support import make_config
from vigila.runtime import Runtime


def test_stop_waits_for_a_maintenance_tick_in_progress(tmp_path):
    rt = Runtime(make_config(tmp_path))
    entered, finished = threading.Event(), threading.Event()
    tick = rt.tick

    def slow_tick() -> None:
        entered.set()
        time.sleep(0.3)
        tick()  # appends alarm state changes: the log must still be open
        finished.set()

    rt.tick = slow_tick  # type: ignore[method-assign]
    rt.start()
    assert entered.wait(5)
    rt.stop()
    assert finished.is_set() and not rt._maintenance.is_alive()
