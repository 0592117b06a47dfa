"""Fabric insights: each triggered interval judged, deduplicated, stored and published.

This is the analyst path of the insight engine: the deterministic analyst
judges the evidence, and a port's insight of one type is not repeated within
`dedup_seconds` (an incident spans many intervals; the operator needs one
insight, not one per interval). Each insight is stored (kind `insight`) and
published as `source: vigila.insights`, `detail-type: Insight`, or
`Critical Insight` when its risk is 80 or more, for rules to route.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec

from vigila.insights.analyst import analyze
from vigila.insights.model import Insight
from vigila.packs.fabric.enrich import Enriched
from vigila.pipeline.processor import Emit, ProcessContext, Record

SOURCE = "vigila.insights"
PROMPT_VERSION = "analyst-1"
_IDS = uuid.UUID("3b8f3e2a-51a4-4d0c-9e3c-2f6a1d7c9b01")


class InsightSettings(msgspec.Struct, forbid_unknown_fields=True):
    dedup_seconds: float = 300.0
    """A port's insight of one type is not repeated within this many seconds."""
    ttl_days: float = 30.0
    """How long an insight is kept."""


class FabricInsights:
    """Turns `Analysis Triggered` events into insights (see the module docstring)."""

    name = "fabric-insights"
    accepts = frozenset({("vigila.fabric", "Analysis Triggered")})

    def __init__(self, settings: InsightSettings | None = None) -> None:
        self.settings = settings or InsightSettings()
        self._last: dict[str, float] = {}
        self._dirty: set[str] = set()

    def process(self, event: Any, ctx: ProcessContext) -> Iterator[Record | Emit]:
        evidence: Enriched = event.detail
        at = event.time.timestamp() if event.time else ctx.clock.now()
        draft = analyze(evidence)
        key = f"{evidence.stream_id}|{draft.prediction_type}"
        last = self._last.get(key)
        if last is not None and 0 <= at - last < self.settings.dedup_seconds:
            return
        self._last[key] = at
        self._dirty.add(key)
        created = datetime.fromtimestamp(at, UTC)
        insight = Insight(
            insight_id=str(uuid.uuid5(_IDS, event.id)), entity=evidence.stream_id,
            prediction_type=draft.prediction_type, risk_score=draft.risk_score,
            explanation=draft.explanation, recommendations=draft.recommendations,
            confidence=draft.confidence, evidence=msgspec.to_builtins(evidence),
            source="analyst", prompt_version=PROMPT_VERSION, created_at=created,
            expires_at=created + timedelta(days=self.settings.ttl_days))
        yield Record(kind="insight", key=insight.insight_id, entity=insight.entity,
                     value=insight, time=at)
        yield Emit(source=SOURCE,
                   detail_type="Critical Insight" if insight.critical else "Insight",
                   detail=insight, key="insight", resources=[insight.entity])

    def export_states(self) -> dict[str, bytes]:
        dirty, self._dirty = self._dirty, set()
        return {key: str(self._last[key]).encode() for key in dirty}

    def import_states(self, states: dict[str, bytes]) -> None:
        self._last.update({key: float(value) for key, value in states.items()})
