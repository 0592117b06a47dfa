"""The deterministic analyst: a `Draft` from fabric evidence, without an LLM.

It stands in when no LLM is configured or the LLM fails, and is the baseline an
LLM has to beat. Pure and fast (tens of microseconds): the evidence is reduced
to ratios against the port's baseline (`analyst_signals`), every prediction
type is scored on how well it explains them (`analyst_classify`), the best one
is taken, its risk is its base risk plus a severity read from the size of the
evidence (`analyst_severity`), and the confidence is the margin over the next
candidate. The words come from `analyst_text`.

>>> from vigila.packs.fabric.enrich import Baseline, Enriched
>>> base = {"utilization": Baseline(40.0, 2.0, 45.0, 90),
...         "latency_p99": Baseline(2.6, 0.1, 2.9, 90),
...         "error_rate": Baseline(0.0, 0.0, 0.0, 90),
...         "bandwidth_gbps": Baseline(158.0, 8.0, 175.0, 90)}
>>> evidence = Enriched(stream_id="cluster-a/node-17/mlx5_0/1", cluster="cluster-a",
...     timestamp="2026-11-23T10:00:00+00:00", event_id="e1",
...     metrics={"utilization": 41.0, "latency_p99": 9.8, "error_rate": 0.0,
...              "bandwidth_gbps": 160.0},
...     counters={}, baselines=base, deltas_pct={}, scores={}, anomaly_score=1.0,
...     triggers=["latency"], iops=490_000.0, port_xmit_wait=800)
>>> draft = analyze(evidence)
>>> draft.prediction_type, draft.risk_score, draft.confidence
('latency_spike', 52, 0.85)
>>> draft.explanation.split(": ", 1)[1][:80]
'latency_p99 9.8 µs is +277% over its 15-min baseline mean 2.6 µs (p99 2.9 µs); b'
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from vigila.insights.analyst_classify import ANOMALY_FLOOR, ranked
from vigila.insights.analyst_severity import risk, severity
from vigila.insights.analyst_signals import signals
from vigila.insights.analyst_text import explanation, recommendations
from vigila.insights.model import Draft

if TYPE_CHECKING:
    from vigila.packs.fabric.enrich import Enriched

MAX_CONFIDENCE = 0.95
"""A rule-based reading is never certain."""


def analyze(evidence: Enriched) -> Draft:
    """Judge one triggered interval: type, risk, explanation, actions, confidence."""
    sig = signals(evidence)
    (kind, best), (second_kind, second) = ranked(sig)[:2]
    runner_up = (second_kind, second) if second > ANOMALY_FLOOR else None
    return Draft(
        prediction_type=kind,
        risk_score=risk(kind, severity(kind, sig)),
        explanation=explanation(evidence, sig, kind, runner_up),
        recommendations=recommendations(evidence, kind),
        confidence=confidence(best, second),
    )


def confidence(best: float, second: float) -> float:
    """Half how well the type fits, half its margin over the next candidate."""
    return round(min(MAX_CONFIDENCE, max(0.05, 0.5 * best + 0.5 * (best - second))), 2)
