"""A notification: the alerts of one group that a channel sends as one message.

>>> from vigila.notify.alert import Alert
>>> a = Alert(fingerprint="f1", labels={"alertname": "x", "entity": "p1"},
...           annotations={"summary": "x on p1"}, kind="event", starts_ms=0)
>>> n = Notification.single(a, channel="oncall", key="oncall/e1", at_ms=0)
>>> n.status, n.group_key
('firing', 'oncall:{alertname="x",entity="p1"}')
"""

from __future__ import annotations

from typing import Literal

import msgspec

from vigila.notify.alert import Alert

MAX_ALERTS = 500
"""Most alerts one message carries (and its outbox row stores); the rest are counted."""

class Notification(msgspec.Struct, kw_only=True):
    """What a channel renders: a group's alerts, firing first, and the key receivers dedup on."""

    channel: str
    key: str
    """The dedup key: `Idempotency-Key` over HTTP, the seed of an email's Message-ID."""
    group_key: str
    group_labels: dict[str, str]
    alerts: list[Alert]
    at_ms: int
    """When the notification was made (the email's Date: the same on every retry)."""
    omitted_firing: int = 0
    omitted_resolved: int = 0
    """Alerts of the group beyond what one message carries (`MAX_ALERTS`), by state."""

    @classmethod
    def of_group(cls, alerts: list[Alert], **fields: object) -> Notification:
        """A group's notification: firing alerts first, at most `MAX_ALERTS` of them kept."""
        ordered = [a for a in alerts if not a.resolved] + [a for a in alerts if a.resolved]
        left = ordered[MAX_ALERTS:]
        return cls(alerts=ordered[:MAX_ALERTS],
                   omitted_firing=sum(1 for a in left if not a.resolved),
                   omitted_resolved=sum(1 for a in left if a.resolved), **fields)

    @classmethod
    def single(cls, alert: Alert, *, channel: str, key: str, at_ms: int) -> Notification:
        """An ungrouped notification: one alert, its labels as the group's."""
        return cls(channel=channel, key=key, group_key=group_key(channel, alert.labels),
                   group_labels=alert.labels, alerts=[alert], at_ms=at_ms)

    @property
    def firing(self) -> list[Alert]:
        return [a for a in self.alerts if not a.resolved]

    @property
    def resolved(self) -> list[Alert]:
        return [a for a in self.alerts if a.resolved]

    @property
    def firing_count(self) -> int:
        return len(self.firing) + self.omitted_firing

    @property
    def resolved_count(self) -> int:
        return len(self.resolved) + self.omitted_resolved

    @property
    def omitted(self) -> int:
        return self.omitted_firing + self.omitted_resolved

    @property
    def status(self) -> Literal["firing", "resolved"]:
        """`firing` while any alert fires (Alertmanager's rule)."""
        return "firing" if self.firing_count else "resolved"

    def common_labels(self) -> dict[str, str]:
        return _common([a.labels for a in self.alerts])

    def common_annotations(self) -> dict[str, str]:
        return _common([a.annotations for a in self.alerts])


def group_key(channel: str, labels: dict[str, str]) -> str:
    """Alertmanager's group key shape: `<receiver>:{name="value",...}`."""
    inner = ",".join(f"{name}={msgspec.json.encode(labels[name]).decode()}"
                     for name in sorted(labels))
    return f"{channel}:{{{inner}}}"


def _common(maps: list[dict[str, str]]) -> dict[str, str]:
    if not maps:
        return {}
    first, *rest = maps
    return {k: v for k, v in first.items() if all(m.get(k) == v for m in rest)}
