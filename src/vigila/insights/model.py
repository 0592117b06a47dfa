"""The insight schema: what an analyst (LLM or deterministic) must produce, and the record kept.

>>> draft = msgspec.convert({"prediction_type": "latency_spike", "risk_score": 62,
...     "explanation": "latency_p99 9.8 us is 277% above its 2.6 us baseline",
...     "recommendations": ["Check HCA firmware", "Inspect the switch port"],
...     "confidence": 0.8}, Draft)
>>> draft.risk_score
62
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta

PredictionType = Literal[
    "performance_degradation", "anomaly_detected", "resource_saturation",
    "connection_instability", "packet_loss_detected", "latency_spike",
    "bandwidth_throttling", "qp_error_rate_high", "memory_registration_failure",
    "rdma_timeout",
]
CRITICAL_RISK = 80
"""Risk at or above which an insight is critical (`detail-type: Critical Insight`)."""


class Draft(msgspec.Struct, forbid_unknown_fields=True):
    """The judgement itself: what an LLM must return (strict), or the analyst computes."""

    prediction_type: PredictionType
    risk_score: Annotated[int, Meta(ge=0, le=100)]
    explanation: Annotated[str, Meta(min_length=1, max_length=2000)]
    """Cites the metrics and their deltas from baseline."""
    recommendations: Annotated[list[Annotated[str, Meta(min_length=1, max_length=500)]],
                               Meta(min_length=2, max_length=4)]
    """Two to four concrete actions."""
    confidence: Annotated[float, Meta(ge=0, le=1)]


class Insight(msgspec.Struct, kw_only=True):
    """A stored insight: the draft plus who wrote it, from what, at what cost."""

    insight_id: str
    entity: str
    prediction_type: PredictionType
    risk_score: int
    explanation: str
    recommendations: list[str]
    confidence: float
    evidence: dict[str, Any]
    source: str
    """`analyst`, or `llm:<provider>/<model>`."""
    fallback_reason: str | None = None
    """Why the analyst stood in for the LLM, when it did."""
    prompt_version: str = ""
    tokens_in: int = 0
    tokens_out: int = 0
    cost_usd: float = 0.0
    latency_ms: float = 0.0
    created_at: datetime
    expires_at: datetime

    @property
    def critical(self) -> bool:
        return self.risk_score >= CRITICAL_RISK
