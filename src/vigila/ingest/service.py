"""Ingest a request body: split, decode item by item, append durably, dead-letter rejects.

`prepare` is pure CPU work and `finish` appends and stores the rejects, so a
server can run the two apart (the append on its group-commit writer, or both in
an ingest worker); `ingest` does both in line for the CLI and benchmarks.
"""

from __future__ import annotations

from collections.abc import Callable

import msgspec

from vigila.clock import Clock
from vigila.config.schema import IngestConfig
from vigila.ingest.body import EventItems, split_items
from vigila.ingest.decoder import DecodedBatch, EventDecoder, Rejection
from vigila.ingest.wrap import wrap_details
from vigila.log.base import Appendable, AppendResult
from vigila.store.base import DeadLetter

AppendFn = Callable[[Appendable], AppendResult]
"""Appends durably (`EventLog.append`)."""


DeadLetterFn = Callable[[list[DeadLetter]], object]


class IngestResult(msgspec.Struct):
    """What happened to each item of a request."""

    accepted: int
    duplicates: int
    rejected: list[Rejection]
    ids: list[str]
    """Ids of the accepted events, in request order (duplicates included)."""


class Prepared(msgspec.Struct):
    items: EventItems
    batch: DecodedBatch
    received_at: float


class IngestService:
    """Turns bodies into log appends; owns no thread and no connection."""

    def __init__(self, decoder: EventDecoder, limits: IngestConfig, clock: Clock) -> None:
        self.decoder = decoder
        self._limits = limits
        self._clock = clock

    def prepare(self, body: bytes, content_type: str | None = None,
                content_encoding: str | None = None) -> Prepared:
        """Split and decode; raises `IngestError` when the request fails as a whole."""
        return self.prepare_items(split_items(body, content_type, content_encoding, self._limits))

    def prepare_bare(self, body: bytes, content_type: str | None,
                     content_encoding: str | None, *, source: str, detail_type: str,
                     resource_field: str) -> Prepared:
        """A body of bare details (a pack's own format): each is wrapped in an envelope of
        `source` / `detail_type` with its `resource_field` as resource, then decoded.
        Errors and dead letters name the items as sent (`$[3].utilization`)."""
        items = split_items(body, content_type, content_encoding, self._limits)
        prepared = self.prepare_items(EventItems(
            wrap_details(list(items), source, detail_type, resource_field)))
        for rejection in prepared.batch.rejected:
            rejection.error = rejection.error.replace(f"$[{rejection.index}].detail",
                                                      f"$[{rejection.index}]")
        prepared.items = items
        return prepared

    def prepare_items(self, items: EventItems) -> Prepared:
        """Decode items already split (and possibly wrapped) from a body."""
        received_at = self._clock.now()
        return Prepared(items, self.decoder.decode_batch(items, received_at), received_at)

    def dead_letters(self, prepared: Prepared) -> list[DeadLetter]:
        """The rejected items, their bytes capped, ready for the dead-letter store."""
        cap = self._limits.deadletter_raw_cap
        at_ms = int(prepared.received_at * 1000)
        letters = []
        for rejection in prepared.batch.rejected:
            raw = prepared.items[rejection.index]
            letters.append(DeadLetter(stage="ingest", reason=rejection.error, raw=raw[:cap],
                                      raw_size=len(raw), at_ms=at_ms))
        return letters

    @staticmethod
    def result(prepared: Prepared, appended: AppendResult) -> IngestResult:
        return IngestResult(
            accepted=appended.appended + appended.duplicates,
            duplicates=appended.duplicates,
            rejected=prepared.batch.rejected,
            ids=prepared.batch.ids,
        )

    def finish(self, prepared: Prepared, append: AppendFn, dead_letter: DeadLetterFn
               ) -> tuple[IngestResult, AppendResult]:
        """Append durably, then store the rejects: the client's answer, and the append."""
        appended = append(prepared.batch.to_append)
        if prepared.batch.rejected:
            dead_letter(self.dead_letters(prepared))
        return self.result(prepared, appended), appended

    def ingest(self, body: bytes, append: AppendFn, dead_letter: DeadLetterFn,
               content_type: str | None = None,
               content_encoding: str | None = None) -> IngestResult:
        """Everything in line: the entries are durable when this returns."""
        prepared = self.prepare(body, content_type, content_encoding)
        return self.finish(prepared, append, dead_letter)[0]
