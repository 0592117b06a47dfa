"""The pipeline runner: per partition, read a batch, process it, commit, checkpoint.

The checkpoint is written in the same store transaction as the batch's outputs,
so after a crash the runner resumes at the first batch whose outputs were not
committed; outputs are keyed by event id, so a replayed batch changes nothing.
Processor states are committed with them; when a commit fails, the states go
back to the committed ones before the batch runs again, so no baseline learns
an event twice.
A processor that raises on one event dead-letters that event, with a short
traceback, and the partition moves on.
"""

from __future__ import annotations

import logging
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import msgspec
import numpy as np
from opentelemetry import trace

from vigila.clock import Clock
from vigila.events.envelope import Event
from vigila.events.schemas import DetailSchemas
from vigila.log.base import AppendResult, EventLog, LogEntry, LogRecord
from vigila.metrics.declare import MetricExtractor, PointBatch
from vigila.pipeline.batch import Batch, ColumnSpec, EntitySlots, Group, Kind
from vigila.pipeline.processor import Emit, ProcessContext, Processor, Record
from vigila.routing.outbox import OutboxEntry
from vigila.routing.router import Router
from vigila.store.base import (
    DeadLetter,
    EventSpan,
    OutputRecord,
    ProcessedBatch,
    Store,
    StoredEvent,
)
from vigila.worker import Worker

_logger = logging.getLogger("vigila")

_envelope = msgspec.json.Decoder(Event[msgspec.Raw])
_decode_any = msgspec.json.Decoder(dict[str, Any]).decode
def _plain(value: Any) -> Any:
    """numpy scalars, which batch processors produce, as the Python numbers they hold."""
    if isinstance(value, np.generic):
        return value.item()
    raise NotImplementedError(f"cannot encode {type(value).__name__}")


_encode = msgspec.json.Encoder(enc_hook=_plain).encode
_EMIT_NAMESPACE = uuid.UUID("6f1d3c1e-1b8a-4c55-9a57-7d61f0c1a001")
TRACE_LINES = 6


class _ProcessorFailed(Exception):
    """A processor raised on a batch: it runs again one event at a time."""


class BatchStats(msgspec.Struct):
    partition: int
    records: int
    dead_letters: int
    emitted: int
    routed: int
    seconds: float


class PipelineRunner:
    """Runs `processors` over the log for consumer `group`, from its checkpoints."""

    def __init__(
        self,
        log: EventLog,
        store: Store,
        processors: Sequence[Processor],
        schemas: DetailSchemas,
        clock: Clock,
        *,
        group: str = "pipeline",
        batch_size: int = 5000,
        on_batch: Callable[[BatchStats], None] | None = None,
        tracer: trace.Tracer | None = None,
        on_append: Callable[[list[AppendResult]], None] | None = None,
        router: Router | None = None,
        metrics: MetricExtractor | None = None,
        on_metrics: Callable[[list[PointBatch]], None] | None = None,
        columns: Mapping[Kind, ColumnSpec] | None = None,
    ) -> None:
        self._log = log
        self._store = store
        self._processors = list(processors)
        self._schemas = schemas
        self._clock = clock
        self.group = group
        self._batch_size = batch_size
        self._on_batch = on_batch
        self._tracer = tracer or trace.NoOpTracer()
        self._on_append = on_append
        self._router = router
        self._metrics = metrics
        self._on_metrics = on_metrics
        self._columns = dict(columns or {})
        self._entities = EntitySlots()
        self._load_states()
        self.positions = self._starting_positions()
        self._seeks: dict[int, int] = {}
        self._seek_lock = threading.Lock()

    def _starting_positions(self) -> dict[int, int]:
        """The group's checkpoints, none past its partition's head: a log restored from an
        older copy would otherwise leave new events unprocessed until the head caught up."""
        stored = self._store.checkpoints(self.group)
        heads = {state.partition: state.next for state in self._log.states()}
        ahead = {p: heads.get(p, 0) for p, position in stored.items()
                 if position > heads.get(p, 0)}
        if ahead:
            _logger.warning("pipeline group %r: checkpoints past the log's head moved back to "
                            "it: %s", self.group,
                            {p: f"{stored[p]} -> {head}" for p, head in ahead.items()})
            self._store.set_checkpoints(self.group, ahead)
        return {p: ahead.get(p, stored.get(p, 0)) for p in range(self._log.partitions)}

    def run_once(self, partition: int, limit: int | None = None) -> int:
        """Process one batch of `partition` (at most `limit` records, default the batch
        size); returns how many records it held."""
        self._apply_seeks()
        if self._states_stale:
            self._load_states()
        started = self._clock.now()
        records = self._log.read(partition, self.positions[partition],
                                 min(limit or self._batch_size, self._batch_size))
        if not records:
            return 0
        with self._tracer.start_as_current_span("process") as span:
            try:
                batch, emitted, points = self._process_batch(partition, records)
                self._store.commit(batch)
            except BaseException:  # processors saw the batch: it runs again from the
                self._states_stale = True  # committed states, or baselines learn it twice
                raise
            self.positions[partition] = batch.next_offset
            if points and self._on_metrics:
                self._on_metrics(points)
            span.set_attributes({"vigila.partition": partition, "vigila.records": len(records),
                                 "vigila.dead_letters": len(batch.dead_letters),
                                 "vigila.emitted": emitted, "vigila.routed": len(batch.outbox)})
        if self._on_batch:
            self._on_batch(BatchStats(partition, len(records), len(batch.dead_letters), emitted,
                                      len(batch.outbox), self._clock.now() - started))
        return len(records)

    def _process_batch(self, partition: int, records: list[LogRecord]
                       ) -> tuple[ProcessedBatch, int, list[PointBatch]]:
        """Run the processors, rules and metric declarations over `records`; append what
        they emit. Returns the batch to commit, how many events were emitted, the points.

        When a processor raises, the states go back to the committed ones and the batch
        runs again one event per call, so that only the events it fails on are
        dead-lettered and every other output is what a clean run gives."""
        try:
            return self._run_batch(partition, records, isolate=False)
        except _ProcessorFailed:
            self._load_states()
            return self._run_batch(partition, records, isolate=True)

    def _run_batch(self, partition: int, records: list[LogRecord], *, isolate: bool
                   ) -> tuple[ProcessedBatch, int, list[PointBatch]]:
        letters: list[DeadLetter] = []
        groups, kinds = self._decode(records, letters)
        outputs: list[OutputRecord] = []
        emits: list[LogEntry] = []
        ctx = ProcessContext(clock=self._clock, partition=partition)
        for processor in self._processors:
            for batch in _batches(processor, groups, kinds, isolate):
                self._run(processor, batch, ctx, records, outputs, emits, letters, isolate)
        for group in groups.values():
            letters += [self._letter("decode", reason, records[group.positions[row]], "")
                        for row, reason in group.errors.items()]
        outputs += self._states()
        events = [StoredEvent(h.id, _time_ms(h, at), h.source, h.detail_type, h.resources,
                              partition, records[p].offset, records[p].data)
                  for group in groups.values()
                  for row, (p, h, at) in enumerate(zip(group.positions, group.heads,
                                                       group.appended_ms, strict=True))
                  if row not in group.errors]
        outbox, points = self._fanout(records, groups)
        if emits:
            appended = self._log.append(emits)
            if self._on_append:
                self._on_append([appended])
        batch = ProcessedBatch(self.group, partition, records[-1].offset + 1, events, outputs,
                               letters, outbox, _span(records, events))
        return batch, len(emits), points

    def _decode(self, records: list[LogRecord], letters: list[DeadLetter]
                ) -> tuple[dict[Kind, Group], list[Kind | None]]:
        """Each record's envelope, once, into groups by kind; the kind of each record
        (None for one that does not decode, which is dead-lettered)."""
        groups: dict[Kind, Group] = {}
        kinds: list[Kind | None] = []
        for position, record in enumerate(records):
            try:
                head = _envelope.decode(record.data)
                if not record.data.isascii():  # msgspec does not decode what a type skips
                    record.data.decode()
            except (msgspec.ValidationError, msgspec.DecodeError, UnicodeDecodeError) as exc:
                letters.append(self._letter("decode", str(exc), record, ""))
                kinds.append(None)
                continue
            kind = (head.source, head.detail_type)
            group = groups.get(kind)
            if group is None:
                group = groups[kind] = Group(kind, self._schemas, self._columns.get(kind),
                                             self._entities)
            group.add(position, head, record.appended_ms)
            kinds.append(kind)
        return groups, kinds

    def _run(self, processor: Processor, batch: Batch, ctx: ProcessContext,
             records: list[LogRecord], outputs: list[OutputRecord], emits: list[LogEntry],
             letters: list[DeadLetter], isolate: bool) -> None:
        group = batch.group
        try:
            produced = list(processor.process_batch(batch, ctx))
        except Exception as exc:  # a processor bug must not stall the partition
            if not isolate:
                raise _ProcessorFailed from exc
            record = records[group.positions[batch.start]]
            letters.append(self._letter(f"process:{processor.name}", _summary(exc), record,
                                        group.heads[batch.start].id))
            return
        per_row: dict[int, int] = {}
        for out in produced:
            row = batch.start + out.row
            head = group.heads[row]
            index = per_row[row] = per_row.get(row, -1) + 1
            if isinstance(out, Record):
                outputs.append(_output_record(out, _time_ms(head, group.appended_ms[row])))
            else:
                emits.append(_emitted(out, head, processor.name, index))

    def _load_states(self) -> None:
        """Set every stateful processor to its states as last committed."""
        self._states_stale = True
        for processor in self._processors:
            if hasattr(processor, "import_states"):
                processor.import_states(self._store.output_values(f"state:{processor.name}"))
        self._states_stale = False

    def _states(self) -> list[OutputRecord]:
        now_ms = int(self._clock.now() * 1000)
        return [OutputRecord(f"state:{p.name}", entity, entity, now_ms, state)
                for p in self._processors if hasattr(p, "export_states")
                for entity, state in p.export_states().items()]

    def _fanout(self, records: list[LogRecord], groups: dict[Kind, Group]
                ) -> tuple[list[OutboxEntry], list[PointBatch]]:
        """Rules see the events of a kind some rule may match, as the JSON objects they
        are; metric declarations read the groups' values in bulk."""
        outbox: list[OutboxEntry] = []
        router = self._router if self._router and self._router.active else None
        if router is not None:
            now_ms = int(self._clock.now() * 1000)
            lines = [record.data for record in records]
            for kind, group in groups.items():
                if router.may_match(*kind):
                    outbox += router.route_many(group.dicts(lines), now_ms)
        points: list[PointBatch] = []
        if self._metrics:
            for group in groups.values():
                extracted = self._metrics.extract(group)
                if extracted is not None and len(extracted):
                    points.append(extracted)
        return outbox, points

    def run_until_idle(self, partitions: Sequence[int] | None = None) -> int:
        """Process every partition until none has records left; returns records processed."""
        parts = list(range(self._log.partitions)) if partitions is None else list(partitions)
        total = 0
        while True:
            done = sum(self.run_once(p) for p in parts)
            total += done
            if not done:
                return total

    def seek(self, positions: dict[int, int]) -> None:
        """Move this group's positions (replay or skip); taken before the next batch.

        Safe to call from another thread while the runner runs.
        """
        with self._seek_lock:
            self._seeks.update(positions)

    def _apply_seeks(self) -> None:
        with self._seek_lock:
            seeks, self._seeks = self._seeks, {}
        if seeks:
            self._store.set_checkpoints(self.group, seeks)
            self.positions.update(seeks)

    def _letter(self, stage: str, reason: str, record: LogRecord, event_id: str) -> DeadLetter:
        return DeadLetter(stage=stage, reason=reason, raw=record.data, raw_size=len(record.data),
                          at_ms=int(self._clock.now() * 1000), event_id=event_id)


def _span(records: list[LogRecord], events: list[StoredEvent]) -> EventSpan | None:
    if not events:
        return None
    times = [e.time_ms for e in events]
    return EventSpan(records[0].partition, records[0].offset, len(records), min(times),
                     max(times), records[0].appended_ms, records[-1].appended_ms,
                     sorted({(e.source, e.detail_type) for e in events}),
                     sorted({r for e in events for r in e.resources}), [e.id for e in events])


def _batches(processor: Processor, groups: dict[Kind, Group], kinds: list[Kind | None],
             isolate: bool) -> Iterator[Batch]:
    """The batches `processor` gets: its kinds' events in log order, a batch per run of
    one kind (one event per batch when `isolate`)."""
    accepts = processor.accepts
    wanted = [k for k in groups if accepts is None or k in accepts]
    if not wanted:
        return
    if len(wanted) == 1 and not isolate:
        group = groups[wanted[0]]
        yield Batch(group, 0, len(group))
        return
    taken = dict.fromkeys(wanted, 0)
    run: Kind | None = None
    start = 0
    for kind in kinds:
        if kind is None or kind not in taken:
            continue
        if kind != run or isolate:
            if run is not None:
                yield Batch(groups[run], start, taken[run])
            run, start = kind, taken[kind]
        taken[kind] += 1
    if run is not None:
        yield Batch(groups[run], start, taken[run])


def _time_ms(head: Event[Any], appended_ms: int) -> int:
    return int(head.time.timestamp() * 1000) if head.time else appended_ms


def _output_record(out: Record, event_ms: int) -> OutputRecord:
    time_ms = event_ms if out.time is None else int(out.time * 1000)
    return OutputRecord(out.kind, out.key, out.entity, time_ms, _encode(out.value))


def _emitted(out: Emit, parent: Event[Any], processor: str, index: int) -> LogEntry:
    event_id = str(uuid.uuid5(_EMIT_NAMESPACE, f"{parent.id}/{processor}/{out.key or index}"))
    event = Event(id=event_id, source=out.source, detail_type=out.detail_type,
                  time=datetime.now(UTC) if parent.time is None else parent.time,
                  region=parent.region, account=parent.account, resources=out.resources,
                  detail=out.detail)
    return LogEntry(key=event.partition_key, id=event_id, data=_encode(event))


def _summary(exc: BaseException) -> str:
    """The exception and the innermost frames: enough to find the bug, short enough to store."""
    lines = traceback.format_exception(exc)
    return "".join(lines[-TRACE_LINES:]).strip()


YIELD_BATCH = 50
"""Records per partition per pass while the runner yields to ingest."""
YIELD_SECONDS = 0.05
"""Pause after such a pass: request threads get the interpreter meanwhile."""


class RunnerThread(Worker):
    """Runs a `PipelineRunner` over its partitions in a background thread, woken by appends.

    While `yield_to()` is true (clients are sending and the backlog is small), each pass
    is short and followed by a pause: in one process, the pipeline and the request
    threads share one interpreter, and accepting events comes first. The durable log
    holds what waits; `yield_to` turns false as the backlog grows, well before ingest
    would be refused for it.
    """

    def __init__(self, runner: PipelineRunner, partitions: Sequence[int], idle_wait: float,
                 yield_to: Callable[[], bool] | None = None) -> None:
        self.runner = runner
        self.partitions = list(partitions)
        self._yield_to = yield_to
        super().__init__(f"pipeline-{runner.group}", self._pass, idle_wait)

    def _pass(self) -> int:
        if self._yield_to is not None and self._yield_to():
            done = sum(self.runner.run_once(p, YIELD_BATCH) for p in self.partitions)
            if done:
                time.sleep(YIELD_SECONDS)
            return done
        return sum(self.runner.run_once(p) for p in self.partitions)
