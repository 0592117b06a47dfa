"""Notifications: routed events become alerts, grouped in Alertmanager's manner, rendered for
a channel (email over SMTP, Slack, Alertmanager-compatible webhooks) and sent through the
durable outbox.

The chain, one module a stage: outbox row → `group` (absorb, then flush when due) →
render (`text` and `email`, `slack`, `alertmanager`) → send (`notifier`) → the
dispatcher's retry with backoff. See docs/notifications.md.
"""

from vigila.notify.alert import Alert, alert_from_event
from vigila.notify.message import Notification
from vigila.notify.notifier import Notifier

__all__ = ["Alert", "Notification", "Notifier", "alert_from_event"]
