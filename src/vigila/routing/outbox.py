"""The outbox: routed payloads waiting for delivery, written with the batch that routed them.

A row is keyed by `rule/target/event id`, so a replayed batch routes the same
rows again and changes nothing. The dispatcher delivers due rows, retries
failures with exponential backoff and jitter (honouring `Retry-After`), and
dead-letters a row whose target stayed down longer than it allows. When a target
that failed takes a delivery again, its other waiting rows are due at once, in
the order they were queued: a channel that comes back gets its backlog promptly.
"""

from __future__ import annotations

import hashlib
import logging
import random
import re
from collections.abc import Callable
from typing import Protocol

import msgspec

from vigila.clock import Clock
from vigila.routing.model import Target
from vigila.store.base import DeadLetter
from vigila.worker import Worker

log = logging.getLogger("vigila")
_target_decoder = msgspec.json.Decoder(Target)
_HEADER_SAFE = re.compile(r"^[\x21-\x7e]{1,512}$")


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

    def outbox_wake(self, target: bytes, now_ms: int) -> int:
        """Make the pending rows of `target` due now; returns how many."""


Deliver = Callable[[OutboxEntry, Target], str | None]
"""Delivers one row, or raises `DeliveryError`. Returns None when the dispatcher should mark
the row delivered, or the outcome when the stage settled the row itself (a grouping stage
absorbs it into its group, in one transaction, and answers `grouped`)."""
OnResult = Callable[[str, str, float], None]
"""Called with the channel, the outcome (`delivered`, `failed`, `dead` or what a stage
answered) and, when delivered, the seconds since the row was queued."""


def dedup_key(key: str) -> str:
    """`key` as a header value receivers can dedup on: itself when it is printable ASCII
    (event ids are), else its SHA-256 (an event id with spaces, CR/LF or non-ASCII)."""
    if _HEADER_SAFE.fullmatch(key):
        return key
    return "sha256:" + hashlib.sha256(key.encode()).hexdigest()


def channel(entry: OutboxEntry, target: Target) -> str:
    """The channel a row goes to: the target's name, else `<rule>/<index>` from its key."""
    return target.name or entry.key.rsplit("/", 1)[0]


class Backoff(msgspec.Struct, frozen=True):
    base_seconds: float = 1.0
    max_seconds: float = 60.0

    def delay(self, attempts: int, rng: random.Random) -> float:
        """Equal jitter: a random delay between half and all of an exponential ceiling."""
        ceiling = min(self.max_seconds, self.base_seconds * 2 ** min(attempts, 30))
        return rng.uniform(ceiling / 2, ceiling)


class Dispatcher:
    """Delivers due outbox entries; `run_once` is one pass (tests call it with a manual clock).

    `flush` runs first in each pass, given the time in milliseconds: the notification
    groups that are due become outbox rows, delivered in the same pass."""

    def __init__(self, store: OutboxStore, deliver: Deliver, clock: Clock, *,
                 backoff: Backoff | None = None, batch: int = 200, seed: int | None = None,
                 on_result: OnResult | None = None,
                 flush: Callable[[int], int] | None = None) -> None:
        self._store = store
        self._deliver = deliver
        self._clock = clock
        self._backoff = backoff or Backoff()
        self._batch = batch
        self._rng = random.Random(seed)
        self._on_result = on_result or (lambda channel, outcome, seconds: None)
        self._flush = flush
        self.worker = Worker("outbox", self.run_once, idle_wait=0.5)

    def run_once(self) -> int:
        """Flush due groups, then try every due entry once; returns how many groups were
        flushed plus how many entries were delivered or settled."""
        now_ms = int(self._clock.now() * 1000)
        done = 0
        if self._flush:
            try:
                done = self._flush(now_ms)
            except Exception:  # grouping must not stop the deliveries below
                log.exception("flushing notification groups failed")
        down: dict[bytes, DeliveryError] = {}  # one failure per target per pass is enough
        for entry in self._store.due_outbox(now_ms, self._batch):
            try:
                target = entry.target_spec()
            except (msgspec.ValidationError, msgspec.DecodeError) as exc:  # poisoned row
                self._store.outbox_dead(entry.key, DeadLetter(
                    stage=f"route:{entry.rule}", reason=f"rule {entry.rule}: its target no "
                    f"longer reads as a valid target: {exc}", raw=entry.payload,
                    raw_size=len(entry.payload), at_ms=now_ms, event_id=entry.event_id))
                continue
            if entry.target in down:  # not tried: counted as deferred, not as a failure
                self._failed(entry, target, down[entry.target], now_ms, tried=False)
                continue
            try:
                outcome = self._deliver(entry, target)
            except Exception as exc:  # a bug in a target must not stop the others
                error = exc if isinstance(exc, DeliveryError) else DeliveryError(
                    f"{type(exc).__name__}: {exc}")
                if not error.permanent:
                    down[entry.target] = error
                self._failed(entry, target, error, now_ms)
                continue
            if outcome is None:
                self._store.outbox_delivered(entry.key, now_ms)
                if entry.attempts:  # it was down and is back: its backlog is due now
                    self._store.outbox_wake(entry.target, now_ms)
            done += 1
            self._on_result(channel(entry, target), outcome or "delivered",
                            max(0.0, (now_ms - entry.created_ms) / 1000))
        return done

    def _failed(self, entry: OutboxEntry, target: Target, exc: DeliveryError,
                now_ms: int, *, tried: bool = True) -> None:
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
            self._on_result(channel(entry, target), "dead", 0.0)
            return
        self._store.outbox_retry(entry.key, due_ms, attempts, str(exc)[:500])
        self._on_result(channel(entry, target), "failed" if tried else "deferred", 0.0)
