"""Score a replay's insights against the incidents of a labelled file (`vigila eval`).

Matching rule: an incident is the run of labelled events sharing an
`incident_id`; its entity is their `stream_id`, its window runs from its first
to its last labelled event, extended by `GRACE_SECONDS` after the end (a fading
fault may still trigger). The incident is judged by the first insight about its
entity whose triggering interval lies in that window; when there is none, by
the latest insight about the entity in the `GRACE_SECONDS` before the window
(deduplication does not repeat an insight of the same type within five
minutes, so back-to-back incidents on one port share it). Insights that match
no incident are false alarms.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import msgspec

from vigila.insights.model import CRITICAL_RISK
from vigila.insights.replay import Replayed
from vigila.insights.request import LedgerEntry, avoided_by_stage, is_fallback

GRACE_SECONDS = 300.0


class Incident(msgspec.Struct):
    incident_id: str
    entity: str
    prediction_type: str
    risk_score: int
    start: float
    end: float


class Scorecard(msgspec.Struct):
    """What `vigila eval` prints."""

    incidents: int
    detected: int
    """Incidents with at least one matching insight."""
    type_accuracy: float
    risk_mae: float
    critical_precision: float
    """Of the pages (incidents judged critical, risk >= 80, and false alarms scored
    critical), the share for incidents labelled critical."""
    critical_recall: float
    """Of incidents labelled critical, the share judged critical."""
    false_alarms: int
    """Insights matching no incident."""
    false_pages: int
    """False alarms scored critical."""
    insights: int
    fallback_rate: float
    """Of the insights meant for the LLM, the share the analyst wrote instead (NaN when
    no LLM is configured)."""
    triggered: int
    """Triggered intervals: the calls of a one-call-per-triggered-event design."""
    llm_calls: int
    calls_avoided: float
    """1 - llm_calls / triggered."""
    cost_usd: float
    p95_latency_ms: float
    """Event to insight, wall clock, through the chain (LLM calls included)."""
    avoided_by_stage: dict[str, int]


def incidents_of(events: Iterable[dict[str, Any]]) -> list[Incident]:
    """Incidents from labelled `Port Metrics` events (`label` as the simulator writes it)."""
    found: dict[str, Incident] = {}
    for event in events:
        label = event.get("label")
        if not isinstance(label, dict):
            continue
        at = datetime.fromisoformat(event.get("time") or event["detail"]["timestamp"]
                                    ).timestamp()
        entity = event["detail"]["stream_id"]
        incident = found.get(label["incident_id"])
        if incident is None:
            found[label["incident_id"]] = Incident(label["incident_id"], entity,
                                                   label["prediction_type"],
                                                   int(label["risk_score"]), at, at)
        else:
            incident.start, incident.end = min(incident.start, at), max(incident.end, at)
    return list(found.values())


def score(incidents: list[Incident], replayed: list[Replayed], ledger: list[LedgerEntry],
          triggered: int) -> Scorecard:
    by_entity: dict[str, list[Replayed]] = {}
    for r in replayed:
        by_entity.setdefault(r.insight.entity, []).append(r)
    matched: set[int] = set()
    judged: list[tuple[Incident, Replayed]] = []
    for incident in incidents:
        mine = by_entity.get(incident.entity, [])
        inside = [r for r in mine
                  if incident.start <= r.trigger_at <= incident.end + GRACE_SECONDS]
        before = [r for r in mine
                  if incident.start - GRACE_SECONDS <= r.trigger_at < incident.start]
        if inside:
            matched.update(id(r) for r in inside)
            judged.append((incident, min(inside, key=lambda r: r.trigger_at)))
        elif before:
            chosen = max(before, key=lambda r: r.trigger_at)
            matched.add(id(chosen))
            judged.append((incident, chosen))
    false = [r for r in replayed if id(r) not in matched]
    false_pages = sum(1 for r in false if r.insight.risk_score >= CRITICAL_RISK)
    paged = [(i, r) for i, r in judged if r.insight.risk_score >= CRITICAL_RISK]
    true_pages = sum(1 for i, _ in paged if i.risk_score >= CRITICAL_RISK)
    critical = [(i, r) for i, r in judged if i.risk_score >= CRITICAL_RISK]
    calls = sum(e.calls for e in ledger)
    configured = [r for r in replayed if r.insight.fallback_reason is None
                  or is_fallback(r.insight.fallback_reason)]
    latencies = sorted(r.latency_ms for r in replayed)
    return Scorecard(
        incidents=len(incidents), detected=len(judged),
        type_accuracy=_share(judged, lambda i, r: r.insight.prediction_type
                             == i.prediction_type),
        risk_mae=_mean([abs(r.insight.risk_score - i.risk_score) for i, r in judged]),
        critical_precision=true_pages / (len(paged) + false_pages)
        if paged or false_pages else math.nan,
        critical_recall=_share(critical, lambda i, r: r.insight.risk_score >= CRITICAL_RISK),
        false_alarms=len(false),
        false_pages=false_pages,
        insights=len(replayed),
        fallback_rate=(sum(1 for r in configured if r.insight.fallback_reason)
                       / len(configured)) if configured else math.nan,
        triggered=triggered, llm_calls=calls,
        calls_avoided=1 - calls / triggered if triggered else math.nan,
        cost_usd=round(sum(e.cost_usd for e in ledger), 6),
        p95_latency_ms=latencies[int(0.95 * (len(latencies) - 1))] if latencies else math.nan,
        avoided_by_stage=avoided_by_stage(ledger))


def _share(pairs: list[tuple[Incident, Replayed]], test: Any) -> float:
    return sum(1 for i, r in pairs if test(i, r)) / len(pairs) if pairs else math.nan


def _mean(values: list[int]) -> float:
    return sum(values) / len(values) if values else math.nan
