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
import multiprocessing
import os
import signal
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import msgspec

from vigila.clock import SystemClock
from vigila.config.schema import Config
from vigila.ingest.decoder import EventDecoder
from vigila.ingest.service import IngestResult, IngestService
from vigila.log.base import AppendResult
from vigila.log.sqlite import SqliteLog
from vigila.packs.base import load_packs, register_schemas
from vigila.store.sqlite import SqliteStore

ORPHAN_CHECK_SECONDS = 0.5


class WorkerIngest(msgspec.Struct, frozen=True):
    """What a worker did with one body: the answer for the client, and the append."""

    result: IngestResult
    appended: AppendResult


class _Worker:
    """The ingest service of one worker process, with its own log and store handles."""

    def __init__(self, config: Config) -> None:
        data = Path(config.data_dir)
        schemas = register_schemas(load_packs(config.packs))
        decoder = EventDecoder(schemas, config.ingest, region=config.region,
                               account=config.account)
        self.service = IngestService(decoder, config.ingest, SystemClock())
        self.log = SqliteLog(data / "log.db", partitions=config.log.partitions,
                             synchronous=config.log.synchronous)
        self.store = SqliteStore(data / "store.db", synchronous=config.log.synchronous)

    def ingest(self, body: bytes, content_type: str | None,
               content_encoding: str | None) -> WorkerIngest:
        prepared = self.service.prepare(body, content_type, content_encoding)
        appended = self.log.append(prepared.batch.entries, minted=prepared.batch.minted)
        if prepared.batch.rejected:
            self.store.add_dead_letters(self.service.dead_letters(prepared))
        return WorkerIngest(self.service.result(prepared, appended), appended)


_worker: _Worker | None = None


def _start(config: Config) -> None:
    global _worker
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the group: the server stops us
    _worker = _Worker(config)
    threading.Thread(target=_exit_when_orphaned, args=(os.getppid(),), name="orphan-watch",
                     daemon=True).start()


def _exit_when_orphaned(server: int) -> None:
    """A killed server cannot stop its workers: each leaves when its parent is gone. An
    append in flight is then not committed, and its request was never answered."""
    while os.getppid() == server:
        time.sleep(ORPHAN_CHECK_SECONDS)
    os._exit(0)


def _ingest(body: bytes, content_type: str | None,
            content_encoding: str | None) -> WorkerIngest:
    assert _worker is not None, "the worker process was not initialised"
    return _worker.ingest(body, content_type, content_encoding)


def _ready() -> None:
    """A task that only makes the pool start a process."""


class IngestWorkers:
    """A pool of ingest processes, started by `start`, stopped by `close`.

    Processes are spawned, not forked: the server has threads and open databases."""

    def __init__(self, config: Config, count: int) -> None:
        self._count = count
        self._pool = ProcessPoolExecutor(
            count, mp_context=multiprocessing.get_context("spawn"),
            initializer=_start, initargs=(config,))

    def start(self) -> None:
        """Start the processes now, so the first request does not wait for them."""
        for _ in range(self._count):
            self._pool.submit(_ready)

    async def ingest(self, body: bytes, content_type: str | None,
                     content_encoding: str | None) -> WorkerIngest:
        """Decode and append `body` in a worker; returns after the commit. Raises
        `IngestError` when the request fails as a whole, as `IngestService.prepare` does."""
        return await asyncio.wrap_future(
            self._pool.submit(_ingest, body, content_type, content_encoding))

    def close(self) -> None:
        """Let the bodies in flight finish, then stop the processes."""
        self._pool.shutdown(wait=True, cancel_futures=False)
