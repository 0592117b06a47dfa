"""Group commit: one thread appends the batches of many concurrent requests at once.

Requests wait on a future that resolves after the shared transaction commits,
so each still gets its answer only once its events are durable, while a busy
server pays one commit (and with FULL, one fsync) for many requests.
"""

from __future__ import annotations

import asyncio
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future

from vigila.log.base import Appendable, AppendResult, EventLog, event_count

_STOP = object()


class LogWriter:
    """Owns appends to `log` for a server process."""

    def __init__(self, log: EventLog, *, max_events: int,
                 on_commit: Callable[[list[AppendResult]], None] | None = None) -> None:
        self._log = log
        self._max_events = max_events
        self._on_commit = on_commit
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._loop, name="log-writer", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def submit(self, batch: Appendable, dedup: bool = True) -> Future[AppendResult]:
        """Queue an append (see `EventLog.append`); the future resolves after its commit."""
        future: Future[AppendResult] = Future()
        self._queue.put((batch, dedup, future))
        return future

    async def append(self, batch: Appendable, dedup: bool = True) -> AppendResult:
        """Append from async code; returns after the commit."""
        return await asyncio.wrap_future(self.submit(batch, dedup))

    def stop(self, timeout: float = 10) -> None:
        self._queue.put(_STOP)
        self._thread.join(timeout)

    def _loop(self) -> None:
        pending = None
        while True:
            item = pending or self._queue.get()
            pending = None
            if item is _STOP:
                return
            group = [item]
            size = event_count(item[0])
            while size < self._max_events:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is _STOP or item[1] != group[0][1]:
                    pending = item  # a stop, or the other dedup mode: after this commit
                    break
                group.append(item)
                size += event_count(item[0])
            self._commit(group)

    def _commit(self, group: list) -> None:
        try:
            results = self._log.append_many([batch for batch, _, _ in group],
                                            dedup=group[0][1])
        except Exception as exc:  # the disk is full or the file is gone: fail each request
            for _, _, future in group:
                future.set_exception(exc)
            return
        for (_, _, future), result in zip(group, results, strict=True):
            future.set_result(result)
        if self._on_commit:
            self._on_commit(results)
