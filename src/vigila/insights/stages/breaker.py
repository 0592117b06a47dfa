"""Circuit breaker: after repeated failures, stop calling for a while, then probe once.

Closed: calls go. After `failures` consecutive failures it opens: calls are
refused for `cooldown_seconds`. Then it is half-open: one call goes; success
closes it, failure opens it again.

>>> from vigila.clock import ManualClock
>>> clock = ManualClock(0.0)
>>> breaker = CircuitBreaker(clock, failures=2, cooldown_seconds=30)
>>> breaker.failed(); breaker.failed(); breaker.allow(), breaker.state
(False, 'open')
>>> clock.advance(30); breaker.allow(), breaker.state, breaker.allow()
(True, 'half_open', False)
>>> breaker.succeeded(); breaker.state
'closed'
"""

from __future__ import annotations

from typing import Literal

from vigila.clock import Clock

State = Literal["closed", "open", "half_open"]


class CircuitBreaker:
    def __init__(self, clock: Clock, *, failures: int, cooldown_seconds: float) -> None:
        self._clock = clock
        self.failures = failures
        self.cooldown_seconds = cooldown_seconds
        self.state: State = "closed"
        self._consecutive = 0
        self._opened_at = 0.0
        self._probing = False

    def allow(self) -> bool:
        """May a call go now? In half-open state only one probe goes at a time."""
        if self.state == "open":
            if self._clock.now() - self._opened_at < self.cooldown_seconds:
                return False
            self.state = "half_open"
            self._probing = False
        if self.state == "half_open":
            if self._probing:
                return False
            self._probing = True
        return True

    def succeeded(self) -> None:
        self.state = "closed"
        self._consecutive = 0
        self._probing = False

    def failed(self) -> None:
        self._consecutive += 1
        if self.state == "half_open" or self._consecutive >= self.failures:
            self.state = "open"
            self._opened_at = self._clock.now()
            self._probing = False
