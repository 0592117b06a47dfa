"""Rate limiter: token buckets for requests and tokens per minute, as providers meter them.

`reserve` answers how long to wait before a call of `tokens` may go; a caller
that will not wait that long goes without (the analyst answers) and nothing is
taken from the buckets.

>>> from vigila.clock import ManualClock
>>> clock = ManualClock(0.0)
>>> limiter = RateLimiter(clock, requests_per_minute=60, tokens_per_minute=6000)
>>> limiter.reserve(1000, max_wait=0.0)
0.0
>>> [limiter.reserve(1000, max_wait=0.0) for _ in range(6)][-2:]
[0.0, None]
>>> limiter.reserve(1000, max_wait=10.0)
10.0
"""

from __future__ import annotations

from vigila.clock import Clock


class TokenBucket:
    """`capacity` tokens, refilled at `rate` per second; may go negative for a reservation."""

    def __init__(self, clock: Clock, *, capacity: float, rate: float) -> None:
        self._clock = clock
        self.capacity = capacity
        self.rate = rate
        self._level = capacity
        self._at = clock.now()

    def level(self) -> float:
        now = self._clock.now()
        self._level = min(self.capacity, self._level + (now - self._at) * self.rate)
        self._at = now
        return self._level

    def wait_for(self, amount: float) -> float:
        """Seconds until `amount` is available (0 when it is now)."""
        missing = min(amount, self.capacity) - self.level()
        return max(0.0, missing / self.rate)

    def take(self, amount: float) -> None:
        self.level()
        self._level -= amount


class RateLimiter:
    """Requests per minute and tokens per minute, each a bucket holding one minute's worth."""

    def __init__(self, clock: Clock, *, requests_per_minute: float,
                 tokens_per_minute: float) -> None:
        self.requests = TokenBucket(clock, capacity=requests_per_minute,
                                    rate=requests_per_minute / 60)
        self.tokens = TokenBucket(clock, capacity=tokens_per_minute,
                                  rate=tokens_per_minute / 60)

    def reserve(self, tokens: int, *, max_wait: float) -> float | None:
        """Take one request and `tokens` and return the wait before the call, or None (and
        take nothing) when that wait would exceed `max_wait`."""
        wait = max(self.requests.wait_for(1), self.tokens.wait_for(tokens))
        if wait > max_wait:
            return None
        self.requests.take(1)
        self.tokens.take(tokens)
        return wait

    def release(self, tokens: int) -> None:
        """Give back a reservation whose call was not made."""
        self.requests.take(-1)
        self.tokens.take(-tokens)

    def settle(self, estimated: int, actual: int) -> None:
        """Correct the token bucket once the provider reported what the call used."""
        self.tokens.take(actual - estimated)
