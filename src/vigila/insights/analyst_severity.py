"""Risk of a classified interval: the type's base risk plus a severity read from magnitudes.

Each type lists the signals whose size says how bad it is, with the value a
mild case and a severe case of that failure show (round figures: "latency 3x
its baseline is a mild spike, 9x a severe one"); the severity (0-1) is the mean
position of the signals between their anchors. Counters and error rates are
read on a log scale: their order of magnitude matters, not the exact count.
The base risk and its range per type (`RISK`) are the risk model documented
with the fabric pack, the one its simulator labels incidents with, so the
analyst and the labels it is scored against mean the same by "risk".

>>> from vigila.insights.analyst_signals import Signals
>>> spike = Signals(utilization=40.0, utilization_x=1.0, latency_x=6.0, efficiency_x=1.0,
...                 error_rate=0.0, xmit_wait=800.0, counters={})
>>> severity("latency_spike", spike), risk("latency_spike", 0.5)
(0.5, 60)
"""

from __future__ import annotations

import math
from typing import NamedTuple

from vigila.insights.analyst_signals import Signals, ramp
from vigila.insights.model import PredictionType


class Risk(NamedTuple):
    base: int
    per_severity: int


RISK: dict[PredictionType, Risk] = {
    "anomaly_detected": Risk(35, 15),
    "performance_degradation": Risk(45, 20),
    "latency_spike": Risk(50, 20),
    "memory_registration_failure": Risk(55, 20),
    "bandwidth_throttling": Risk(55, 20),
    "resource_saturation": Risk(60, 20),
    "qp_error_rate_high": Risk(60, 25),
    "packet_loss_detected": Risk(65, 25),
    "rdma_timeout": Risk(70, 25),
    "connection_instability": Risk(75, 25),
}
"""Risk of a mild case of each type, and what a severe case adds: how much a failure
threatens the jobs on the port (a lost link more than a changed traffic pattern)."""


class Scale(NamedTuple):
    """Where a signal stands between a mild and a severe case (mild may exceed severe
    for signals that fall as things get worse)."""

    signal: str
    """A `Signals` field, or an error counter's name."""
    mild: float
    severe: float
    log: bool = False


SCALES: dict[PredictionType, tuple[Scale, ...]] = {
    "anomaly_detected": (Scale("utilization_x", 0.8, 0.0),),
    "performance_degradation": (Scale("latency_x", 1.5, 2.5), Scale("efficiency_x", 0.75, 0.5)),
    "latency_spike": (Scale("latency_x", 3.0, 9.0),),
    "memory_registration_failure": (Scale("mr_reg_failures", 3, 100, log=True),),
    "bandwidth_throttling": (
        Scale("utilization", 85.0, 100.0),
        Scale("xmit_wait", 10_000, 50_000, log=True),
    ),
    "resource_saturation": (
        Scale("utilization", 90.0, 100.0),
        Scale("latency_x", 1.25, 2.0),
        Scale("xmit_wait", 20_000, 100_000, log=True),
    ),
    "qp_error_rate_high": (Scale("latency_x", 1.2, 1.6), Scale("qp_errors", 20, 500, log=True)),
    "packet_loss_detected": (Scale("error_rate", 0.01, 0.1, log=True),),
    "rdma_timeout": (Scale("latency_x", 4.0, 12.0), Scale("efficiency_x", 0.6, 0.3)),
    "connection_instability": (Scale("latency_x", 1.5, 2.5), Scale("error_rate", 0.002, 0.01)),
}


def severity(kind: PredictionType, s: Signals) -> float:
    """0 (a mild case of `kind`) to 1 (a severe one); unknown signals count as mild."""
    scales = SCALES[kind]
    return sum(_position(scale, s) for scale in scales) / len(scales)


def risk(kind: PredictionType, severity: float) -> int:
    """The type's base risk plus what the severity adds, 0-100, truncated: a risk point,
    and above all the one that makes an insight critical, is earned in full."""
    base, per_severity = RISK[kind]
    return max(0, min(100, math.floor(base + per_severity * severity)))


def _position(scale: Scale, s: Signals) -> float:
    value = (
        float(getattr(s, scale.signal))
        if scale.signal in Signals._fields
        else float(s.counters.get(scale.signal, 0))
    )
    if scale.log:
        magnitude = math.log10(value) if value > 0 else -math.inf
        return ramp(magnitude, math.log10(scale.mild), math.log10(scale.severe))
    return ramp(value, scale.mild, scale.severe)
