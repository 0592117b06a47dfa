"""Offline replay: a recorded event file through a pack's whole insight path, on event time.

Events go, in file order, through the pack's processors (enrichment, triggers,
analyst, dedup) and the insight chain, with a manual clock set to each event's
time, so windows, dedup and budgets behave as they did live. Requests of one
event time (a polling interval: every port reports at once) share the chain's
batching, as requests arriving together do live. Events the pack emits (such as
`Analysis Triggered`) are processed in turn. A `label` field on an event (the
simulator's) is removed before processing: scoring reads it from the file.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Iterable, Iterator
from typing import Any

import msgspec

from vigila.clock import ManualClock
from vigila.config.schema import Config
from vigila.events.envelope import Event
from vigila.insights.engine import build_engine
from vigila.insights.model import Insight
from vigila.insights.request import InsightRequest, LedgerEntry
from vigila.insights.worker import LEDGER_KIND, REQUEST_KIND
from vigila.packs.base import Pack, register_schemas
from vigila.pipeline.batch import EntitySlots
from vigila.pipeline.processor import Emit, ProcessContext, Processor, Record, process_events

_envelope = msgspec.json.Decoder(Event[msgspec.Raw])


class Replayed(msgspec.Struct):
    """An insight and how long the chain took from its triggering event (wall clock)."""

    insight: Insight
    trigger_at: float
    """Event time of the triggered interval."""
    latency_ms: float


class ReplayError(ValueError):
    """An event of the file cannot be replayed; says which and why."""


class Replay:
    """One pack's processors and insight engine, on a manual clock."""

    def __init__(self, pack: Pack, config: Config) -> None:
        self.clock = ManualClock(0.0)
        self.schemas = register_schemas([pack])
        self.processors: list[Processor] = pack.processors(
            config.pack_settings.get(pack.name, {}))
        self.columns = pack.columns
        self.entities = EntitySlots()
        self.engine = build_engine(config, pack.prompts, self.clock, sleep=self.clock.advance)
        self.ledger: list[LedgerEntry] = []
        self.triggered = 0
        """Requests plus intervals dropped by dedup: one LLM call each without the chain."""

    def run(self, events: Iterable[dict[str, Any]]) -> Iterator[Replayed]:
        pending: list[tuple[InsightRequest, float]] = []
        ctx = ProcessContext(clock=self.clock, partition=0)
        for index, raw in enumerate(events):
            event = self._event(raw, index)
            at = event.time.timestamp() if event.time else self.clock.now()
            if pending and at > pending[0][0].at:
                yield from self._judge(pending)
                pending = []
            self.clock.set(max(at, self.clock.now()))
            started = time.perf_counter()
            queue: deque[Event[Any]] = deque([event])
            while queue:
                current = queue.popleft()
                kind = (current.source, current.detail_type)
                for processor in self._accepting(current):
                    outputs = process_events(processor, [current], ctx, entities=self.entities,
                                             columns=self.columns.get(kind))
                    for i, out in enumerate(outputs):
                        if isinstance(out, Emit):
                            queue.append(_emitted(out, current, processor.name, i))
                        elif isinstance(out, Record):
                            self._record(out, started, pending)
        if pending:
            yield from self._judge(pending)

    def _judge(self, pending: list[tuple[InsightRequest, float]]) -> Iterator[Replayed]:
        result = self.engine.run([request for request, _ in pending])
        self.ledger += result.ledger
        done = time.perf_counter()
        for (request, started), insight in zip(pending, result.insights, strict=True):
            yield Replayed(insight, request.at, (done - started) * 1000)

    def _record(self, out: Record, started: float,
                pending: list[tuple[InsightRequest, float]]) -> None:
        if out.kind == REQUEST_KIND:
            pending.append((out.value, started))
            self.triggered += 1
        elif out.kind == LEDGER_KIND:
            self.ledger.append(out.value)
            self.triggered += 1

    def _accepting(self, event: Event[Any]) -> list[Processor]:
        key = (event.source, event.detail_type)
        return [p for p in self.processors if p.accepts is None or key in p.accepts]

    def _event(self, raw: dict[str, Any], index: int) -> Event[Any]:
        if not isinstance(raw, dict):
            raise ReplayError(f"event {index}: expected a JSON object")
        body = {k: v for k, v in raw.items() if k != "label"}
        body.setdefault("id", f"replay-{index}")
        try:
            event = _envelope.decode(msgspec.json.encode(body))
            event.detail = self.schemas.decoder(event.source, event.detail_type).decode(
                event.detail)
        except (msgspec.ValidationError, msgspec.DecodeError) as exc:
            raise ReplayError(f"event {index} (id {body['id']}): {exc}") from None
        return event


def _emitted(out: Emit, parent: Event[Any], processor: str, index: int) -> Event[Any]:
    return Event(id=f"{parent.id}/{processor}/{out.key}/{index}", source=out.source,
                 detail_type=out.detail_type, time=parent.time, resources=out.resources,
                 detail=out.detail)
