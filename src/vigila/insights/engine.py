"""The insight chain: small stages between a triggered interval and a stored insight.

Each request goes through, in order (Alertmanager's notify pipeline is the model):

flags (AI on, sampled) → tier (below `llm_from_risk` the analyst's reading
stands; a short prompt below `full_prompt_from_risk`, the full one from it) →
cache (same quantized evidence answered lately) → batching (requests of one
tier share a prompt) → budget guard (hourly and monthly USD
caps) → circuit breaker → rate limiter (requests and tokens per minute) → call
with timeout and retries → strict parse → insight.

Wherever a stage stops a request, the deterministic analyst's draft becomes
the insight, with the reason in `fallback_reason`, so every request ends in a
schema-valid insight. Every decision leaves a `LedgerEntry` (calls made,
tokens, cost, calls avoided by each stage) for `vigila insights cost`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import msgspec

from vigila.clock import Clock
from vigila.config.schema import AiConfig
from vigila.insights.model import Draft, Insight
from vigila.insights.parse import ParseResult, parse_batch, parse_draft
from vigila.insights.providers import Completion, Prompt, Provider, ProviderError
from vigila.insights.providers.pricing import cost_usd
from vigila.insights.request import InsightRequest, LedgerEntry, Stage
from vigila.insights.stages.breaker import CircuitBreaker
from vigila.insights.stages.budget import BudgetGuard
from vigila.insights.stages.cache import DraftCache, cache_key
from vigila.insights.stages.flags import Flags
from vigila.insights.stages.limiter import RateLimiter
from vigila.insights.stages.retry import Retry

ANALYST_VERSION = "analyst-1"
CHARS_PER_TOKEN = 4
"""For the rate limiter's estimate before the provider reports what a prompt used."""


class PromptBook(Protocol):
    """A pack's prompts: a version per tier, and the prompt for some requests."""

    versions: dict[str, str]

    def build(self, requests: list[InsightRequest], tier: str, *,
              temperature: float) -> Prompt: ...


class ChainResult(msgspec.Struct):
    insights: list[Insight]
    ledger: list[LedgerEntry]
    alerts: list[dict[str, Any]]
    """`LLM Spend Alert` details, when this run crossed the hourly alert level."""


class InsightEngine:
    """Runs requests through the chain; one instance keeps the stages' state."""

    def __init__(self, settings: AiConfig, provider: Provider | None, prompts: PromptBook,
                 clock: Clock, *, sleep: Callable[[float], None] = time.sleep,
                 ttl_days: float = 30.0) -> None:
        self.settings = settings
        self.provider = provider
        self.prompts = prompts
        self.clock = clock
        self.ttl_days = ttl_days
        self.flags = Flags(settings.enabled, settings.provider if provider else "none",
                           settings.sample_rate)
        self.cache: DraftCache[Draft] = DraftCache(
            clock, ttl_seconds=settings.cache_ttl_seconds, max_entries=settings.cache_entries)
        self.budget = BudgetGuard(clock, hourly_usd=settings.hourly_budget_usd,
                                  monthly_usd=settings.monthly_budget_usd,
                                  alert_usd_per_hour=settings.spend_alert_usd_per_hour)
        self.breaker = CircuitBreaker(clock, failures=settings.breaker_failures,
                                      cooldown_seconds=settings.breaker_cooldown_seconds)
        self.limiter = RateLimiter(clock, requests_per_minute=settings.requests_per_minute,
                                   tokens_per_minute=settings.tokens_per_minute)
        self.retry = Retry(clock, sleep, attempts=settings.attempts,
                           base_seconds=settings.retry_base_seconds,
                           deadline_seconds=settings.attempts * settings.timeout_seconds
                           + settings.retry_base_seconds * 2 ** settings.attempts)
        self._sleep = sleep

    @property
    def source(self) -> str:
        return f"llm:{self.provider.name}/{self.provider.model}" if self.provider else "analyst"

    def run(self, requests: list[InsightRequest]) -> ChainResult:
        """Every request ends as one insight, in the order given."""
        out = ChainResult([], [], [])
        by_id: dict[str, Insight] = {}
        pending: dict[str, list[tuple[InsightRequest, str]]] = {}
        for request in requests:
            reason = self.flags.skip_reason(request.insight_id)
            if reason:
                stage: Stage = "sampling" if reason == "not_sampled" else "flags"
                by_id[request.insight_id] = self._fallback(request, reason, out, stage)
                continue
            if request.analyst.risk_score < self.settings.llm_from_risk:
                by_id[request.insight_id] = self._fallback(
                    request, f"below_llm_threshold: analyst risk {request.analyst.risk_score} "
                    f"< {self.settings.llm_from_risk}", out, "tier")
                continue
            tier = self._tier(request)
            version = self.prompts.versions[tier]
            key = cache_key(request.evidence, request.analyst.prediction_type, version,
                            self.provider.model)
            cached = self.cache.get(key)
            if cached is not None:
                out.ledger.append(self._entry(request.at, "cache"))
                by_id[request.insight_id] = self._insight(request, cached, self.source,
                                                          version)
                continue
            pending.setdefault(tier, []).append((request, key))
        for tier, items in pending.items():
            for start in range(0, len(items), self.settings.max_batch):
                chunk = items[start:start + self.settings.max_batch]
                for insight in self._ask(tier, chunk, out):
                    by_id[insight.insight_id] = insight
        out.insights = [by_id[r.insight_id] for r in requests]
        return out

    # -- stages ---------------------------------------------------------------------------

    def _tier(self, request: InsightRequest) -> str:
        return "full" if request.analyst.risk_score >= self.settings.full_prompt_from_risk \
            else "short"

    def _ask(self, tier: str, chunk: list[tuple[InsightRequest, str]],
             out: ChainResult) -> Iterator[Insight]:
        requests = [r for r, _ in chunk]
        at = requests[0].at
        refusal, stage = self.budget.refusal(), "budget"
        if refusal is None and not self.breaker.allow():
            refusal, stage = "circuit_open: the LLM failed repeatedly; retrying later", \
                "breaker"
        prompt = self.prompts.build(requests, tier, temperature=self.settings.temperature)
        estimate = (len(prompt.system) + len(prompt.user)) // CHARS_PER_TOKEN + \
            prompt.max_tokens
        if refusal is None:
            wait = self.limiter.reserve(estimate, max_wait=self.settings.max_wait_seconds)
            if wait is None:
                refusal, stage = "rate_limited: over the requests or tokens per minute", \
                    "limiter"
            elif wait > 0:
                self._sleep(wait)
        if refusal is not None:
            for request in requests:
                yield self._fallback(request, refusal, out, stage)  # type: ignore[arg-type]
            return
        if len(requests) > 1:
            out.ledger.append(self._entry(at, "batching", insights=len(requests) - 1))
        try:
            completion = self.retry.call(lambda timeout: self.provider.complete(prompt, timeout),
                                         timeout=self.settings.timeout_seconds)
        except ProviderError as exc:
            self.breaker.failed()
            out.ledger.append(self._entry(at, "call", insights=len(requests),
                                          calls=self.retry.last_attempts, reason=exc.kind))
            for request in requests:
                yield self._fallback(request, f"llm_error: {exc}"[:500], out, None)
            return
        self.breaker.succeeded()
        self.limiter.settle(estimate, completion.tokens_in + completion.tokens_out)
        yield from self._judged(tier, chunk, prompt, completion, out)

    def _judged(self, tier: str, chunk: list[tuple[InsightRequest, str]], prompt: Prompt,
                completion: Completion, out: ChainResult) -> Iterator[Insight]:
        requests = [r for r, _ in chunk]
        cost = cost_usd(completion.model, completion.tokens_in, completion.tokens_out,
                        self.settings.prices)
        alert = self.budget.spend(cost)
        if alert:
            out.alerts.append(alert)
        results: list[ParseResult] = parse_batch(completion.text, len(chunk)) \
            if len(chunk) > 1 else [parse_draft(completion.text)]
        ok = sum(1 for r in results if r.ok)
        out.ledger.append(LedgerEntry(
            at=requests[0].at, stage="llm", insights=ok, calls=self.retry.last_attempts,
            provider=completion.provider, model=completion.model,
            tokens_in=completion.tokens_in, tokens_out=completion.tokens_out, cost_usd=cost,
            reason=f"{len(chunk) - ok} unparsable" if ok < len(chunk) else ""))
        share = 1 / len(chunk)
        source = f"llm:{completion.provider}/{completion.model}"
        version = self.prompts.versions[tier]
        for (request, key), result in zip(chunk, results, strict=True):
            if result.draft is None:
                yield self._fallback(request, f"invalid_response: {result.error}"[:500], out,
                                     "parse")
                continue
            self.cache.put(key, result.draft)
            yield self._insight(
                request, result.draft, source, version,
                tokens_in=round(completion.tokens_in * share),
                tokens_out=round(completion.tokens_out * share),
                cost=round(cost * share, 6), latency_ms=completion.latency_ms)

    # -- making insights ------------------------------------------------------------------

    def _fallback(self, request: InsightRequest, reason: str, out: ChainResult,
                  stage: Stage | None) -> Insight:
        if stage is not None:
            out.ledger.append(self._entry(request.at, stage, reason=reason.split(":")[0]))
        return self._insight(request, request.analyst, "analyst", ANALYST_VERSION,
                             fallback_reason=reason)

    def _insight(self, request: InsightRequest, draft: Draft, source: str, version: str, *,
                 fallback_reason: str | None = None, tokens_in: int = 0, tokens_out: int = 0,
                 cost: float = 0.0, latency_ms: float = 0.0) -> Insight:
        created = datetime.fromtimestamp(self.clock.now(), UTC)
        return Insight(
            insight_id=request.insight_id, entity=request.entity,
            prediction_type=draft.prediction_type, risk_score=draft.risk_score,
            explanation=draft.explanation, recommendations=draft.recommendations,
            confidence=draft.confidence, evidence=request.evidence, source=source,
            fallback_reason=fallback_reason, prompt_version=version, tokens_in=tokens_in,
            tokens_out=tokens_out, cost_usd=cost, latency_ms=latency_ms, created_at=created,
            expires_at=created + timedelta(days=self.ttl_days))

    @staticmethod
    def _entry(at: float, stage: Stage, *, insights: int = 1, calls: int = 0,
               reason: str = "") -> LedgerEntry:
        return LedgerEntry(at=at, stage=stage, insights=insights, calls=calls, reason=reason)
