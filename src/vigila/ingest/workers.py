"""Ingest in worker processes, beside the server's interpreter.

Decoding and appending hold the interpreter lock, and so does the pipeline: in
one process they take turns on one core. With `ingest.workers = N`, the server
hands each `POST /v1/events` body to one of N processes that split, decode,
validate and append it themselves (the log takes appends from several
processes), and store its rejects. The answer still comes only after the
commit; the server process keeps HTTP, the pipeline and everything else.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import msgspec

from vigila.clock import SystemClock
from vigila.config.schema import Config
from vigila.ingest.decoder import EventDecoder
from vigila.ingest.errors import IngestError
from vigila.ingest.service import IngestResult, IngestService
from vigila.log.base import AppendResult
from vigila.log.sqlite import SqliteLog
from vigila.packs.base import load_packs, register_schemas
from vigila.store.base import DeadLetter
from vigila.store.sqlite import SqliteStore

ORPHAN_CHECK_SECONDS = 0.5
log = logging.getLogger(__name__)


class WorkerIngest(msgspec.Struct, frozen=True):
    """What a worker did with one body: the answer for the client, and the append."""

    result: IngestResult
    appended: AppendResult


class _Worker:
    """The ingest service of one worker process, with its own log and store handles."""

    def __init__(self, config: Config) -> None:
        data = Path(config.data_dir)
        schemas = register_schemas(load_packs(config.packs))
        decoder = EventDecoder(schemas, config.ingest, partitions=config.log.partitions,
                               region=config.region, account=config.account)
        self.service = IngestService(decoder, config.ingest, SystemClock())
        self.log = SqliteLog(data / "log.db", partitions=config.log.partitions,
                             synchronous=config.log.synchronous)
        self.store = SqliteStore(data / "store.db", synchronous=config.log.synchronous)

    def ingest(self, body: bytes, content_type: str | None, content_encoding: str | None,
               wrapping: dict[str, str] | None) -> WorkerIngest:
        if wrapping is None:
            prepared = self.service.prepare(body, content_type, content_encoding)
        else:
            prepared = self.service.prepare_bare(body, content_type, content_encoding,
                                                 **wrapping)
        return WorkerIngest(*self.service.finish(prepared, self.log.append,
                                                 self._add_dead_letters))

    def _add_dead_letters(self, letters: list[DeadLetter]) -> None:
        try:
            self.store.add_dead_letters(letters)
        except Exception:  # the events are committed: their answer must still go back
            log.exception("storing %d rejected items failed", len(letters))


_worker: _Worker | None = None


def _start(config: Config) -> None:
    global _worker
    for signum in (signal.SIGINT, signal.SIGTERM):  # sent to the whole group (Ctrl-C, a
        signal.signal(signum, signal.SIG_IGN)        # service manager): the server stops us
    _worker = _Worker(config)
    threading.Thread(target=_exit_when_orphaned, args=(os.getppid(),), name="orphan-watch",
                     daemon=True).start()


def _exit_when_orphaned(server: int) -> None:
    """A killed server cannot stop its workers: each leaves when its parent is gone. An
    append in flight is then not committed, and its request was never answered."""
    while os.getppid() == server:
        time.sleep(ORPHAN_CHECK_SECONDS)
    os._exit(0)


def _ingest(body: bytes, content_type: str | None, content_encoding: str | None,
            wrapping: dict[str, str] | None) -> WorkerIngest:
    assert _worker is not None, "the worker process was not initialised"
    return _worker.ingest(body, content_type, content_encoding, wrapping)


def _ready() -> None:
    """A task that only makes the pool start a process."""


class WorkerLost(IngestError):
    """An ingest worker died with the request: whether it was stored is unknown."""

    status, reason = 503, "worker_lost"


class IngestWorkers:
    """A pool of ingest processes, started by `start`, stopped by `close`; a pool that
    lost a process is replaced. `on_commit` hears of every append, answered or not.

    Processes are spawned, not forked: the server has threads and open databases."""

    def __init__(self, config: Config, count: int,
                 on_commit: Callable[[list[AppendResult]], None]) -> None:
        self._config = config
        self._count = count
        self._on_commit = on_commit
        self._lock = threading.Lock()
        self._pool = self._new_pool()

    def _new_pool(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(self._count, mp_context=multiprocessing.get_context("spawn"),
                                   initializer=_start, initargs=(self._config,))

    def start(self) -> None:
        """Start the processes now, so the first request does not wait for them."""
        for _ in range(self._count):
            self._pool.submit(_ready)

    async def ingest(self, body: bytes, content_type: str | None,
                     content_encoding: str | None,
                     wrapping: dict[str, str] | None = None) -> WorkerIngest:
        """Decode and append `body` in a worker; returns after the commit. `wrapping`:
        bare details, as `IngestService.prepare_bare` takes them. Raises `IngestError`
        when the request fails as a whole, as `IngestService.prepare` does, and
        `WorkerLost` when the worker died with it."""
        pool = self._pool
        try:
            future = pool.submit(_ingest, body, content_type, content_encoding, wrapping)
            future.add_done_callback(self._committed)  # even if the request is gone by then
            return await asyncio.wrap_future(future)
        except BrokenProcessPool:
            self._replace(pool)
            raise WorkerLost("an ingest worker stopped while taking this request; it may "
                             "or may not be stored: send it again (events with ids are "
                             "stored once)") from None

    def _committed(self, future: Future[WorkerIngest]) -> None:
        if not future.cancelled() and future.exception() is None:
            self._on_commit([future.result().appended])

    def _replace(self, broken: ProcessPoolExecutor) -> None:
        with self._lock:
            if self._pool is broken:
                log.error("an ingest worker died; starting a new pool")
                self._pool = self._new_pool()
                self.start()
        broken.shutdown(wait=False, cancel_futures=True)

    def close(self) -> None:
        """Let the bodies in flight finish, then stop the processes."""
        self._pool.shutdown(wait=True, cancel_futures=False)
