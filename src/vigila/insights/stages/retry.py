"""Call with retries: a timeout per attempt, exponential backoff with full jitter, and the
provider's `Retry-After` honoured, all within one deadline.

>>> from vigila.clock import ManualClock
>>> from vigila.insights.providers import ProviderError
>>> clock, waits = ManualClock(0.0), []
>>> def sleep(s): waits.append(s); clock.advance(s)
>>> answers = iter([ProviderError("rate_limited", "429", retry_after=2.0), "ok"])
>>> def attempt(timeout):
...     answer = next(answers)
...     if isinstance(answer, Exception): raise answer
...     return answer
>>> retry = Retry(clock, sleep, attempts=3, base_seconds=0.5, deadline_seconds=30)
>>> retry.call(attempt, timeout=10), waits, retry.last_attempts
('ok', [2.0], 2)
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import TypeVar

from vigila.clock import Clock
from vigila.insights.providers import ProviderError

T = TypeVar("T")


class Retry:
    def __init__(self, clock: Clock, sleep: Callable[[float], None], *, attempts: int,
                 base_seconds: float, deadline_seconds: float,
                 rng: random.Random | None = None) -> None:
        self._clock = clock
        self._sleep = sleep
        self.attempts = attempts
        self.base_seconds = base_seconds
        self.deadline_seconds = deadline_seconds
        self._rng = rng or random.Random()
        self.last_attempts = 0

    def call(self, attempt: Callable[[float], T], *, timeout: float) -> T:
        """`attempt(timeout)` until it succeeds; re-raises the last `ProviderError` when it
        is not retryable, attempts run out, or the next wait would pass the deadline."""
        deadline = self._clock.now() + self.deadline_seconds
        self.last_attempts = 0
        while True:
            self.last_attempts += 1
            left = deadline - self._clock.now()
            try:
                return attempt(max(0.001, min(timeout, left)))
            except ProviderError as exc:
                if not exc.retryable or self.last_attempts >= self.attempts:
                    raise
                wait = exc.retry_after if exc.retry_after is not None else self._backoff()
                if self._clock.now() + wait >= deadline:
                    raise
                self._sleep(wait)

    def _backoff(self) -> float:
        return self._rng.uniform(0, self.base_seconds * 2 ** (self.last_attempts - 1))
