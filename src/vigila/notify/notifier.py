"""The notify stage behind the outbox: group, or render and send.

For each outbox row of a notification target the dispatcher calls the `Notifier`:

* a routed event for a target with `group` joins its group (`GroupStage.absorb`) and
  the row is settled as `grouped`; the group's notification comes back later as a
  row of its own;
* a group's notification, or a routed event for a target without `group`, is
  rendered for the channel (email, Slack, Alertmanager) and sent. A failure raises
  `DeliveryError`, and the dispatcher retries it with backoff.

Dedup keys: an ungrouped message is `<channel>/<event id>` (one per event and
channel, whichever rules routed it there), a group's is its outbox key. It goes
in `Idempotency-Key` over HTTP and seeds an email's Message-ID.
"""

from __future__ import annotations

from collections.abc import Mapping

import httpx
import msgspec

from vigila.clock import Clock
from vigila.notify.alert import alert_from_event
from vigila.notify.alertmanager import alertmanager_payload
from vigila.notify.email import SmtpSender, build_message
from vigila.notify.group import NOTIFY_RULE, GroupStage, GroupStore
from vigila.notify.message import Notification
from vigila.notify.slack import slack_message
from vigila.routing.model import EmailTarget, SlackTarget, Target, WebhookTarget
from vigila.routing.outbox import DeliveryError, OutboxEntry, channel, dedup_key
from vigila.routing.targets import post

_notification = msgspec.json.Decoder(Notification)
_encode = msgspec.json.encode


class Notifier:
    """Groups, renders and sends notifications; `flush` is the dispatcher's first stage."""

    def __init__(self, store: GroupStore, clock: Clock, *, env: Mapping[str, str],
                 http: httpx.Client | None = None) -> None:
        self._clock = clock
        self._groups = GroupStage(store)
        self._smtp = SmtpSender(env)
        self._http = http or httpx.Client()

    def flush(self, now_ms: int) -> int:
        return self._groups.flush(now_ms)

    def __call__(self, entry: OutboxEntry, target: Target) -> str | None:
        if not isinstance(target, EmailTarget | SlackTarget | WebhookTarget):
            raise DeliveryError(f"a {type(target).__name__} is not a notification target",
                                permanent=True)
        name = channel(entry, target)
        if entry.rule.startswith(NOTIFY_RULE):
            notification = _notification.decode(entry.payload)
        elif target.group is not None:
            self._groups.absorb(entry, target, name, int(self._clock.now() * 1000))
            return "grouped"
        else:
            alert = alert_from_event(msgspec.json.decode(entry.payload),
                                     now_ms=entry.created_ms, labels=target.labels,
                                     external_url=target.external_url)
            notification = Notification.single(alert, channel=name,
                                               key=dedup_key(f"{name}/{entry.event_id}"),
                                               at_ms=entry.created_ms)
        self._send(target, notification)
        return None

    def _send(self, target: EmailTarget | SlackTarget | WebhookTarget,
              n: Notification) -> None:
        headers = {"content-type": "application/json", "idempotency-key": n.key,
                   "user-agent": "vigila"}
        if isinstance(target, EmailTarget):
            self._smtp.send(target, build_message(target, n))
        elif isinstance(target, SlackTarget):
            post(self._http, target.url, _encode(slack_message(n)), headers,
                 target.timeout_seconds)
        else:
            body = alertmanager_payload(n, external_url=target.external_url,
                                        max_alerts=target.max_alerts)
            post(self._http, target.url, _encode(body), {**headers, **target.headers},
                 target.timeout_seconds)

    def close(self) -> None:
        self._http.close()
