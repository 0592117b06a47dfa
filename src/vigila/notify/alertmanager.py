"""Alertmanager's webhook payload (`webhook_config`, version 4), so any receiver written for
Alertmanager (PagerDuty bridges, chat relays, ticketing hooks) takes vigila's alerts.

>>> from vigila.notify.alert import Alert
>>> a = Alert(fingerprint="0123456789abcdef", labels={"alertname": "hot"}, kind="alarm",
...           annotations={"summary": "hot is ALARM"}, starts_ms=1_790_000_000_000)
>>> body = alertmanager_payload(Notification.single(a, channel="am", key="k", at_ms=0))
>>> body["version"], body["status"], body["alerts"][0]["startsAt"], body["alerts"][0]["endsAt"]
('4', 'firing', '2026-09-21T14:13:20.000Z', '0001-01-01T00:00:00Z')
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from vigila.notify.alert import Alert
from vigila.notify.message import Notification

ZERO_TIME = "0001-01-01T00:00:00Z"
"""Go's zero time: what Alertmanager sends as `endsAt` of an alert still firing."""


def alertmanager_payload(n: Notification, *, external_url: str = "", max_alerts: int = 0
                         ) -> dict[str, Any]:
    ordered = n.firing + n.resolved
    shown = ordered[:max_alerts] if max_alerts else ordered
    return {
        "version": "4",
        "groupKey": n.group_key,
        "truncatedAlerts": len(ordered) - len(shown) + n.omitted,
        "status": n.status,
        "receiver": n.channel,
        "groupLabels": n.group_labels,
        "commonLabels": n.common_labels(),
        "commonAnnotations": n.common_annotations(),
        "externalURL": external_url,
        "alerts": [_alert(a) for a in shown],
    }


def _alert(alert: Alert) -> dict[str, Any]:
    return {
        "status": alert.status,
        "labels": alert.labels,
        "annotations": alert.annotations,
        "startsAt": _rfc3339(alert.starts_ms),
        "endsAt": _rfc3339(alert.ends_ms) if alert.ends_ms is not None else ZERO_TIME,
        "generatorURL": alert.link,
        "fingerprint": alert.fingerprint,
    }


def _rfc3339(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
