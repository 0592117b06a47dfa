"""What enters the insight chain, and the ledger line each decision leaves behind."""

from __future__ import annotations

from typing import Any, Literal

import msgspec

from vigila.insights.model import Draft

Stage = Literal["flags", "sampling", "dedup", "tier", "cache", "batching", "limiter", "budget",
                "breaker", "deadline", "call", "parse", "llm"]
"""Where the chain decided: `llm` is a call that made insights; the others avoided a call
(`batching` counts the calls saved by sharing a prompt) or fell back (`call`, `parse`)."""


class InsightRequest(msgspec.Struct, frozen=True, kw_only=True):
    """One triggered interval to judge: its evidence and the analyst's draft of it."""

    insight_id: str
    entity: str
    evidence: dict[str, Any]
    analyst: Draft
    """The deterministic draft: the prompt's tier is chosen by it, and it is the fallback."""
    at: float
    """When the interval triggered (seconds since the epoch)."""


class LedgerEntry(msgspec.Struct, frozen=True, kw_only=True):
    """One decision of the chain, for `vigila insights cost`."""

    at: float
    stage: Stage
    insights: int = 1
    calls: int = 0
    """Provider calls made (retries included)."""
    provider: str = ""
    model: str = ""
    tokens_in: int = 0
    tokens_out: int = 0
    cost_usd: float = 0.0
    reason: str = ""


SPENDING: frozenset[str] = frozenset({"llm", "call", "parse"})
"""Stages that made (or followed) a call; every other stage avoided one."""
BY_DESIGN: frozenset[str] = frozenset({"ai_disabled", "no_provider", "not_sampled",
                                       "below_llm_threshold"})
"""Reasons the analyst writes an insight by configuration, not because the LLM failed."""


def avoided_by_stage(ledger: list[LedgerEntry]) -> dict[str, int]:
    """Calls avoided per stage (intervals that never reached the LLM, or shared a call)."""
    avoided: dict[str, int] = {}
    for entry in ledger:
        if entry.stage not in SPENDING:
            avoided[entry.stage] = avoided.get(entry.stage, 0) + entry.insights
    return dict(sorted(avoided.items()))


def is_fallback(reason: str | None) -> bool:
    """True when the analyst stood in for an LLM that should have answered."""
    return reason is not None and reason.split(":")[0] not in BY_DESIGN
