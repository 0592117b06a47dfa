"""Each stage of the insight chain alone, on a manual clock."""

from __future__ import annotations

import random

import pytest

from vigila.clock import ManualClock
from vigila.insights.providers import ProviderError
from vigila.insights.stages.breaker import CircuitBreaker
from vigila.insights.stages.budget import BudgetGuard
from vigila.insights.stages.cache import DraftCache, cache_key, quantize
from vigila.insights.stages.dedup import Dedup
from vigila.insights.stages.flags import sampled
from vigila.insights.stages.limiter import RateLimiter
from vigila.insights.stages.retry import Retry

T0 = 1_790_000_000.0  # 2026-09-21T21:33:20Z


def test_sampling_takes_a_stable_share():
    keys = [f"insight-{i}" for i in range(20_000)]
    share = sum(sampled(k, 0.1) for k in keys) / len(keys)
    assert 0.09 < share < 0.11
    # The same ids in every process (no per-process hash seed): a replay samples alike.
    assert [k for k in keys[:40] if sampled(k, 0.1)] == [
        "insight-1", "insight-8", "insight-23", "insight-31", "insight-39"]


def test_dedup_state_survives_a_restart():
    first = Dedup(300)
    assert first.admit("p|latency_spike", T0, "e1")
    second = Dedup(300)
    second.import_states(first.export_states())
    assert not second.admit("p|latency_spike", T0 + 299, "e2")
    assert second.admit("p|latency_spike", T0, "e1"), "the same event, processed again"
    assert second.admit("p|rdma_timeout", T0 + 10, "e3")
    assert first.export_states() == {}, "only changes are exported"


def test_dedup_is_not_moved_back_by_an_older_event():
    dedup = Dedup(300)
    assert dedup.admit("p|x", T0 + 1000, "late")
    assert not dedup.admit("p|x", T0 + 900, "early"), "within the window, before it"
    assert dedup.admit("p|x", T0, "much-earlier")
    assert not dedup.admit("p|x", T0 + 1200, "next"), "the window still starts at +1000"


def test_cache_key_ignores_ids_and_noise_but_not_the_figures_or_the_port():
    base = {"stream_id": "a", "event_id": "e1", "metrics": {"latency_p99": 9.81}}
    same = {"stream_id": "a", "event_id": "e2", "metrics": {"latency_p99": 9.84}}
    other = {"stream_id": "a", "event_id": "e1", "metrics": {"latency_p99": 12.0}}
    key = cache_key(base, "latency_spike", "v1", "m")
    assert key == cache_key(same, "latency_spike", "v1", "m")
    assert key != cache_key(other, "latency_spike", "v1", "m")
    assert key != cache_key(base, "latency_spike", "v2", "m")
    assert key != cache_key({**base, "stream_id": "b"}, "latency_spike", "v1", "m")
    assert quantize(0.000123456) == 0.00012 and quantize(123456) == 120000.0


def test_cache_evicts_the_least_recently_used():
    cache: DraftCache[int] = DraftCache(ManualClock(T0), ttl_seconds=60, max_entries=2)
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1
    cache.put("c", 3)
    assert (cache.get("a"), cache.get("b"), cache.get("c"), len(cache)) == (1, None, 3, 2)


def test_limiter_refills_with_time_and_meters_tokens():
    clock = ManualClock(T0)
    limiter = RateLimiter(clock, requests_per_minute=1800, tokens_per_minute=10_000)
    assert limiter.reserve(9_000, max_wait=0) == 0.0
    assert limiter.reserve(2_000, max_wait=0) is None, "over the tokens per minute"
    assert limiter.reserve(2_000, max_wait=10) == pytest.approx(6.0)
    clock.advance(60)
    assert limiter.reserve(5_000, max_wait=0) == 0.0
    limiter.settle(estimated=5_000, actual=500)
    assert limiter.tokens.level() == pytest.approx(8_500)


def test_limiter_default_rate_allows_1800_requests_a_minute():
    clock = ManualClock(T0)
    limiter = RateLimiter(clock, requests_per_minute=1800, tokens_per_minute=1e9)
    granted = sum(limiter.reserve(1, max_wait=0) is not None for _ in range(2000))
    assert granted == 1800
    clock.advance(1)
    assert sum(limiter.reserve(1, max_wait=0) is not None for _ in range(100)) == 30


def test_breaker_reopens_when_the_probe_fails():
    clock = ManualClock(T0)
    breaker = CircuitBreaker(clock, failures=3, cooldown_seconds=30)
    for _ in range(2):
        breaker.failed()
    assert breaker.allow() and breaker.state == "closed"
    breaker.failed()
    assert not breaker.allow()
    clock.advance(30)
    assert breaker.allow() and breaker.state == "half_open"
    breaker.failed()
    assert breaker.state == "open" and not breaker.allow()
    clock.advance(30)
    assert breaker.allow()
    breaker.succeeded()
    assert breaker.allow() and breaker.allow()


def test_budget_counts_the_month_and_restores_from_the_ledger():
    clock = ManualClock(T0)
    guard = BudgetGuard(clock, hourly_usd=5, monthly_usd=8, alert_usd_per_hour=4)
    guard.restore([(T0 - 3 * 86_400, 4.0), (T0 - 60, 4.5)])
    assert guard.refusal().startswith("budget_monthly: $8.50")
    assert guard.spend(0.1) is None, "an hour restored above the alert level does not realert"


def test_retry_gives_up_at_once_on_a_request_error():
    clock = ManualClock(T0)
    calls = []

    def attempt(timeout: float) -> str:
        calls.append(timeout)
        raise ProviderError("bad_request", "HTTP 401")

    retry = Retry(clock, clock.advance, attempts=5, base_seconds=1, deadline_seconds=60)
    with pytest.raises(ProviderError):
        retry.call(attempt, timeout=10)
    assert calls == [10]


def test_retry_backs_off_exponentially_with_jitter_within_its_attempts():
    clock = ManualClock(T0)
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        clock.advance(seconds)

    def attempt(timeout: float) -> str:
        raise ProviderError("server", "HTTP 503")

    retry = Retry(clock, sleep, attempts=4, base_seconds=1, deadline_seconds=600,
                  rng=random.Random(1))
    with pytest.raises(ProviderError):
        retry.call(attempt, timeout=10)
    assert retry.last_attempts == 4 and len(waits) == 3
    assert all(0 <= w <= 2 ** i for i, w in enumerate(waits))
