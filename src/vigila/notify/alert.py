"""Alerts: what a notification says about one thing, taken from an event.

An insight, an alarm state change or any other routed event becomes an `Alert`
in Alertmanager's shape: identifying `labels` (their hash is the fingerprint),
descriptive `annotations`, a start, and an end once resolved. Event text is
untrusted: every string is cut to a bounded length and stripped of control
characters here, once, so renderers can put it in a mail header or a Slack block.

>>> event = {"id": "e1", "source": "vigila.alarms", "detail-type": "Alarm State Change",
...          "time": "2026-09-21T14:15:00Z",
...          "detail": {"alarmName": "hot", "state": {"value": "ALARM", "reason": "3 of 5"},
...                     "previousState": {"value": "OK"}}}
>>> alert = alert_from_event(event, now_ms=0)
>>> alert.labels["alertname"], alert.status, alert.annotations["summary"]
('hot', 'firing', 'hot is ALARM')
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any, Literal
from urllib.parse import quote

import msgspec

from vigila.routing.transform import MISSING, select

LABEL_CHARS = 256
ANNOTATION_CHARS = 4000
Kind = Literal["insight", "alarm", "event"]


class Alert(msgspec.Struct, kw_only=True):
    """One alert of a notification; `ends_ms` is set once it is resolved."""

    fingerprint: str
    labels: dict[str, str]
    annotations: dict[str, str]
    kind: Kind
    starts_ms: int
    ends_ms: int | None = None
    """When it resolved (an alarm leaving ALARM); None while it fires."""
    expires_ms: int | None = None
    """A firing alert that no event will resolve (an insight) leaves its group then."""
    event_id: str = ""
    link: str = ""

    @property
    def resolved(self) -> bool:
        return self.ends_ms is not None

    @property
    def status(self) -> Literal["firing", "resolved"]:
        return "resolved" if self.resolved else "firing"


def alert_from_event(event: Any, *, now_ms: int, labels: dict[str, str] | None = None,
                     external_url: str = "") -> Alert:
    """The alert an event stands for; `labels` adds labels from JSON paths of the event."""
    if not isinstance(event, dict):
        event = {"detail": event}
    detail = event.get("detail")
    source, detail_type = _label(event.get("source")), _label(event.get("detail-type"))
    base = {"source": source, "detail_type": detail_type}
    if source == "vigila.insights" and isinstance(detail, dict):
        kind, found, notes, ends = "insight", *_insight(detail), None
        link = f"/v1/insights/{quote(notes.get('insight_id', ''), safe='')}"
    elif source == "vigila.alarms" and isinstance(detail, dict):
        kind, found, notes, ends = "alarm", *_alarm(detail, now_ms)
        link = f"/v1/alarms/{quote(found['alertname'], safe='')}"
    else:
        kind, found, notes, ends = "event", *_event(event, detail), None
        link = f"/v1/events/{quote(_text(event.get('id')), safe='')}"
    extra = {}
    for name, path in (labels or {}).items():
        value = select(event, path)
        extra[name] = "" if value is MISSING or value is None else _label(value)
    all_labels = {k: v for k, v in {**base, **found, **extra}.items() if v}
    starts = _time_ms(notes.pop("_starts", None)) or _time_ms(event.get("time")) or now_ms
    return Alert(fingerprint=fingerprint(all_labels), labels=all_labels,
                 annotations={k: v for k, v in notes.items() if v}, kind=kind,
                 starts_ms=starts, ends_ms=ends, event_id=_text(event.get("id")),
                 link=f"{external_url.rstrip('/')}{link}" if external_url else "")


def fingerprint(labels: dict[str, str]) -> str:
    """A stable hash of a label set, 16 hex digits (as Alertmanager shows it)."""
    digest = hashlib.sha256()
    for name in sorted(labels):
        digest.update(f"{name}\xff{labels[name]}\xff".encode())
    return digest.hexdigest()[:16]


def _insight(detail: dict[str, Any]) -> tuple[dict[str, str], dict[str, Any]]:
    kind = _label(detail.get("prediction_type")) or "insight"
    entity = _label(detail.get("entity"))
    risk = detail.get("risk_score")
    risk = risk if isinstance(risk, int | float) and not isinstance(risk, bool) else None
    severity = "critical" if risk is not None and risk >= 80 else "warning"
    recommendations = detail.get("recommendations")
    if not isinstance(recommendations, list):
        recommendations = []
    summary = f"{kind} on {entity or 'unknown entity'}" + (
        f", risk {risk:g}" if risk is not None else "")
    confidence = detail.get("confidence")
    return ({"alertname": kind, "entity": entity, "prediction_type": kind,
             "severity": severity},
            {"summary": _label(summary), "description": _text(detail.get("explanation")),
             "recommendations": _text("\n".join(_label(r) for r in recommendations[:10])),
             "risk_score": "" if risk is None else f"{risk:g}",
             "confidence": f"{confidence:.2f}" if isinstance(confidence, float | int) else "",
             "insight_id": _label(detail.get("insight_id")),
             "author": _label(detail.get("source")),
             "_starts": detail.get("created_at")})


def _alarm(detail: dict[str, Any], now_ms: int
           ) -> tuple[dict[str, str], dict[str, Any], int | None]:
    name = _label(detail.get("alarmName")) or "alarm"
    state = detail.get("state") if isinstance(detail.get("state"), dict) else {}
    previous = detail.get("previousState")
    previous = previous if isinstance(previous, dict) else {}
    value = _label(state.get("value"))
    metric = _first_metric(detail.get("configuration"))
    labels = {"alertname": name, "namespace": _label(metric.get("namespace")),
              "metric_name": _label(metric.get("name"))}
    description = _label((detail.get("configuration") or {}).get("description")
                         if isinstance(detail.get("configuration"), dict) else "")
    notes: dict[str, Any] = {
        "summary": _label(f"{name} is {value or 'unknown'}"),
        "description": _text(state.get("reason")), "state": value,
        "previous_state": _label(previous.get("value")), "alarm_description": description,
        "_starts": state.get("timestamp") if value == "ALARM" else previous.get("timestamp")}
    ends = None
    if value != "ALARM":
        ends = _time_ms(state.get("timestamp")) or now_ms
    return labels, notes, ends


def _first_metric(configuration: Any) -> dict[str, Any]:
    metrics = configuration.get("metrics") if isinstance(configuration, dict) else None
    if not isinstance(metrics, list) or not metrics or not isinstance(metrics[0], dict):
        return {}
    metric = (metrics[0].get("metricStat") or {}).get("metric") if isinstance(
        metrics[0].get("metricStat"), dict) else None
    return metric if isinstance(metric, dict) else {}


def _event(event: dict[str, Any], detail: Any) -> tuple[dict[str, str], dict[str, Any]]:
    detail_type = _label(event.get("detail-type")) or "event"
    resources = event.get("resources")
    resource = _label(resources[0]) if isinstance(resources, list) and resources else ""
    source = _label(event.get("source"))
    body = detail if isinstance(detail, str) else msgspec.json.encode(detail).decode()
    return ({"alertname": detail_type, "resource": resource},
            {"summary": _label(f"{detail_type} from {source or 'unknown source'}"
                               + (f" ({resource})" if resource else "")),
             "description": _text(body)})


def _time_ms(value: Any) -> int | None:
    if not isinstance(value, str) or len(value) > 64:
        return None
    try:
        when = datetime.fromisoformat(value.replace("+0000", "+00:00"))
    except ValueError:
        return None
    return int(when.timestamp() * 1000) if when.tzinfo else None


def _label(value: Any) -> str:
    """One line, printable, at most `LABEL_CHARS`."""
    text = value if isinstance(value, str) else "" if value is None else str(value)
    return _cut("".join(c if c.isprintable() else " " for c in text[: LABEL_CHARS * 4]),
                LABEL_CHARS)


def _text(value: Any) -> str:
    """Printable lines, at most `ANNOTATION_CHARS` in all."""
    text = value if isinstance(value, str) else "" if value is None else str(value)
    lines = text[: ANNOTATION_CHARS * 4].splitlines()
    clean = "\n".join("".join(c if c.isprintable() else " " for c in line) for line in lines)
    return _cut(clean.strip(), ANNOTATION_CHARS)


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
