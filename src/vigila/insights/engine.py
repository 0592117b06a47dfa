"""The insight chain: small stages between a triggered interval and a stored insight.

Each request goes through, in order (Alertmanager's notify pipeline is the model):

flags (AI on, sampled) → tier (below `llm_from_risk` the analyst's reading
stands; a short prompt below `full_prompt_from_risk`, the full one from it) →
cache (same port and quantized evidence answered lately) → batching (requests
of one tier share a prompt) → budget guard (hourly and monthly USD caps) → rate
limiter (requests and tokens per minute) → circuit breaker → call with timeout
and retries → strict parse → insight.

Wherever a stage stops a request, or anything fails, the deterministic
analyst's draft becomes the insight, with the reason in `fallback_reason`, so
every request ends in a schema-valid insight. Results come in steps
(`run_steps`): first every request decided without a call, then one step per
call, so a slow LLM never holds back what is already known. Every decision
leaves a `LedgerEntry` (calls made, tokens, cost, calls avoided by each stage)
for `vigila insights cost`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import msgspec

from vigila.clock import Clock
from vigila.config.schema import AiConfig, Config
from vigila.insights.model import Draft, Insight
from vigila.insights.parse import ParseResult, parse_batch, parse_draft
from vigila.insights.providers import Completion, Prompt, Provider, ProviderError, make_provider
from vigila.insights.providers.pricing import cost_usd
from vigila.insights.request import InsightRequest, LedgerEntry, Stage
from vigila.insights.stages.batching import batches
from vigila.insights.stages.breaker import CircuitBreaker
from vigila.insights.stages.budget import BudgetGuard
from vigila.insights.stages.cache import DraftCache, cache_key
from vigila.insights.stages.flags import Flags
from vigila.insights.stages.limiter import RateLimiter
from vigila.insights.stages.retry import Retry
from vigila.insights.stages.tiers import Tiers

log = logging.getLogger("vigila")
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


class _Cached(msgspec.Struct, frozen=True):
    draft: Draft
    source: str


def build_engine(config: Config, prompts: PromptBook | None, clock: Clock, *,
                 sleep: Callable[[float], None] = time.sleep) -> InsightEngine:
    """The engine `config.ai` describes, with its provider (none without prompts)."""
    ai = config.ai
    region = config.region if ai.provider == "bedrock" and config.region != "local" else None
    provider = make_provider(ai.provider, base_url=ai.base_url, model=ai.model,
                             api_key=ai.api_key, region=region) if prompts else None
    return InsightEngine(ai, provider, prompts, clock, sleep=sleep,
                         ttl_days=ai.insight_ttl_days)


class InsightEngine:
    """Runs requests through the chain; one instance keeps the stages' state."""

    def __init__(self, settings: AiConfig, provider: Provider | None,
                 prompts: PromptBook | None, clock: Clock, *,
                 sleep: Callable[[float], None] = time.sleep, ttl_days: float = 30.0) -> None:
        self.settings = settings
        self.provider = provider
        self.prompts = prompts
        self.clock = clock
        self.ttl_days = ttl_days
        self.flags = Flags(settings.enabled, settings.provider if provider else "none",
                           settings.sample_rate)
        self.tiers = Tiers(settings.llm_from_risk, settings.full_prompt_from_risk)
        self.cache: DraftCache[_Cached] = DraftCache(
            clock, ttl_seconds=settings.cache_ttl_seconds, max_entries=settings.cache_entries)
        self.budget = BudgetGuard(clock, hourly_usd=settings.hourly_budget_usd,
                                  monthly_usd=settings.monthly_budget_usd,
                                  alert_usd_per_hour=settings.spend_alert_usd_per_hour)
        self.breaker = CircuitBreaker(clock, failures=settings.breaker_failures,
                                      cooldown_seconds=settings.breaker_cooldown_seconds)
        self.limiter = RateLimiter(clock, requests_per_minute=settings.requests_per_minute,
                                   tokens_per_minute=settings.tokens_per_minute)
        self.pass_seconds = settings.attempts * settings.timeout_seconds \
            + settings.retry_base_seconds * 2 ** settings.attempts
        """Longest a run may spend calling; later batches of the run fall back."""
        self.retry = Retry(clock, sleep, attempts=settings.attempts,
                           base_seconds=settings.retry_base_seconds,
                           deadline_seconds=self.pass_seconds)
        self._sleep = sleep

    def close(self) -> None:
        close = getattr(self.provider, "close", None)
        if close is not None:
            close()

    def run(self, requests: list[InsightRequest]) -> ChainResult:
        """Every request ends as one insight, in the order given."""
        out = ChainResult([], [], [])
        by_id: dict[str, Insight] = {}
        for step in self.run_steps(requests):
            by_id.update((i.insight_id, i) for i in step.insights)
            out.ledger += step.ledger
            out.alerts += step.alerts
        out.insights = [by_id[r.insight_id] for r in requests]
        return out

    def run_steps(self, requests: list[InsightRequest]) -> Iterator[ChainResult]:
        """The chain's results as they become final: first every request decided without
        a call, then each call's. Together they hold one insight per request."""
        now = ChainResult([], [], [])
        asking: list[tuple[str, tuple[InsightRequest, str]]] = []
        for request in requests:
            try:
                decided = self._decide(request, now)
            except Exception as exc:  # a bug must not cost an insight
                log.exception("insight chain failed on %s", request.insight_id)
                decided = self._fallback(request, f"internal_error: {exc}"[:500], now, None)
            if isinstance(decided, Insight):
                now.insights.append(decided)
            else:
                asking.append(decided)
        yield now
        started = self.clock.now()
        for tier, chunk in batches(asking, self.settings.max_batch):
            step = ChainResult([], [], [])
            if self.clock.now() - started >= self.pass_seconds:
                step.insights = [self._fallback(r, "deadline: earlier calls of this pass took "
                                                f"{self.pass_seconds:g} s", step, "deadline")
                                 for r, _ in chunk]
            else:
                step.insights = list(self._ask(tier, chunk, step))
            yield step

    def fallback_all(self, requests: list[InsightRequest], reason: str) -> ChainResult:
        """The analyst's insight for each request, with `reason` (when the chain itself
        cannot run)."""
        out = ChainResult([], [], [])
        out.insights = [self._fallback(r, reason, out, None) for r in requests]
        return out

    # -- stages ---------------------------------------------------------------------------

    def _decide(self, request: InsightRequest, out: ChainResult
                ) -> Insight | tuple[str, tuple[InsightRequest, str]]:
        """An insight now (flags, tier, cache), or the tier and cache key to ask with."""
        reason = self.flags.skip_reason(request.insight_id)
        if reason:
            stage: Stage = "sampling" if reason == "not_sampled" else "flags"
            return self._fallback(request, reason, out, stage)
        tier = self.tiers.choose(request.analyst.risk_score)
        if tier == "analyst":
            return self._fallback(request, f"below_llm_threshold: analyst risk "
                                  f"{request.analyst.risk_score} < {self.tiers.llm_from_risk}",
                                  out, "tier")
        version = self.prompts.versions[tier]
        key = cache_key(request.evidence, request.analyst.prediction_type, version,
                        self.provider.model)
        cached = self.cache.get(key)
        if cached is not None:
            out.ledger.append(self._entry("cache"))
            return self._insight(request, cached.draft, cached.source, version)
        return tier, (request, key)

    def _ask(self, tier: str, chunk: list[tuple[InsightRequest, str]],
             out: ChainResult) -> Iterator[Insight]:
        requests = [r for r, _ in chunk]
        refusal: str | None = self.budget.refusal()
        stage: Stage = "budget"
        prompt: Prompt | None = None
        if refusal is None:
            try:
                prompt = self.prompts.build(requests, tier, temperature=self.settings.temperature)
            except Exception as exc:
                log.exception("prompt build failed")
                refusal, stage = f"internal_error: prompt: {exc}"[:500], "call"
        estimate = 0
        if refusal is None:
            estimate = (len(prompt.system) + len(prompt.user)) // CHARS_PER_TOKEN + \
                prompt.max_tokens
            wait = self.limiter.reserve(estimate, max_wait=self.settings.max_wait_seconds)
            if wait is None:
                refusal, stage = "rate_limited: over the requests or tokens per minute", \
                    "limiter"
            elif not self.breaker.allow():
                self.limiter.release(estimate)
                refusal, stage = "circuit_open: the LLM failed repeatedly; retrying later", \
                    "breaker"
            elif wait > 0:
                self._sleep(wait)
        if refusal is not None:
            for request in requests:
                yield self._fallback(request, refusal, out, stage)
            return
        if len(requests) > 1:
            out.ledger.append(self._entry("batching", insights=len(requests) - 1))
        try:
            completion = self.retry.call(lambda timeout: self.provider.complete(prompt, timeout),
                                         timeout=self.settings.timeout_seconds)
        except Exception as exc:
            self.breaker.failed()
            kind = exc.kind if isinstance(exc, ProviderError) else "internal"
            if not isinstance(exc, ProviderError):
                log.exception("LLM call failed unexpectedly")
            out.ledger.append(self._entry("call", insights=len(requests),
                                          calls=self.retry.last_attempts, reason=kind))
            detail = str(exc) if isinstance(exc, ProviderError) else f"internal: {exc}"
            for request in requests:
                yield self._fallback(request, f"llm_error: {detail}"[:500], out, None)
            return
        self.breaker.succeeded()
        self.limiter.settle(estimate, completion.tokens_in + completion.tokens_out)
        yield from self._judged(tier, chunk, completion, out)

    def _judged(self, tier: str, chunk: list[tuple[InsightRequest, str]],
                completion: Completion, out: ChainResult) -> Iterator[Insight]:
        cost = cost_usd(completion.model, completion.tokens_in, completion.tokens_out,
                        self.settings.prices)
        alert = self.budget.spend(cost)
        if alert:
            out.alerts.append(alert)
        results: list[ParseResult] = parse_batch(completion.text, len(chunk)) \
            if len(chunk) > 1 else [parse_draft(completion.text)]
        ok = sum(1 for r in results if r.ok)
        out.ledger.append(LedgerEntry(
            at=self.clock.now(), stage="llm", insights=ok, calls=self.retry.last_attempts,
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
            self.cache.put(key, _Cached(result.draft, source))
            yield self._insight(
                request, result.draft, source, version,
                tokens_in=round(completion.tokens_in * share),
                tokens_out=round(completion.tokens_out * share),
                cost=round(cost * share, 6), latency_ms=completion.latency_ms)

    # -- making insights ------------------------------------------------------------------

    def _fallback(self, request: InsightRequest, reason: str, out: ChainResult,
                  stage: Stage | None) -> Insight:
        if stage is not None:
            out.ledger.append(self._entry(stage, reason=reason.split(":")[0]))
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

    def _entry(self, stage: Stage, *, insights: int = 1, calls: int = 0,
               reason: str = "") -> LedgerEntry:
        return LedgerEntry(at=self.clock.now(), stage=stage, insights=insights, calls=calls,
                           reason=reason)
