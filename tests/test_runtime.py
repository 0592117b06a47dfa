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


def test_appends_by_another_process_count_as_lag_after_a_tick(tmp_path):
    from tests.support import body, plain_event
    from vigila.log.sqlite import SqliteLog

    rt = Runtime(make_config(tmp_path))
    try:
        other = SqliteLog(tmp_path / "log.db", partitions=rt.log.partitions)
        before = rt.total_lag()
        rt.ingest.ingest(body([plain_event(i) for i in range(7)]), other.append,
                         rt.store.add_dead_letters)  # as `vigila ingest` beside the server
        other.close()
        assert rt.total_lag() == before
        rt.sync_heads()
        assert rt.total_lag() == before + 7
        rt.sync_heads()  # heads never count an append twice
        assert rt.total_lag() == before + 7
    finally:
        rt.stop()
