"""Delivery to each kind of target. Each raises `DeliveryError` when the target fails.

Notification targets (email, Slack, Alertmanager webhooks) go to the notify stages
(`vigila.notify.Notifier`), passed in as `notify`."""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import httpx
import msgspec

from vigila.config.redact import safe_url
from vigila.log.base import AppendResult, LogEntry
from vigila.routing.model import (
    BusTarget,
    FileTarget,
    StoreTarget,
    Target,
    WebhookTarget,
    notifies,
)
from vigila.routing.outbox import Deliver, DeliveryError, OutboxEntry, dedup_key
from vigila.store.base import OutputRecord

_ROUTED = uuid.UUID("0c5f3f8e-3b7e-4b5e-9d0a-5a4f7e2b1c01")
_encode = msgspec.json.encode
_RETRYABLE_4XX = frozenset({408, 409, 425, 429})
MAX_RETRY_AFTER = 86_400.0


class TargetDelivery:
    """Delivers outbox entries; the adapters it needs are passed in."""

    def __init__(self, *, put_outputs: Callable[[list[OutputRecord]], None],
                 append: Callable[[list[LogEntry]], AppendResult], max_hops: int,
                 region: str, account: str, http: httpx.Client | None = None,
                 notify: Deliver | None = None) -> None:
        self._put_outputs = put_outputs
        self._append = append
        self._max_hops = max_hops
        self._region = region
        self._account = account
        self._http = http or httpx.Client()
        self._notify = notify

    def __call__(self, entry: OutboxEntry, target: Target) -> str | None:
        if notifies(target):
            if self._notify is None:
                raise DeliveryError(f"no notifier for a {type(target).__name__}",
                                    permanent=True)
            return self._notify(entry, target)
        if isinstance(target, WebhookTarget):
            self._webhook(entry, target)
        elif isinstance(target, StoreTarget):
            self._put_outputs([OutputRecord(f"route:{target.collection}", entry.event_id,
                                            entry.rule, entry.created_ms, entry.payload)])
        elif isinstance(target, FileTarget):
            self._file(entry, target)
        elif isinstance(target, BusTarget):
            self._bus(entry, target)
        return None

    def close(self) -> None:
        self._http.close()

    def _webhook(self, entry: OutboxEntry, target: WebhookTarget) -> None:
        try:
            msgspec.json.decode(entry.payload)
            content_type = "application/json"
        except msgspec.DecodeError:
            content_type = "text/plain; charset=utf-8"
        headers = {"content-type": content_type, "idempotency-key": dedup_key(entry.key),
                   "x-vigila-rule": entry.rule, "x-vigila-event-id": dedup_key(entry.event_id),
                   **target.headers}
        post(self._http, target.url, entry.payload, headers, target.timeout_seconds)

    @staticmethod
    def _file(entry: OutboxEntry, target: FileTarget) -> None:
        try:
            path = Path(target.path)
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("ab") as fh:
                fh.write(entry.payload + b"\n")
        except OSError as exc:
            raise DeliveryError(f"{target.path}: {exc}") from None

    def _bus(self, entry: OutboxEntry, target: BusTarget) -> None:
        hops = entry.hops + 1
        if hops > self._max_hops:
            raise DeliveryError(f"routing loop: the event would make hop {hops}, over the "
                                f"limit of {self._max_hops}", permanent=True)
        detail = msgspec.json.decode(entry.payload)
        if not isinstance(detail, dict):
            detail = {"value": detail}
        event_id = str(uuid.uuid5(_ROUTED, entry.key))
        time = datetime.fromtimestamp(entry.created_ms / 1000, UTC).isoformat()
        event = {"version": "0", "id": event_id, "source": target.source, "time": time,
                 "detail-type": target.detail_type, "region": self._region,
                 "account": self._account, "resources": [entry.event_id], "detail": detail,
                 "vigila-hops": hops}
        self._append([LogEntry(key=entry.event_id, id=event_id, data=_encode(event))])


def post(http: httpx.Client, url: str, body: bytes, headers: dict[str, str],
         timeout: float) -> None:
    """POST; a 2xx is delivered, 4xx other than 408, 409, 425 and 429 is permanent, and
    a `Retry-After` (seconds) says when to try again."""
    try:
        response = http.post(url, content=body, headers=headers, timeout=timeout)
    except httpx.HTTPError as exc:
        raise DeliveryError(f"{safe_url(url)}: {type(exc).__name__}") from None
    if response.status_code < 300:
        return
    retry_after = _retry_after(response.headers.get("retry-after"))
    permanent = 400 <= response.status_code < 500 and \
        response.status_code not in _RETRYABLE_4XX
    raise DeliveryError(f"{safe_url(url)}: HTTP {response.status_code}",
                        retry_after=retry_after,
                        permanent=permanent)


def _retry_after(value: str | None) -> float | None:
    """Seconds to wait, at most a day; None for a date, garbage or no header (our backoff)."""
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        return None
    return min(seconds, MAX_RETRY_AFTER) if math.isfinite(seconds) and seconds >= 0 else None
