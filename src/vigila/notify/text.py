"""Plain text of a notification: a one-line headline (email subject, Slack fallback) and a
body. Alerts come sanitized (`notify.alert`), so this only lays them out.

>>> from vigila.notify.alert import Alert
>>> a = Alert(fingerprint="f", labels={"alertname": "hot"}, kind="alarm", starts_ms=0,
...           annotations={"summary": "hot is ALARM", "description": "3 of 5 above 85"})
>>> headline(Notification.single(a, channel="c", key="k", at_ms=0))
'[FIRING] hot is ALARM'
"""

from __future__ import annotations

from datetime import UTC, datetime

from vigila.notify.alert import Alert
from vigila.notify.message import Notification

MAX_ALERTS_LISTED = 50
HEADLINE_CHARS = 200


def headline(n: Notification) -> str:
    """`[FIRING] <summary>` for one alert; `[FIRING:3, RESOLVED:1] <group>` for several."""
    if len(n.alerts) == 1:
        alert = n.alerts[0]
        text = f"[{alert.status.upper()}] {alert.annotations.get('summary', '')}"
    else:
        counts = [f"{word}:{count}" for word, count in
                  (("FIRING", n.firing_count), ("RESOLVED", n.resolved_count)) if count]
        about = " ".join(f"{k}={v}" for k, v in sorted(n.group_labels.items())) or \
            f"{len(n.alerts) + n.omitted} alerts"
        text = f"[{', '.join(counts)}] {about}"
    return text if len(text) <= HEADLINE_CHARS else text[: HEADLINE_CHARS - 1] + "…"


def body(n: Notification) -> str:
    """Every alert (firing first, at most `MAX_ALERTS_LISTED`), then the dedup key."""
    lines = [f"vigila: {n.firing_count} firing, {n.resolved_count} resolved", ""]
    if n.group_labels and len(n.alerts) > 1:
        lines += ["Group: " + ", ".join(f"{k}={v}" for k, v in sorted(n.group_labels.items())),
                  ""]
    ordered = n.firing + n.resolved
    for alert in ordered[:MAX_ALERTS_LISTED]:
        lines += [*alert_lines(alert), ""]
    more = max(0, len(ordered) - MAX_ALERTS_LISTED) + n.omitted
    if more:
        lines += [f"... and {more} more alerts", ""]
    lines += ["--", f"Notification {n.key}"]
    return "\n".join(lines) + "\n"


def alert_lines(alert: Alert) -> list[str]:
    notes = alert.annotations
    lines = [f"[{alert.status.upper()}] {notes.get('summary', '')}"]
    when = f"  Since {_time(alert.starts_ms)}"
    lines.append(when + (f", resolved {_time(alert.ends_ms)}" if alert.ends_ms else ""))
    if alert.kind == "insight":
        facts = [f"risk {notes['risk_score']}/100" if "risk_score" in notes else "",
                 f"confidence {notes['confidence']}" if "confidence" in notes else "",
                 f"by {notes['author']}" if "author" in notes else ""]
        lines.append("  " + ", ".join(f for f in facts if f))
    if alert.kind == "alarm" and "previous_state" in notes:
        lines.append(f"  State {notes.get('state', '')}, was {notes['previous_state']}")
    lines += ["  " + line for line in notes.get("description", "").splitlines()]
    if notes.get("recommendations"):
        lines.append("  Recommendations:")
        lines += ["  - " + line for line in notes["recommendations"].splitlines()]
    lines.append("  Labels: " + ", ".join(f"{k}={v}" for k, v in sorted(alert.labels.items())))
    if alert.link:
        lines.append(f"  {alert.link}")
    return lines


def _time(ms: int | None) -> str:
    return datetime.fromtimestamp((ms or 0) / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
