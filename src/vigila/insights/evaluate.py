"""Score an analyst against labelled fabric events (what `vigila eval fabric` reports).

The events (simulator output, say) are fed without their labels, in order,
through the pack's enricher; each interval it triggers is judged by the analyst
and joined back to its source event's label. An incident is scored on its
first triggered interval, the one an operator sees first (the insight engine
deduplicates the later ones); every triggered interval is also scored on its
own, and triggered intervals outside any incident (false triggers) should come
out `anomaly_detected` at low risk.

>>> from vigila.packs.fabric.simulator import simulate
>>> events = simulate(nodes=2, ports=1, seed=3, start=1_790_000_000.0, interval=10.0,
...                   count=2 * 60, faults="rdma_timeout@1:300+60*0.5")
>>> scores = evaluate_analyst(events)
>>> scores.incidents, scores.type_accuracy, scores.confusion["rdma_timeout"]
(1, 1.0, {'rdma_timeout': 1})
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import msgspec

from vigila.clock import ManualClock
from vigila.events.envelope import Event
from vigila.insights.analyst import analyze
from vigila.insights.model import CRITICAL_RISK, Draft
from vigila.packs.fabric.enrich import COLUMNS, Enriched, FabricEnricher, FabricSettings
from vigila.packs.fabric.schema import PortMetrics
from vigila.pipeline.batch import EntitySlots
from vigila.pipeline.processor import ProcessContext, process_events

LOW_RISK = 50
"""A false trigger judged below this risk does no harm: it is not worth a page."""


class Label(msgspec.Struct):
    """What the simulator says an event is part of."""

    prediction_type: str
    risk_score: int
    incident_id: str


class Judged(msgspec.Struct):
    """One triggered interval, its label (None outside incidents) and the analyst's draft."""

    label: Label | None
    draft: Draft
    first: bool
    """The incident's first triggered interval."""


class AnalystScores(msgspec.Struct):
    """How an analyst did on a labelled stream."""

    incidents: int
    """Incidents with at least one triggered interval (each scored on its first)."""
    missed_incidents: int
    """Incidents that triggered no interval at all."""
    type_accuracy: float
    risk_mae: float
    """Mean absolute error of the risk score against the label's, per incident."""
    noncritical_scored_critical: float
    """Of the incidents whose label risk is below `CRITICAL_RISK`, the fraction scored at
    or above it (a false page)."""
    critical_scored_noncritical: float
    """Of the incidents whose label risk is at or above `CRITICAL_RISK`, the fraction
    scored below it (a missed page)."""
    intervals: int
    interval_accuracy: float
    """Type accuracy over every triggered interval inside an incident."""
    false_triggers: int
    false_trigger_low_risk_rate: float
    """Of the triggered intervals outside any incident, the fraction judged
    `anomaly_detected` with risk below `LOW_RISK`."""
    confusion: dict[str, dict[str, int]]
    """Per incident: label type -> predicted type -> count."""


def evaluate_analyst(
    events: Iterable[dict[str, Any]],
    analyst: Callable[[Enriched], Draft] = analyze,
    settings: FabricSettings | None = None,
) -> AnalystScores:
    """Feed labelled `Port Metrics` events (time order) through a fresh enricher, judge
    every triggered interval with `analyst`, and score it (see the module docstring)."""
    judged: list[Judged] = []
    incidents: set[str] = set()
    scored: set[str] = set()
    for evidence, label in triggered(events, settings, incidents):
        first = label is not None and label.incident_id not in scored
        if label is not None:
            scored.add(label.incident_id)
        judged.append(Judged(label, analyst(evidence), first))
    return score(judged, len(incidents))


def triggered(
    events: Iterable[dict[str, Any]],
    settings: FabricSettings | None = None,
    incidents: set[str] | None = None,
) -> Iterator[tuple[Enriched, Label | None]]:
    """Every interval the enricher triggers on, with the label of its source event.
    Adds every incident id seen (triggered or not) to `incidents` when given."""
    enricher = FabricEnricher(settings)
    ctx = ProcessContext(clock=ManualClock(), partition=0)
    entities = EntitySlots()
    chunk: list[tuple[Event[PortMetrics], Label | None]] = []
    for i, raw in enumerate(events):
        event, label = _unlabel(raw, i)
        if label is not None and incidents is not None:
            incidents.add(label.incident_id)
        chunk.append((event, label))
        if len(chunk) == CHUNK_EVENTS:
            yield from _triggered(enricher, chunk, ctx, entities)
            chunk = []
    if chunk:
        yield from _triggered(enricher, chunk, ctx, entities)


CHUNK_EVENTS = 2_000
"""Events the enricher takes per batch, as the pipeline would hand them over."""


def _triggered(enricher: FabricEnricher, chunk: list[tuple[Event[PortMetrics], Label | None]],
               ctx: ProcessContext, entities: EntitySlots
               ) -> Iterator[tuple[Enriched, Label | None]]:
    events = [event for event, _ in chunk]
    for emit in process_events(enricher, events, ctx, entities=entities, columns=COLUMNS):
        event, label = chunk[emit.row]
        evidence: Enriched = emit.detail
        yield evidence, label if evidence.event_id == event.id else None


def score(judged: list[Judged], incidents_seen: int) -> AnalystScores:
    """Figures from judged intervals (`first` marked) and the number of incidents seen."""
    firsts = [j for j in judged if j.first and j.label is not None]
    inside = [j for j in judged if j.label is not None]
    outside = [j for j in judged if j.label is None]
    noncritical = [j for j in firsts if j.label.risk_score < CRITICAL_RISK]
    critical = [j for j in firsts if j.label.risk_score >= CRITICAL_RISK]
    return AnalystScores(
        incidents=len(firsts),
        missed_incidents=incidents_seen - len(firsts),
        type_accuracy=_rate(firsts, _right_type),
        risk_mae=_mean([abs(j.draft.risk_score - j.label.risk_score) for j in firsts]),
        noncritical_scored_critical=_rate(noncritical, _critical),
        critical_scored_noncritical=_rate(critical, lambda j: not _critical(j)),
        intervals=len(inside),
        interval_accuracy=_rate(inside, _right_type),
        false_triggers=len(outside),
        false_trigger_low_risk_rate=_rate(outside, _harmless),
        confusion=_confusion(firsts),
    )


def _unlabel(raw: dict[str, Any], index: int) -> tuple[Event[PortMetrics], Label | None]:
    """The event as the pipeline would see it (label removed, an id if it had none)."""
    body = {key: value for key, value in raw.items() if key != "label"}
    body.setdefault("id", f"e{index}")
    label = raw.get("label")
    return (
        msgspec.convert(body, Event[PortMetrics]),
        None if label is None else msgspec.convert(label, Label),
    )


def _right_type(j: Judged) -> bool:
    return j.label is not None and j.draft.prediction_type == j.label.prediction_type


def _critical(j: Judged) -> bool:
    return j.draft.risk_score >= CRITICAL_RISK


def _harmless(j: Judged) -> bool:
    return j.draft.prediction_type == "anomaly_detected" and j.draft.risk_score < LOW_RISK


def _confusion(firsts: list[Judged]) -> dict[str, dict[str, int]]:
    table: dict[str, dict[str, int]] = {}
    for j in firsts:
        row = table.setdefault(j.label.prediction_type, {})
        row[j.draft.prediction_type] = row.get(j.draft.prediction_type, 0) + 1
    return {kind: dict(sorted(row.items())) for kind, row in sorted(table.items())}


def _rate(items: list[Judged], test: Callable[[Judged], bool]) -> float:
    return sum(1 for j in items if test(j)) / len(items) if items else math.nan


def _mean(values: list[int]) -> float:
    return sum(values) / len(values) if values else math.nan
