"""Feature flags: is the LLM on at all, and is this insight in the sample offered to it.

Sampling is decided by a hash of the insight id, so a replay samples the same insights.

>>> flags = Flags(enabled=True, provider="openai", sample_rate=0.0)
>>> flags.skip_reason("any-id")
'not_sampled'
>>> Flags(enabled=True, provider="none", sample_rate=1.0).skip_reason("any-id")
'no_provider'
>>> Flags(enabled=True, provider="openai", sample_rate=1.0).skip_reason("any-id") is None
True
"""

from __future__ import annotations

import hashlib

import msgspec


class Flags(msgspec.Struct, frozen=True):
    enabled: bool
    """`ai.enabled` (`VIGILA_AI_ENABLED`)."""
    provider: str
    sample_rate: float

    def skip_reason(self, insight_id: str) -> str | None:
        """Why the analyst writes this insight without asking the LLM, or None."""
        if not self.enabled:
            return "ai_disabled"
        if self.provider == "none":
            return "no_provider"
        if self.sample_rate >= 1.0:
            return None
        return None if sampled(insight_id, self.sample_rate) else "not_sampled"


def sampled(key: str, rate: float) -> bool:
    """True for a stable `rate` share of keys."""
    digest = hashlib.blake2b(key.encode(), digest_size=8).digest()
    return int.from_bytes(digest) / 2**64 < rate
