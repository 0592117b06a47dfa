"""The embedded runtime: one process, SQLite log and store, built from a `Config`.

It is the only place that picks adapters; the core modules never import one.
"""

from __future__ import annotations

import math
import threading
from datetime import datetime
from pathlib import Path

from opentelemetry.sdk.trace.export import SpanExporter

from vigila.clock import Clock, SystemClock
from vigila.config.schema import Config
from vigila.ingest.decoder import EventDecoder
from vigila.ingest.service import IngestService
from vigila.log.base import AppendResult
from vigila.log.sqlite import SqliteLog
from vigila.log.writer import LogWriter
from vigila.packs.base import load_packs, register_schemas
from vigila.pipeline.runner import BatchStats, PipelineRunner, RunnerThread
from vigila.store.sqlite import SqliteStore
from vigila.telemetry.metrics import EngineMetrics, LagSnapshot
from vigila.telemetry.tracing import make_tracer_provider, tracer

PIPELINE_GROUP = "pipeline"
MAINTENANCE_SECONDS = 3600.0


class Runtime:
    """Log, store, ingest service, pipeline workers and telemetry of one embedded node."""

    def __init__(self, config: Config, *, clock: Clock | None = None,
                 span_exporter: SpanExporter | None = None) -> None:
        self.config = config
        self.clock = clock or SystemClock()
        data = Path(config.data_dir)
        self.packs = load_packs(config.packs)
        self.schemas = register_schemas(self.packs)
        self.log = SqliteLog(data / "log.db", partitions=config.log.partitions,
                             synchronous=config.log.synchronous, clock=self.clock)
        self.store = SqliteStore(data / "store.db", synchronous=config.log.synchronous)
        decoder = EventDecoder(self.schemas, config.ingest, region=config.region,
                               account=config.account)
        self.ingest = IngestService(decoder, config.ingest, self.clock)
        self.metrics = EngineMetrics(self.lag, self.store.count_dead_letters, PIPELINE_GROUP)
        self.tracer_provider = make_tracer_provider(config, span_exporter)
        self.tracer = tracer(self.tracer_provider)
        self._heads = [state.next for state in self.log.states()]
        self._heads_lock = threading.Lock()
        self.writer = LogWriter(self.log, max_events=config.log.append_batch_max,
                                on_commit=self._committed)
        self.workers = self._make_workers()
        self._stop = threading.Event()
        self._started = False
        self._maintenance = threading.Thread(target=self._maintain, name="maintenance",
                                             daemon=True)

    def _make_workers(self) -> list[RunnerThread]:
        count = min(self.config.pipeline.workers, self.log.partitions)
        workers = []
        for index in range(count):
            runner = PipelineRunner(
                self.log, self.store, [p for pack in self.packs for p in pack.processors()],
                self.schemas, self.clock, group=PIPELINE_GROUP,
                batch_size=self.config.pipeline.batch_size, on_batch=self._processed,
                tracer=self.tracer, on_append=self._committed)
            owned = range(index, self.log.partitions, count)
            workers.append(RunnerThread(runner, owned, self.config.pipeline.idle_wait_seconds))
        return workers

    def start(self, *, pipeline: bool = True) -> None:
        """Start the log writer and, unless `pipeline` is False, the workers and retention."""
        self._started = True
        self.writer.start()
        if pipeline:
            for worker in self.workers:
                worker.start()
            self._maintenance.start()

    def stop(self) -> None:
        """Stop the threads (if started), flush traces, close the databases."""
        self._stop.set()
        if self._started:
            self.writer.stop()
            for worker in self.workers:
                if worker.alive:
                    worker.stop()
        self.tracer_provider.shutdown()
        self.log.close()
        self.store.close()

    # -- flow figures -------------------------------------------------------------------

    def _committed(self, results: list[AppendResult]) -> None:
        with self._heads_lock:
            for result in results:
                for part, count in result.records_by_partition.items():
                    self._heads[part] += count
        self.metrics.record_appends(results)
        for worker in self.workers:
            worker.wake()

    def _processed(self, stats: BatchStats) -> None:
        self.metrics.processed.labels(str(stats.partition)).inc(stats.records)
        self.metrics.process_dead_letters.inc(stats.dead_letters)
        self.metrics.process_seconds.observe(stats.seconds)

    def positions(self) -> dict[int, int]:
        """Next offset to process, per partition."""
        out: dict[int, int] = {}
        for worker in self.workers:
            for part in worker.partitions:
                out[part] = worker.runner.positions[part]
        return out

    def total_lag(self) -> int:
        """Records appended but not processed, from memory (cheap enough per request)."""
        positions = self.positions()
        with self._heads_lock:
            return sum(max(0, head - positions[p]) for p, head in enumerate(self._heads))

    def retry_after(self) -> int:
        """Seconds a client should wait when ingest is refused for lag."""
        excess = self.total_lag() - self.config.log.max_lag_records
        return max(1, min(60, math.ceil(excess / 50_000)))

    def lag(self) -> list[LagSnapshot]:
        """Per-partition lag and iterator age (age of the oldest unprocessed record)."""
        positions = self.positions()
        now_ms = self.clock.now() * 1000
        out = []
        for state in self.log.states():
            position = max(positions[state.partition], state.first)
            age = 0.0
            if position < state.next:
                at = self.log.appended_ms_at(state.partition, position)
                age = max(0.0, (now_ms - at) / 1000) if at is not None else 0.0
            out.append(LagSnapshot(state.partition, state.next, position, age))
        return out

    # -- replay ---------------------------------------------------------------------------

    def seek_positions(self, *, to: str | None = None,
                       offsets: dict[int, int] | None = None) -> dict[int, int]:
        """Positions for `to` (`earliest`, `latest`, an RFC 3339 time) or explicit `offsets`."""
        states = self.log.states()
        if offsets is not None:
            unknown = sorted(set(offsets) - {s.partition for s in states})
            if unknown:
                raise ValueError(f"no partition {unknown}; partitions are 0..{len(states) - 1}")
            if any(off < 0 for off in offsets.values()):
                raise ValueError("offsets must be >= 0")
            return dict(offsets)
        if to == "earliest":
            return {s.partition: s.first for s in states}
        if to == "latest":
            return {s.partition: s.next for s in states}
        if to is None:
            raise ValueError("give `to` (earliest, latest or a time) or `offsets`")
        try:
            when = datetime.fromisoformat(to)
        except ValueError:
            raise ValueError(f"`to` = {to!r} is not earliest, latest or an RFC 3339 time") from None
        if when.tzinfo is None:
            raise ValueError(f"`to` = {to!r} needs a timezone, e.g. Z")
        ms = int(when.timestamp() * 1000)
        return {s.partition: self.log.offset_at(s.partition, ms) for s in states}

    def seek(self, positions: dict[int, int]) -> None:
        """Move the pipeline group (replay or skip) from the next batch on."""
        for worker in self.workers:
            worker.runner.seek({p: o for p, o in positions.items() if p in worker.partitions})
            worker.wake()

    # -- retention ----------------------------------------------------------------------

    def enforce_retention(self) -> int:
        """Trim the log and the store to the profile's retention; returns rows deleted."""
        cutoff_ms = int((self.clock.now() - self.config.log.retention_days * 86_400) * 1000)
        return self.log.trim(cutoff_ms) + self.store.trim(cutoff_ms)

    def _maintain(self) -> None:
        while not self._stop.is_set():
            self.enforce_retention()
            self._stop.wait(MAINTENANCE_SECONDS)
