"""The insight worker: takes queued requests from the store, runs the chain, stores and
publishes the insights.

Requests are written by the pipeline with the batch that triggered them, so a
crash never loses one. The chain returns results in steps (what needs no
call first, then each call's); each step's insights and ledger are stored, then
published as events (ids derived from the insight id, so the log keeps one
copy), then their requests are deleted. After a crash between those steps, the
requests whose insight is already stored are published again, not judged again.
If the chain itself fails, the analyst answers what is left.
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
        rows = self._store.recent_outputs(REQUEST_KIND, limit=self._batch, oldest_first=True)
        if not rows:
            return 0
        requests, stored, unreadable = [], [], []
        for row in rows:
            try:
                request = _request.decode(row.data)
            except msgspec.DecodeError as exc:  # written by another version: drop it
                log.error("dropping unreadable insight request %s: %s", row.key, exc)
                unreadable.append(row.key)
                continue
            insight = self._stored(request.insight_id)
            if insight is None:
                requests.append(request)
            else:
                stored.append(insight)
        self._store.delete_outputs(REQUEST_KIND, unreadable)
        if stored:
            self._finish(ChainResult(stored, [], []), fresh=False)
        steps, finished = self.engine.run_steps(requests), set()
        while True:
            try:
                step = next(steps, None)
            except Exception as exc:  # the chain itself broke: the analyst answers the rest
                log.exception("insight chain failed; the analyst answers")
                step = self.engine.fallback_all(
                    [r for r in requests if r.insight_id not in finished],
                    f"internal_error: {exc}"[:500])
                steps = iter(())
            if step is None:
                return len(rows)
            self._finish(step)  # a store or publish failure ends the pass: retried later
            finished.update(i.insight_id for i in step.insights)

    def _stored(self, insight_id: str) -> Insight | None:
        done = self._store.get_output(INSIGHT_KIND, insight_id)
        try:
            return _insight.decode(done.data) if done else None
        except msgspec.DecodeError:
            return None

    def _finish(self, step: ChainResult, *, fresh: bool = True) -> None:
        """Store (when fresh), publish, then dequeue one step's insights."""
        if not step.insights and not step.ledger:
            return
        if fresh:
            key = step.insights[0].insight_id if step.insights else str(uuid.uuid4())
            self._store.put_outputs(insight_records(step.insights)
                                    + ledger_records(step, key))
        events = [insight_event(i) for i in step.insights]
        self._publish(events + [spend_alert_event(a) for a in step.alerts])
        self._store.delete_outputs(REQUEST_KIND, [i.insight_id for i in step.insights])
        if fresh and self._on_result:
            self._on_result(step)
