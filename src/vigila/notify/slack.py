"""Slack incoming-webhook messages: `text` (the fallback and notification line) and Block
Kit `blocks`. Event text is escaped for mrkdwn (`&`, `<`, `>`), so a field cannot
mention `<!channel>` or forge a link; Slack's limits (150 characters in a header,
3,000 in a section, 50 blocks) are kept.

>>> from vigila.notify.alert import Alert
>>> a = Alert(fingerprint="f", labels={"alertname": "hot"}, kind="alarm", starts_ms=0,
...           annotations={"summary": "hot is ALARM", "description": "<!channel> 3 of 5",
...                        "state": "ALARM", "previous_state": "OK"})
>>> message = slack_message(Notification.single(a, channel="c", key="k", at_ms=0))
>>> message["text"], message["blocks"][1]["text"]["text"].splitlines()[1]
('[FIRING] hot is ALARM', '&lt;!channel&gt; 3 of 5')
"""

from __future__ import annotations

from typing import Any

from vigila.notify.alert import Alert
from vigila.notify.message import Notification
from vigila.notify.text import headline

MAX_ALERTS = 20
SECTION_CHARS = 3000
HEADER_CHARS = 150


def slack_message(n: Notification) -> dict[str, Any]:
    title = headline(n)
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": _cut(title, HEADER_CHARS)}}]
    ordered = n.firing + n.resolved
    for alert in ordered[:MAX_ALERTS]:
        blocks.append({"type": "section",
                       "text": {"type": "mrkdwn", "text": _cut(_alert(alert), SECTION_CHARS)}})
    footer = f"vigila · {_escape(n.channel)}"
    more = max(0, len(ordered) - MAX_ALERTS) + n.omitted
    if more:
        footer = f"{more} more alerts not shown · " + footer
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": footer}]})
    return {"text": _escape(title), "blocks": blocks}


def _alert(alert: Alert) -> str:
    notes = alert.annotations
    labels = alert.labels
    if alert.kind == "insight":
        head = (f"*{_escape(labels.get('severity', '').upper())} · "
                f"{_escape(labels.get('prediction_type', ''))}* on "
                f"`{_escape(labels.get('entity', ''))}`")
        if "risk_score" in notes:
            head += f" · risk *{_escape(notes['risk_score'])}*/100"
        if "confidence" in notes:
            head += f" · confidence {_escape(notes['confidence'])}"
    elif alert.kind == "alarm":
        head = (f"*{_escape(labels.get('alertname', ''))}* is "
                f"*{_escape(notes.get('state', ''))}*")
        if "previous_state" in notes:
            head += f" (was {_escape(notes['previous_state'])})"
    else:
        head = f"*{_escape(notes.get('summary', ''))}*"
    if alert.resolved:
        head = "Resolved: " + head
    lines = [head, *(_escape(line) for line in notes.get("description", "").splitlines())]
    if notes.get("recommendations"):
        lines.append("*Recommendations*")
        lines += ["• " + _escape(r) for r in notes["recommendations"].splitlines()]
    if alert.link:
        lines.append(f"<{_escape(alert.link)}|details>")
    return "\n".join(lines)


def _escape(text: str) -> str:
    """Slack's three control characters, as its formatting guide asks."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
