"""Fabric insights, first stages: each triggered interval judged by the analyst,
deduplicated, and queued for the insight chain.

A port's insight of one type is not repeated within `dedup_seconds` (an
incident spans many intervals; the operator needs one insight, not one per
interval). What passes is stored as an `insight-request` with the batch that
triggered it; the insight worker (`vigila.insights.worker`) runs the rest of
the chain, stores the insight and publishes it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import msgspec

from vigila.insights.analyst import analyze
from vigila.insights.request import InsightRequest, LedgerEntry
from vigila.insights.stages.dedup import Dedup
from vigila.insights.worker import LEDGER_KIND, REQUEST_KIND
from vigila.packs.fabric.enrich import Enriched
from vigila.pipeline.processor import PerEvent, ProcessContext, Record

_IDS = uuid.UUID("3b8f3e2a-51a4-4d0c-9e3c-2f6a1d7c9b01")


class InsightSettings(msgspec.Struct, forbid_unknown_fields=True):
    dedup_seconds: float = 300.0
    """A port's insight of one type is not repeated within this many seconds."""


class FabricInsights(PerEvent):
    """Turns `Analysis Triggered` events into insight requests (see the module docstring)."""

    name = "fabric-insights"
    accepts = frozenset({("vigila.fabric", "Analysis Triggered")})

    def __init__(self, settings: InsightSettings | None = None) -> None:
        self.settings = settings or InsightSettings()
        self.dedup = Dedup(self.settings.dedup_seconds)

    def process(self, event: Any, ctx: ProcessContext) -> Iterator[Record]:
        evidence: Enriched = event.detail
        at = event.time.timestamp() if event.time else ctx.clock.now()
        draft = analyze(evidence)
        if not self.dedup.admit(f"{evidence.stream_id}|{draft.prediction_type}", at, event.id):
            yield Record(kind=LEDGER_KIND, key=f"{event.id}/dedup", entity="dedup",
                         value=LedgerEntry(at=at, stage="dedup"), time=at)
            return
        request = InsightRequest(
            insight_id=str(uuid.uuid5(_IDS, event.id)), entity=evidence.stream_id,
            evidence=msgspec.to_builtins(evidence), analyst=draft, at=at)
        yield Record(kind=REQUEST_KIND, key=request.insight_id, entity=request.entity,
                     value=request, time=at)

    def export_states(self) -> dict[str, bytes]:
        return self.dedup.export_states()

    def import_states(self, states: dict[str, bytes]) -> None:
        self.dedup.import_states(states)
