"""How well each prediction type explains a triggered interval, from 0 (not at all) to 1.

The error counters name their cause: link counters mean the physical link,
discards and receive errors mean lost packets, `local_ack_timeout_err` means
the transport gave up waiting, QP and sequence errors mean broken queue pairs,
`mr_reg_failures` means memory registration. Without counters, the shape of
the change tells the types apart: whether latency rose, whether the port still
moves its usual bandwidth per utilization point (`efficiency_x`), and whether
the load is pinned high or collapsed. `anomaly_detected` is the floor: what an
interval is when nothing more specific fits.

>>> from vigila.insights.analyst_signals import Signals
>>> spike = Signals(utilization=40.0, utilization_x=1.0, latency_x=6.0, efficiency_x=1.0,
...                 error_rate=0.0, xmit_wait=800.0, counters={})
>>> ranked(spike)[0]
('latency_spike', 1.0)
"""

from __future__ import annotations

from collections.abc import Callable

from vigila.insights.analyst_signals import (
    LOSS_COUNTERS,
    TRANSPORT_COUNTERS,
    Signals,
    count_strength,
    family,
    ramp,
)
from vigila.insights.model import PredictionType

ANOMALY_FLOOR = 0.3
"""What `anomaly_detected` scores with no specific evidence: any type that fits
better than this wins."""


def connection_instability(s: Signals) -> float:
    """A flapping link: the port went down or retrained, bits were corrupted on the wire."""
    return max(
        count_strength(s.counters.get("link_downed", 0), clear=1),
        count_strength(s.counters.get("link_error_recovery", 0), clear=1),
        count_strength(s.counters.get("symbol_errors", 0), clear=20),
    )


def packet_loss_detected(s: Signals) -> float:
    """Packets dropped on receive or on transmit, or delivered out of order."""
    return max(count_strength(family(s, LOSS_COUNTERS), clear=20), ramp(s.error_rate, 0.005, 0.03))


def rdma_timeout(s: Signals) -> float:
    """Requests whose ACK never came back in time."""
    return count_strength(s.counters.get("local_ack_timeout_err", 0), clear=5)


def qp_error_rate_high(s: Signals) -> float:
    """Queue pairs failing: QP errors, PSN sequence errors, RNR retries exhausted."""
    return count_strength(family(s, TRANSPORT_COUNTERS), clear=50)


def memory_registration_failure(s: Signals) -> float:
    """The HCA refused to register memory regions."""
    return count_strength(s.counters.get("mr_reg_failures", 0), clear=1)


def latency_spike(s: Signals) -> float:
    """Latency far above its baseline while the port still moves its usual data."""
    return ramp(s.latency_x, 2.0, 3.0) * ramp(s.efficiency_x, 0.7, 0.85)


def performance_degradation(s: Signals) -> float:
    """Latency up and less data moved per utilization point: the port works, slowly."""
    return ramp(s.latency_x, 1.2, 1.5) * ramp(s.efficiency_x, 0.9, 0.75)


def resource_saturation(s: Signals) -> float:
    """Load near line rate, and the bandwidth to show for it (a toss-up with throttling
    when there is no baseline to compare the bandwidth with)."""
    return ramp(s.utilization, 80.0, 90.0) * ramp(s.efficiency_x, 0.7, 0.85, unknown=0.5)


def bandwidth_throttling(s: Signals) -> float:
    """Port held busy while moving a fraction of its usual data (credit starvation,
    a link trained down)."""
    return ramp(s.utilization, 70.0, 85.0) * ramp(s.efficiency_x, 0.75, 0.5, unknown=0.5)


def anomaly_detected(s: Signals) -> float:
    """Load collapsed while each utilization point still carries its bandwidth: the
    traffic itself changed (a small-message storm, a job stopping)."""
    return ramp(s.utilization_x, 0.6, 0.35) * ramp(s.efficiency_x, 0.7, 0.85)


CAUSES: dict[PredictionType, Callable[[Signals], float]] = {
    "connection_instability": connection_instability,
    "packet_loss_detected": packet_loss_detected,
    "rdma_timeout": rdma_timeout,
    "qp_error_rate_high": qp_error_rate_high,
    "memory_registration_failure": memory_registration_failure,
}
"""Types an error counter names."""

SHAPES: dict[PredictionType, Callable[[Signals], float]] = {
    "latency_spike": latency_spike,
    "performance_degradation": performance_degradation,
    "resource_saturation": resource_saturation,
    "bandwidth_throttling": bandwidth_throttling,
    "anomaly_detected": anomaly_detected,
}
"""Types told apart by the shape of the change alone, with no counter of their own."""

_ORDER = {kind: i for i, kind in enumerate([*CAUSES, *SHAPES])}
"""On a tie the more specific type (counter-backed first) wins."""


def ranked(s: Signals) -> list[tuple[PredictionType, float]]:
    """Every type with its score, best first. Shape-only types count half when error
    counters point at a cause they lack; `anomaly_detected` never scores under
    `ANOMALY_FLOOR`."""
    scores = {kind: rule(s) for kind, rule in CAUSES.items()}
    clean = 1.0 - 0.5 * max(scores.values())
    scores |= {kind: clean * rule(s) for kind, rule in SHAPES.items()}
    scores["anomaly_detected"] = max(ANOMALY_FLOOR, scores["anomaly_detected"])
    return sorted(
        ((kind, round(fit, 4)) for kind, fit in scores.items()),
        key=lambda item: (-item[1], _ORDER[item[0]]),
    )
