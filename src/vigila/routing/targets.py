"""Delivery to each kind of target. Each raises `DeliveryError` when the target fails."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import httpx
import msgspec

from vigila.log.base import AppendResult, LogEntry
from vigila.routing.model import BusTarget, FileTarget, StoreTarget, Target, WebhookTarget
from vigila.routing.outbox import DeliveryError, OutboxEntry
from vigila.store.base import OutputRecord

_ROUTED = uuid.UUID("0c5f3f8e-3b7e-4b5e-9d0a-5a4f7e2b1c01")
_encode = msgspec.json.encode
_RETRYABLE_4XX = frozenset({408, 409, 425, 429})


class TargetDelivery:
    """Delivers outbox entries; the adapters it needs are passed in."""

    def __init__(self, *, put_outputs: Callable[[list[OutputRecord]], None],
                 append: Callable[[list[LogEntry]], AppendResult], max_hops: int,
                 region: str, account: str, http: httpx.Client | None = None) -> None:
        self._put_outputs = put_outputs
        self._append = append
        self._max_hops = max_hops
        self._region = region
        self._account = account
        self._http = http or httpx.Client()

    def __call__(self, entry: OutboxEntry, target: Target) -> None:
        if isinstance(target, WebhookTarget):
            self._webhook(entry, target)
        elif isinstance(target, StoreTarget):
            self._put_outputs([OutputRecord(f"route:{target.collection}", entry.event_id,
                                            entry.rule, entry.created_ms, entry.payload)])
        elif isinstance(target, FileTarget):
            self._file(entry, target)
        elif isinstance(target, BusTarget):
            self._bus(entry, target)

    def close(self) -> None:
        self._http.close()

    def _webhook(self, entry: OutboxEntry, target: WebhookTarget) -> None:
        try:
            msgspec.json.decode(entry.payload)
            content_type = "application/json"
        except msgspec.DecodeError:
            content_type = "text/plain; charset=utf-8"
        headers = {"content-type": content_type, "idempotency-key": entry.key,
                   "x-vigila-rule": entry.rule, "x-vigila-event-id": entry.event_id,
                   **target.headers}
        try:
            response = self._http.post(target.url, content=entry.payload, headers=headers,
                                       timeout=target.timeout_seconds)
        except httpx.HTTPError as exc:
            raise DeliveryError(f"{target.url}: {type(exc).__name__}: {exc}") from None
        if response.status_code < 300:
            return
        retry_after = _retry_after(response.headers.get("retry-after"))
        permanent = 400 <= response.status_code < 500 and \
            response.status_code not in _RETRYABLE_4XX
        raise DeliveryError(f"{target.url}: HTTP {response.status_code}",
                            retry_after=retry_after, permanent=permanent)

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


def _retry_after(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None  # an HTTP date: fall back to our own backoff
