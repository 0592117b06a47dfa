"""The outbox: routed payloads waiting for delivery, written with the batch that routed them.

A row is keyed by `rule/target/event id`, so a replayed batch routes the same
rows again and changes nothing. The dispatcher delivers due rows, retries
failures with exponential backoff and jitter (honouring `Retry-After`), and
dead-letters a row whose target stayed down longer than it allows.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Protocol

import msgspec

from vigila.clock import Clock
from vigila.routing.model import Target
from vigila.store.base import DeadLetter
from vigila.worker import Worker

_target_decoder = msgspec.json.Decoder(Target)


class OutboxEntry(msgspec.Struct):
    key: str
    rule: str
    target: bytes
    """The target's JSON spec, frozen at routing time."""
    event_id: str
    payload: bytes
    hops: int
    created_ms: int
    due_ms: int
    attempts: int = 0
    last_error: str = ""

    def target_spec(self) -> Target:
        return _target_decoder.decode(self.target)


class DeliveryError(Exception):
    """A failed delivery; `retry_after` (seconds) when the target said when to come back,
    `permanent` when retrying cannot help."""

    def __init__(self, message: str, *, retry_after: float | None = None,
                 permanent: bool = False) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.permanent = permanent


class OutboxStore(Protocol):
    def due_outbox(self, now_ms: int, limit: int) -> list[OutboxEntry]: ...

    def outbox_delivered(self, key: str, at_ms: int) -> None: ...

    def outbox_retry(self, key: str, due_ms: int, attempts: int, error: str) -> None: ...

    def outbox_dead(self, key: str, letter: DeadLetter) -> None: ...


Deliver = Callable[[OutboxEntry, Target], None]


class Backoff(msgspec.Struct, frozen=True):
    base_seconds: float = 1.0
    max_seconds: float = 300.0

    def delay(self, attempts: int, rng: random.Random) -> float:
        """Full jitter over an exponential ceiling (AWS's recommendation)."""
        ceiling = min(self.max_seconds, self.base_seconds * 2 ** min(attempts, 30))
        return rng.uniform(ceiling / 2, ceiling)


class Dispatcher:
    """Delivers due outbox entries; `run_once` is one pass (tests call it with a manual clock)."""

    def __init__(self, store: OutboxStore, deliver: Deliver, clock: Clock, *,
                 backoff: Backoff | None = None, batch: int = 200, seed: int | None = None,
                 on_result: Callable[[str, bool], None] | None = None) -> None:
        self._store = store
        self._deliver = deliver
        self._clock = clock
        self._backoff = backoff or Backoff()
        self._batch = batch
        self._rng = random.Random(seed)
        self._on_result = on_result
        self.worker = Worker("outbox", self.run_once, idle_wait=0.5)

    def run_once(self) -> int:
        """Try every due entry once; returns how many were delivered."""
        now_ms = int(self._clock.now() * 1000)
        delivered = 0
        down: dict[bytes, DeliveryError] = {}  # one failure per target per pass is enough
        for entry in self._store.due_outbox(now_ms, self._batch):
            target = entry.target_spec()
            if entry.target in down:
                self._failed(entry, target, down[entry.target], now_ms)
                continue
            try:
                self._deliver(entry, target)
            except Exception as exc:  # a bug in a target must not stop the others
                error = exc if isinstance(exc, DeliveryError) else DeliveryError(
                    f"{type(exc).__name__}: {exc}")
                if not error.permanent:
                    down[entry.target] = error
                self._failed(entry, target, error, now_ms)
                continue
            self._store.outbox_delivered(entry.key, now_ms)
            delivered += 1
            if self._on_result:
                self._on_result(type(target).__name__, True)
        return delivered

    def _failed(self, entry: OutboxEntry, target: Target, exc: DeliveryError,
                now_ms: int) -> None:
        if self._on_result:
            self._on_result(type(target).__name__, False)
        attempts = entry.attempts + 1
        delay = exc.retry_after if exc.retry_after is not None else self._backoff.delay(
            attempts, self._rng)
        due_ms = now_ms + int(delay * 1000)
        give_up_ms = entry.created_ms + int(target.retry_for_seconds * 1000)
        if exc.permanent or due_ms > give_up_ms:
            reason = f"rule {entry.rule}: delivery failed after {attempts} attempt(s): {exc}"
            self._store.outbox_dead(entry.key, DeadLetter(
                stage=f"route:{entry.rule}", reason=reason, raw=entry.payload,
                raw_size=len(entry.payload), at_ms=now_ms, event_id=entry.event_id))
            return
        self._store.outbox_retry(entry.key, due_ms, attempts, str(exc)[:500])
