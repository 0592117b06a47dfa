"""The insight worker: takes queued requests from the store, runs the chain, stores and
publishes the insights.

Requests are written by the pipeline with the batch that triggered them, so a
crash never loses one. A pass stores the insights and ledger first, then
publishes them as events (ids derived from the insight id, so the log keeps one
copy), then deletes the requests. After a crash between those steps, the
requests whose insight is already stored are published again, not judged again.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from typing import Any

import msgspec

from vigila.insights.engine import ChainResult, InsightEngine
from vigila.insights.model import Insight
from vigila.insights.request import InsightRequest
from vigila.store.base import OutputRecord, Store
from vigila.worker import Worker

log = logging.getLogger("vigila")
REQUEST_KIND = "insight-request"
INSIGHT_KIND = "insight"
LEDGER_KIND = "insight-ledger"
SOURCE = "vigila.insights"
_EVENTS = uuid.UUID("9a4c2f0e-7d1b-4e8a-b3c5-1f2e3d4c5b6a")
_request = msgspec.json.Decoder(InsightRequest)
_insight = msgspec.json.Decoder(Insight)
_encode = msgspec.json.encode


def insight_event(insight: Insight) -> dict[str, Any]:
    """`source: vigila.insights`, `detail-type: Insight`, or `Critical Insight` at risk 80+."""
    return {"id": str(uuid.uuid5(_EVENTS, insight.insight_id)), "source": SOURCE,
            "detail-type": "Critical Insight" if insight.critical else "Insight",
            "time": insight.created_at.isoformat(), "resources": [insight.entity],
            "detail": msgspec.to_builtins(insight)}


def spend_alert_event(alert: dict[str, Any]) -> dict[str, Any]:
    """`detail-type: LLM Spend Alert`, once per hour whose spend crossed the alert level."""
    return {"id": str(uuid.uuid5(_EVENTS, f"spend/{alert['hour']}")), "source": SOURCE,
            "detail-type": "LLM Spend Alert", "detail": alert}


def ledger_records(result: ChainResult, key: str) -> list[OutputRecord]:
    return [OutputRecord(LEDGER_KIND, f"{key}/{i}", entry.stage, int(entry.at * 1000),
                         _encode(entry)) for i, entry in enumerate(result.ledger)]


def insight_records(insights: list[Insight]) -> list[OutputRecord]:
    return [OutputRecord(INSIGHT_KIND, i.insight_id, i.entity,
                         int(i.created_at.timestamp() * 1000), _encode(i)) for i in insights]


class InsightWorker:
    """`run_once` is one pass over at most `batch` queued requests, oldest first."""

    def __init__(self, engine: InsightEngine, store: Store,
                 publish: Callable[[list[dict[str, Any]]], None], *, batch: int = 64,
                 on_result: Callable[[ChainResult], None] | None = None) -> None:
        self.engine = engine
        self._store = store
        self._publish = publish
        self._batch = batch
        self._on_result = on_result
        self.worker = Worker("insights", self.run_once, idle_wait=0.5)

    def run_once(self) -> int:
        rows = self._store.oldest_outputs(REQUEST_KIND, self._batch)
        if not rows:
            return 0
        requests, stored = [], []
        for row in rows:
            try:
                request = _request.decode(row.data)
            except msgspec.DecodeError as exc:  # written by an older version: drop it
                log.error("dropping unreadable insight request %s: %s", row.key, exc)
                continue
            done = self._store.get_output(INSIGHT_KIND, request.insight_id)
            if done is not None:
                stored.append(_insight.decode(done.data))
            else:
                requests.append(request)
        result = self.engine.run(requests)
        self._store.put_outputs(insight_records(result.insights)
                                + ledger_records(result, rows[0].key))
        events = [insight_event(i) for i in stored + result.insights]
        self._publish(events + [spend_alert_event(a) for a in result.alerts])
        self._store.delete_outputs(REQUEST_KIND, [row.key for row in rows])
        if self._on_result:
            self._on_result(result)
        return len(rows)
