"""Grouping in Alertmanager's manner: aggregation groups, group wait, group interval and
repeat interval, with the notification log that decides whether a group is sent.

An alert joins the group of its channel and its values of `group.by`. A new group
is sent `wait_seconds` later (at once if its alert is already older than that),
then looked at every `interval_seconds`: it is sent when it has a firing alert not
sent before, when an alert sent as firing resolved, or, unchanged, once
`repeat_interval_seconds` have passed since it was last sent (Alertmanager's
`DedupStage`). Resolved alerts leave the group once looked at; an alert that
no event resolves (an insight) leaves silently `resolve_timeout_seconds` after
its last occurrence and is forgotten, so raised again it is news again.

Every change is one store transaction: absorbing an outbox row into its group, and
turning a due group into an outbox row of its own (the notification, delivered and
retried like any other). A group has at most one notification in flight; the next
waits for it, so a channel that was down receives a group's messages in order.

>>> from vigila.notify.alert import Alert
>>> a = Alert(fingerprint="f1", labels={"alertname": "x"}, annotations={}, kind="event",
...           starts_ms=0)
>>> needs_update(None, set(), set(), {"f1"}, set(), now_ms=0, repeat_ms=60_000)
True
>>> needs_update(0, {"f1"}, set(), {"f1"}, set(), now_ms=30_000, repeat_ms=60_000)
False
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Callable
from typing import Protocol

import msgspec

from vigila.notify.alert import Alert, alert_from_event
from vigila.notify.message import Notification, group_key
from vigila.routing.model import Grouping, NotifyTarget
from vigila.routing.outbox import OutboxEntry

NOTIFY_RULE = "notify:"
"""Prefix of the `rule` of an outbox row that is a group's notification."""
log = logging.getLogger("vigila")
_target_decoder = msgspec.json.Decoder(NotifyTarget)


class GroupState(msgspec.Struct, kw_only=True):
    """One aggregation group and its notification log entry."""

    channel: str
    id: str
    """A hash of `key`, short enough for outbox keys."""
    key: str
    labels: dict[str, str]
    target: bytes
    """The channel's spec, as last routed to it."""
    next_flush_ms: int
    incarnation: str
    """Fresh each time the group is created, so its notifications' keys never repeat."""
    seq: int = 0
    notified_ms: int | None = None
    notified_firing: list[str] = []
    notified_resolved: list[str] = []
    pending_key: str = ""
    """The outbox key of its last notification; the next waits while that one is pending."""
    sending_ms: int | None = None
    """When the pending notification was queued; its alerts count as notified only once it
    is delivered (Alertmanager logs a notification after it is sent)."""
    sending_firing: list[str] = []
    sending_resolved: list[str] = []


class GroupStore(Protocol):
    def notify_group(self, channel: str, group_id: str) -> GroupState | None: ...

    def notify_alert(self, channel: str, group_id: str, fingerprint: str) -> Alert | None: ...

    def notify_alerts(self, channel: str, group_id: str) -> list[Alert]: ...

    def notify_absorb(self, outbox_key: str, group: GroupState, alert: Alert,
                      at_ms: int) -> None:
        """Save the group and the alert, and settle the outbox row, in one transaction."""

    def notify_due(self, now_ms: int, limit: int) -> list[GroupState]:
        """Groups due to be looked at whose last notification is no longer pending."""

    def notify_outcome(self, outbox_key: str) -> tuple[str, int | None] | None:
        """The state (`delivered`, `dead`, ...) and settling time of a queued notification;
        None when its row is gone (trimmed after delivery)."""

    def notify_flush(self, group: GroupState, *, keep: bool, drop: list[str],
                     entry: OutboxEntry | None) -> None:
        """Save (or, without `keep`, delete) the group, drop alerts, queue the notification,
        in one transaction."""


class Flush(msgspec.Struct):
    """What looking at a due group decided."""

    notification: list[Alert] | None
    drop: list[str]
    keep: bool


def needs_update(notified_ms: int | None, notified_firing: set[str],
                 notified_resolved: set[str], firing: set[str], resolved: set[str], *,
                 now_ms: int, repeat_ms: int) -> bool:
    """Alertmanager's `DedupStage.needsUpdate`, resolved alerts always sent."""
    if notified_ms is None:
        return bool(firing)
    if not firing <= notified_firing:
        return True
    if not firing:
        return bool(notified_firing)
    if not resolved <= notified_resolved:
        return True
    return notified_ms <= now_ms - repeat_ms


def plan_flush(group: GroupState, alerts: list[Alert], grouping: Grouping,
               now_ms: int) -> Flush:
    """Decide a due group: send or not, which alerts leave, whether the group stays.

    Updates `group` in place: its next look and, when it sends, its notification log."""
    # An alert expires (resolves by timeout) only once it was notified: one that waited
    # through an outage of its channel is still sent when the channel is back.
    notified = set(group.notified_firing)
    expired = {a.fingerprint for a in alerts
               if not a.resolved and a.expires_ms is not None and a.expires_ms <= now_ms
               and a.fingerprint in notified}
    live = [a for a in alerts if a.fingerprint not in expired]
    firing = [a for a in live if not a.resolved]
    resolved = [a for a in live if a.resolved]
    notified_firing = set(group.notified_firing) - expired
    send = needs_update(group.notified_ms, notified_firing, set(group.notified_resolved),
                        {a.fingerprint for a in firing}, {a.fingerprint for a in resolved},
                        now_ms=now_ms, repeat_ms=int(grouping.repeat_interval_seconds * 1000))
    group.notified_firing = sorted(notified_firing)
    if send:  # notified once delivered: see `GroupStage.settle`
        group.sending_ms = now_ms
        group.sending_firing = sorted(a.fingerprint for a in firing)
        group.sending_resolved = sorted(a.fingerprint for a in resolved)
    group.next_flush_ms = now_ms + int(grouping.interval_seconds * 1000)
    return Flush(notification=firing + resolved if send else None,
                 drop=sorted(expired | {a.fingerprint for a in resolved}),
                 keep=bool(firing) or send)


def group_labels(labels: dict[str, str], by: list[str]) -> dict[str, str]:
    """The labels that make the group; a missing label counts as empty, as in Alertmanager."""
    if by == ["..."]:
        return dict(labels)
    return {name: labels.get(name, "") for name in by}


class GroupStage:
    """The grouping stage: `absorb` takes a routed event into its group, `flush` turns due
    groups into notifications in the outbox."""

    def __init__(self, store: GroupStore, *, batch: int = 100,
                 incarnation: Callable[[], str] = lambda: uuid.uuid4().hex[:8]) -> None:
        self._store = store
        self._batch = batch
        self._incarnation = incarnation

    def absorb(self, entry: OutboxEntry, target: NotifyTarget, channel: str,
               now_ms: int) -> None:
        grouping = target.group or Grouping()
        alert = alert_from_event(msgspec.json.decode(entry.payload), now_ms=now_ms,
                                 labels=target.labels, external_url=target.external_url)
        if not alert.resolved and alert.kind != "alarm":
            alert.expires_ms = now_ms + int(grouping.resolve_timeout_seconds * 1000)
        labels = group_labels(alert.labels, grouping.by)
        key = group_key(channel, labels)
        group_id = hashlib.sha256(key.encode()).hexdigest()[:16]
        before = self._store.notify_alert(channel, group_id, alert.fingerprint)
        if before is not None and not before.resolved:
            alert.starts_ms = min(before.starts_ms, alert.starts_ms)
        spec = msgspec.json.encode(msgspec.structs.replace(target, name=channel))
        group = self._store.notify_group(channel, group_id)
        if group is None:
            wait_ms = int(grouping.wait_seconds * 1000)
            old = alert.starts_ms + wait_ms < now_ms  # already waited: send at the next pass
            group = GroupState(channel=channel, id=group_id, key=key, labels=labels,
                               target=spec, next_flush_ms=now_ms if old else now_ms + wait_ms,
                               incarnation=self._incarnation())
        group.target = spec
        self._store.notify_absorb(entry.key, group, alert, now_ms)

    def settle(self, group: GroupState) -> None:
        """Log the group's last notification as sent once its row is delivered (at the time
        it was); a dead-lettered one leaves the log as it was, so it is sent again."""
        if group.sending_ms is None:
            return
        outcome = self._store.notify_outcome(group.pending_key)
        if outcome is None or outcome[0] == "delivered":
            delivered_ms = outcome[1] if outcome else None
            group.notified_ms = delivered_ms if delivered_ms is not None else group.sending_ms
            group.notified_firing = group.sending_firing
            group.notified_resolved = group.sending_resolved
        group.sending_ms, group.sending_firing, group.sending_resolved = None, [], []

    def flush(self, now_ms: int) -> int:
        """Look at every due group; returns how many were looked at."""
        due = self._store.notify_due(now_ms, self._batch)
        for group in due:
            alerts = self._store.notify_alerts(group.channel, group.id)
            self.settle(group)
            try:
                grouping = _target_decoder.decode(group.target).group or Grouping()
            except (msgspec.ValidationError, msgspec.DecodeError) as exc:  # poisoned group
                log.error("dropping notification group %s of %s: its channel no longer "
                          "reads as valid: %s", group.key, group.channel, exc)
                self._store.notify_flush(group, keep=False, drop=[], entry=None)
                continue
            plan = plan_flush(group, alerts, grouping, now_ms)
            entry = None
            if plan.notification is not None:
                group.seq += 1
                key = f"notify/{group.channel}/{group.id}/{group.incarnation}.{group.seq}"
                group.pending_key = key
                entry = OutboxEntry(
                    key=key, rule=NOTIFY_RULE + group.channel, target=group.target,
                    event_id=f"{group.id}/{group.seq}", payload=msgspec.json.encode(
                        Notification.of_group(plan.notification, channel=group.channel,
                                              key=key, group_key=group.key,
                                              group_labels=group.labels, at_ms=now_ms)),
                    hops=0, created_ms=now_ms, due_ms=now_ms)
            self._store.notify_flush(group, keep=plan.keep, drop=plan.drop, entry=entry)
        return len(due)
