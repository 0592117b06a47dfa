"""The embedded runtime: one process, SQLite log and store, built from a `Config`.

It is the only place that picks adapters; the core modules never import one.
"""

from __future__ import annotations

import contextlib
import logging
import math
import os
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import msgspec
from opentelemetry.sdk.trace.export import SpanExporter

from vigila.alarms.catalog import AlarmCatalog
from vigila.alarms.evaluator import AlarmEvaluator
from vigila.alarms.service import AlarmService
from vigila.clock import Clock, SystemClock
from vigila.config.loader import ConfigError
from vigila.config.schema import Config
from vigila.ingest.decoder import EventDecoder
from vigila.ingest.service import IngestService
from vigila.ingest.workers import IngestWorkers
from vigila.insights.engine import ChainResult, build_engine
from vigila.insights.request import LedgerEntry, is_fallback
from vigila.insights.stages.budget import month_start
from vigila.insights.worker import INSIGHT_KIND, LEDGER_KIND, InsightWorker
from vigila.log.base import Appendable, AppendResult
from vigila.log.sqlite import SqliteLog
from vigila.log.writer import LogWriter
from vigila.metrics.datapoint import Datapoint
from vigila.metrics.declare import MetricExtractor, PointBatch
from vigila.metrics.engine import MetricsEngine
from vigila.metrics.rollup import RollupConfig
from vigila.notify.notifier import Notifier
from vigila.packs.base import BareRoute, load_packs, register_schemas
from vigila.pipeline.processor import Processor
from vigila.pipeline.runner import BatchStats, PipelineRunner, RunnerThread
from vigila.routing.catalog import RuleCatalog
from vigila.routing.model import notifies
from vigila.routing.outbox import Backoff, Dispatcher, OutboxEntry
from vigila.routing.router import Router
from vigila.routing.targets import TargetDelivery
from vigila.routing.transform import payload
from vigila.store.events import EventReader
from vigila.store.sqlite import SqliteStore
from vigila.telemetry.metrics import EngineMetrics, LagSnapshot
from vigila.telemetry.tracing import make_tracer_provider, tracer

log = logging.getLogger("vigila")
PIPELINE_GROUP = "pipeline"
TICK_SECONDS = 2.0
_ledger = msgspec.json.Decoder(LedgerEntry)


MAINTENANCE_SECONDS = 3600.0
STOP_WAIT_SECONDS = 30.0
LEDGER_DAYS = 62
"""The insight ledger is kept at least this long (the monthly budget and cost reports)."""


class Runtime:
    """Log, store, ingest service, pipeline workers and telemetry of one embedded node;
    `events` reads processed events back."""

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
        self.events = EventReader(self.store, self.log)
        decoder = EventDecoder(self.schemas, config.ingest, partitions=config.log.partitions,
                               region=config.region, account=config.account)
        self.ingest = IngestService(decoder, config.ingest, self.clock)
        self.ingest_workers = (IngestWorkers(config, config.ingest.workers,
                                             on_commit=self.committed)
                               if config.ingest.workers else None)
        self.metrics = EngineMetrics(self.lag, self.store.count_dead_letters, PIPELINE_GROUP)
        self.tracer_provider = make_tracer_provider(config, span_exporter)
        self.tracer = tracer(self.tracer_provider)
        # Checkpoints read before the heads are past them only where the log was restored.
        processed = self.store.checkpoints(PIPELINE_GROUP)
        self._heads = [state.next for state in self.log.states()]
        self._forget_past_heads(processed)
        self._heads_lock = threading.Lock()
        self._ingesting = 0
        self._ingesting_lock = threading.Lock()
        self.writer = LogWriter(self.log, max_events=config.log.append_batch_max,
                                on_commit=self.committed)
        self.router = Router(region=config.region, account=config.account)
        self.rules = RuleCatalog(config, [(rule, f"pack:{p.name}") for p in self.packs
                                          for rule in p.rules], self.store, self.router,
                                 self.clock)
        self.notifier = Notifier(self.store.notify, self.clock, env=os.environ)
        self.delivery = TargetDelivery(
            put_outputs=self.store.put_outputs, append=self.append,
            max_hops=config.routing.max_hops, region=config.region, account=config.account,
            notify=self.notifier)
        self.dispatcher = Dispatcher(
            self.store, self.delivery, self.clock,
            backoff=Backoff(config.routing.retry_base_seconds, config.routing.retry_max_seconds),
            on_result=self.metrics.record_delivery, flush=self.notifier.flush)
        m = config.metrics
        self.metrics_engine = MetricsEngine(self.clock, self.store, RollupConfig(
            retention_10s=m.retention_10s_hours * 3600, retention_1m=m.retention_1m_hours * 3600,
            retention_1h=m.retention_1h_days * 86_400, allowed_lateness=m.allowed_lateness_seconds,
            max_series_per_metric=m.max_series_per_metric, max_series=m.max_series))
        self.metrics_engine.restore()
        self._extractor = MetricExtractor([m for p in self.packs for m in p.metrics],
                                          config.environment)
        self.alarms = AlarmService(
            AlarmEvaluator(self.clock, self.metrics_engine.aggregator, region=config.region,
                           account=config.account,
                           late_data_delay=config.alerting.late_data_delay_seconds),
            lock=self.metrics_engine.lock, publish=self._publish_events, act=self._act,
            follows_alerts=lambda name: name in config.targets and notifies(config.targets[name]))
        self.alarm_catalog = AlarmCatalog(
            config, [(a, f"pack:{p.name}") for p in self.packs for a in p.alarms], self.store,
            self.alarms, self.clock)
        self.insights = self._make_insight_worker()
        self.workers = self._make_workers()
        self._stop = threading.Event()
        self._started = False
        self._self_totals: dict[str, float] = {
            "DeadLetters": float(self.store.count_dead_letters())}
        """Totals at the last tick; dead letters kept from earlier runs are not growth."""
        self._maintenance = threading.Thread(target=self._maintain, name="maintenance",
                                             daemon=True)

    def _forget_past_heads(self, processed: dict[int, int]) -> None:
        """A log restored from an older copy than the store gives new events the offsets
        the store had indexed past its heads: those are forgotten first."""
        behind = {p: head for p, head in enumerate(self._heads) if processed.get(p, 0) > head}
        if behind:
            self.store.forget_spans_past(behind)

    def _make_workers(self) -> list[RunnerThread]:
        count = min(self.config.pipeline.workers, self.log.partitions)
        workers = []
        for index in range(count):
            runner = PipelineRunner(
                self.log, self.store, self._processors(),
                self.schemas, self.clock, group=PIPELINE_GROUP,
                batch_size=self.config.pipeline.batch_size, on_batch=self._processed,
                tracer=self.tracer, on_append=self.committed, router=self.router,
                metrics=self._extractor, on_metrics=self._add_points,
                columns={kind: spec for p in self.packs for kind, spec in p.columns.items()})
            owned = range(index, self.log.partitions, count)
            workers.append(RunnerThread(runner, owned, self.config.pipeline.idle_wait_seconds,
                                        yield_to=self._ingest_first
                                        if self.config.pipeline.yield_to_ingest else None))
        return workers

    def _add_points(self, batches: list[PointBatch]) -> None:
        self.metrics_engine.add(
            Datapoint(keys[s][0], keys[s][1], dict(keys[s][2]), t, v)
            for keys, series, stamps, values in batches
            for s, t, v in zip(series.tolist(), stamps.tolist(), values.tolist(), strict=True))

    def _make_insight_worker(self) -> InsightWorker:
        prompts = next((p.prompts for p in self.packs if p.prompts is not None), None)
        engine = build_engine(self.config, prompts, self.clock)
        engine.budget.restore([(e.at, e.cost_usd) for e in self.ledger(
            since=month_start(self.clock.now()), stage="llm")])
        return InsightWorker(engine, self.store, self._publish_events,
                             on_result=self._insights_made)

    def ledger(self, *, since: float, stage: str | None = None) -> list[LedgerEntry]:
        """The insight chain's decisions since `since` (seconds), oldest first."""
        rows = self.store.recent_outputs(LEDGER_KIND, since_ms=int(since * 1000) - 1,
                                         entity=stage, limit=10_000_000)
        return sorted((_ledger.decode(row.data) for row in rows), key=lambda e: e.at)

    def _insights_made(self, result: ChainResult) -> None:
        now = self.clock.now()
        namespace = f"Vigila/{self.config.environment}"
        calls = sum(entry.calls for entry in result.ledger)
        cost = sum(entry.cost_usd for entry in result.ledger)
        fallbacks = sum(1 for i in result.insights if is_fallback(i.fallback_reason))
        self.metrics_engine.add([Datapoint(namespace, "LlmCalls", {}, now, float(calls)),
                                 Datapoint(namespace, "LlmCostUsd", {}, now, cost),
                                 Datapoint(namespace, "InsightFallbacks", {}, now,
                                           float(fallbacks))])
        self.metrics.llm_calls.inc(calls)
        self.metrics.llm_cost.inc(cost)
        for insight in result.insights:
            self.metrics.insights.labels(insight.source.split("/")[0]).inc()

    def _processors(self) -> list[Processor]:
        """Fresh processors of every pack, from its validated `pack_settings`."""
        built = []
        for pack in self.packs:
            settings = self.config.pack_settings.get(pack.name, {})
            try:
                built += pack.processors(settings)
            except msgspec.ValidationError as exc:
                raise ConfigError(f"invalid configuration: pack_settings.{pack.name}: {exc}"
                                  ) from None
        return built

    def start(self, *, pipeline: bool = True) -> None:
        """Start the log writer and, unless `pipeline` is False, the workers and retention."""
        self._started = True
        self.writer.start()
        if self.ingest_workers is not None:
            self.ingest_workers.start()
        if pipeline:
            for worker in self.workers:
                worker.start()
            self.dispatcher.worker.start()
            self.insights.worker.start()
            self._maintenance.start()

    def stop(self) -> None:
        """Stop the threads (if started), flush traces, close the databases."""
        self._stop.set()
        if self.ingest_workers is not None:
            self.ingest_workers.close()
        if self._started:
            self.writer.stop()
            for worker in self.workers:
                worker.stop()
            self.dispatcher.worker.stop()
            self.insights.worker.stop(self.insights.engine.pass_seconds + 5)  # mid-call
            if self._maintenance.is_alive():  # mid-tick it may still append: wait for it
                self._maintenance.join(STOP_WAIT_SECONDS)
        self.insights.engine.close()
        self.delivery.close()
        self.notifier.close()
        self.tracer_provider.shutdown()
        self.log.close()
        self.store.close()

    # -- flow figures -------------------------------------------------------------------

    @contextlib.contextmanager
    def ingesting(self) -> Iterator[None]:
        """Mark a request being ingested (the pipeline yields to it; see `RunnerThread`)."""
        with self._ingesting_lock:
            self._ingesting += 1
        try:
            yield
        finally:
            with self._ingesting_lock:
                self._ingesting -= 1

    def _ingest_first(self) -> bool:
        return self._ingesting > 0 and \
            self.total_lag() < self.config.log.max_lag_records // 2

    def committed(self, results: list[AppendResult]) -> None:
        """Account for appends committed (by the writer, the pipeline or an ingest worker):
        heads for lag, metrics, and a wake-up for the pipeline."""
        with self._heads_lock:
            for result in results:
                for part, count in result.records_by_partition.items():
                    self._heads[part] += count
        self.metrics.record_appends(results)
        for worker in self.workers:
            worker.wake()

    def sync_heads(self) -> None:
        """Catch up with appends this process was not told of (another process, such as
        `vigila ingest`, or an ingest worker whose answer never came back)."""
        stored = [state.next for state in self.log.states()]
        with self._heads_lock:
            behind = any(s > h for s, h in zip(stored, self._heads, strict=True))
            self._heads = [max(s, h) for s, h in zip(stored, self._heads, strict=True)]
        if behind:
            for worker in self.workers:
                worker.wake()

    def _processed(self, stats: BatchStats) -> None:
        self.metrics.processed.labels(str(stats.partition)).inc(stats.records)
        self.metrics.process_dead_letters.inc(stats.dead_letters)
        self.metrics.process_seconds.observe(stats.seconds)
        self.insights.worker.wake()
        if stats.routed:
            self.metrics.routed.inc(stats.routed)
            self.dispatcher.worker.wake()

    def append(self, batch: Appendable) -> AppendResult:
        """Append decoded events to the log now (not batched) and wake the workers."""
        result = self.log.append(batch)
        self.committed([result])
        return result

    def bare_route(self, pack: str, route: str) -> BareRoute | None:
        """The bare-details ingest route `route` of a loaded pack, if it declares one."""
        found = next((p for p in self.packs if p.name == pack), None)
        return found.bare_routes.get(route) if found else None

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
        now = self.clock.now()
        cutoff_ms = int((now - self.config.log.retention_days * 86_400) * 1000)
        insights_ms = int((now - self.config.ai.insight_ttl_days * 86_400) * 1000)
        ledger_ms = int((now - LEDGER_DAYS * 86_400) * 1000)
        return self.log.trim(cutoff_ms) + self.store.trim(cutoff_ms) + \
            self.store.trim_outputs(INSIGHT_KIND, insights_ms) + \
            self.store.trim_outputs(LEDGER_KIND, min(insights_ms, ledger_ms))

    def self_datapoints(self) -> list[Datapoint]:
        """vigila's own health as metrics in `Vigila/{environment}` (for its alarms)."""
        now = self.clock.now()
        namespace = f"Vigila/{self.config.environment}"
        sample = self.metrics.registry.get_sample_value
        totals = {
            "IngestAccepted": sample("vigila_ingest_events_total", {"outcome": "accepted"}),
            "IngestRejected": sample("vigila_ingest_events_total", {"outcome": "rejected"}),
            "NotificationFailures": self.metrics.delivery_failures(),
            "DeadLetters": float(self.store.count_dead_letters()),
        }
        points = []
        for name, total in totals.items():  # each as its growth since the last tick
            total = total or 0.0
            points.append(Datapoint(namespace, name, {}, now,
                                    max(0.0, total - self._self_totals.get(name, 0.0))))
            self._self_totals[name] = total
        lags = self.lag()
        points += [
            Datapoint(namespace, "ConsumerLagRecords", {}, now,
                      float(sum(x.head - x.position for x in lags))),
            Datapoint(namespace, "IteratorAgeSeconds", {}, now,
                      max((x.iterator_age for x in lags), default=0.0)),
        ]
        return points

    def tick(self) -> None:
        """Periodic work: log heads, self-metrics, metric buckets, alarms, rules written
        elsewhere."""
        self.sync_heads()
        self.metrics_engine.add(self.self_datapoints())
        self.metrics_engine.tick()
        self.alarms.tick()
        self.rules.reload()

    # -- alarms ---------------------------------------------------------------------------

    def _publish_events(self, events: list[dict]) -> None:
        """Internal events go through the same decoder as ingested ones, then the log."""
        now = self.clock.now()
        stamp = datetime.fromtimestamp(now, UTC)
        entries = [self.ingest.decoder.decode_item(msgspec.json.encode(e), i, stamp,
                                                   int(now * 1000))
                   for i, e in enumerate(events)]
        self.append(entries)

    def _act(self, event: dict, targets: list[str]) -> None:
        now_ms = int(self.clock.now() * 1000)
        alarm = event.get("detail", {}).get("alarmName", "")
        entries = []
        for name in targets:
            target = self.config.targets[name]
            entries.append(OutboxEntry(
                key=f"alarm/{name}/{event['id']}", rule=f"alarm:{alarm}",
                target=msgspec.json.encode(target), event_id=event["id"],
                payload=payload(target, event, rule=f"alarm:{alarm}"), hops=0,
                created_ms=now_ms, due_ms=now_ms))
        self.store.enqueue_outbox(entries)
        self.dispatcher.worker.wake()

    def _maintain(self) -> None:
        next_trim = 0.0
        while not self._stop.is_set():
            try:
                if self.clock.now() >= next_trim:
                    next_trim = self.clock.now() + MAINTENANCE_SECONDS
                    self.enforce_retention()
                self.tick()
            except Exception:  # keep maintaining; the next tick retries
                log.exception("maintenance tick failed")
            self._stop.wait(TICK_SECONDS)
