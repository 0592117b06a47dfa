"""Words of the deterministic analyst: explanations that cite the evidence, and actions.

An explanation names the port, then states the metrics that decided the type
with their 15-minute baseline and delta, the error counters of the interval,
and what that combination means. Recommendations are InfiniBand/RDMA actions
specific to the type, addressed to the port's node, HCA and port number.

>>> from vigila.packs.fabric.enrich import Baseline, Enriched
>>> ev = Enriched(stream_id="c/node-1/mlx5_0/1", cluster="c", timestamp="", event_id="e1",
...     metrics={"latency_p99": 9.8}, counters={}, deltas_pct={}, scores={},
...     baselines={"latency_p99": Baseline(2.6, 0.1, 2.9, 90)}, anomaly_score=1.0,
...     triggers=["latency"], iops=0.0, port_xmit_wait=0)
>>> metric_phrase(ev, "latency_p99")
'latency_p99 9.8 µs is +277% over its 15-min baseline mean 2.6 µs (p99 2.9 µs)'
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, NamedTuple

from vigila.insights.analyst_signals import (
    ERROR_COUNTERS,
    LINK_COUNTERS,
    LOSS_COUNTERS,
    MR_COUNTERS,
    TIMEOUT_COUNTERS,
    TRANSPORT_COUNTERS,
    Signals,
    baseline_mean,
    metric,
    ratio,
)
from vigila.insights.model import PredictionType

if TYPE_CHECKING:
    from vigila.packs.fabric.enrich import Enriched

MAX_EXPLANATION = 2000


class Wording(NamedTuple):
    """How one type is explained and acted upon."""

    title: str
    metrics: tuple[str, ...]
    """Metrics cited, in order; `efficiency`, `xmit_wait` and `iops` are derived figures."""
    counters: tuple[str, ...]
    """Counters cited first (any other nonzero counter follows)."""
    reading: str
    actions: tuple[str, ...]
    """Templates over `{node}`, `{hca}` and `{port}`."""


WORDING: dict[PredictionType, Wording] = {
    "connection_instability": Wording(
        "Unstable link",
        ("bandwidth_gbps", "latency_p99", "error_rate"),
        LINK_COUNTERS,
        "Link-down events, link error recoveries and symbol errors point at the physical "
        "layer: a failing cable or transceiver, or a bad switch port, retraining the link.",
        (
            "Reseat, then replace if errors persist, the cable and transceiver on {node} {hca} "
            "port {port}; if the errors follow the cable, retire it, otherwise test the switch "
            "port.",
            "Read the physical-layer counters and BER with `mlxlink -d {hca} -p {port} -c` and "
            "fabric-wide with `ibdiagnet`; compare symbol_errors and link_downed from "
            "`perfquery -x` before and after the fix.",
            "Check the peer switch port's link_error_recovery and link_downed counters and the "
            "subnet manager log; drain {node} from the scheduler while the link flaps.",
        ),
    ),
    "packet_loss_detected": Wording(
        "Packet loss",
        ("error_rate", "bandwidth_gbps"),
        LOSS_COUNTERS,
        "Receive errors and transmit discards with out-of-sequence packets mean packets "
        "are dropped on this hop or its switch egress and RDMA transports retransmit.",
        (
            "Locate the drops: `perfquery -x` on {node} {hca} port {port} and `ibqueryerrors` "
            "across the fabric show whether port_rcv_errors (bad link) or port_xmit_discards "
            "(congested or stalled egress) originate here or at the switch.",
            "For port_rcv_errors check the link's BER with `mlxlink -d {hca} -p {port} -c` "
            "and reseat or replace the cable; for port_xmit_discards look for head-of-queue "
            "timeouts and congestion on the switch port.",
            "Verify the MTU matches end to end (`ibv_devinfo` active_mtu against the partition "
            "MTU) and that the SL-to-VL mapping and adaptive routing are consistent.",
        ),
    ),
    "rdma_timeout": Wording(
        "RDMA timeouts",
        ("latency_p99", "bandwidth_gbps"),
        TIMEOUT_COUNTERS,
        "Local ACK timeouts mean requests sent by this HCA's queue pairs were not "
        "acknowledged in time: a stalled or unreachable peer, or ACKs lost on the path.",
        (
            "Find the remote peers of the timing-out QPs (`rdma resource show qp`, the "
            "application or NCCL/MPI logs) and check their HCAs with `ibstat` and the kernel "
            "log for mlx5 errors.",
            "Check the path for congestion and drops (`ibqueryerrors`, port_xmit_wait on the "
            "switch ports between {node} and its peers).",
            "Once the cause is fixed, review the QP timeout and retry_cnt (ibv_modify_qp) "
            "against the fabric's diameter rather than raising them to hide the stalls.",
        ),
    ),
    "qp_error_rate_high": Wording(
        "Queue-pair errors",
        ("latency_p99", "bandwidth_gbps"),
        TRANSPORT_COUNTERS,
        "QP errors with PSN sequence errors and RNR NAK retries exhausted mean queue pairs "
        "are moving to the error state: receivers not posting receive WQEs in time, or "
        "packets lost on the path.",
        (
            "List the QPs in error on {node} {hca} (`rdma resource show qp`) and the peers "
            "they connect to; restart the affected ranks or connections.",
            "For rnr_nak_retry_err, deepen the receive queues or raise min_rnr_timer and "
            "rnr_retry; for packet_seq_err, look for drops on the path with `perfquery -x`.",
            "Compare HCA firmware and driver versions across the peers (`ibv_devinfo`, "
            "`mlxfwmanager --query`) for known QP issues and mismatches.",
        ),
    ),
    "memory_registration_failure": Wording(
        "Memory registration failures",
        ("bandwidth_gbps",),
        MR_COUNTERS,
        "The HCA refused to register memory regions: the process hit its locked-memory "
        "limit, or the HCA's MR/translation resources are exhausted.",
        (
            "Check the locked-memory limit of the RDMA processes on {node} (`ulimit -l` "
            "unlimited, LimitMEMLOCK for services).",
            "Compare registered MRs (`rdma resource show mr`) with the HCA limit (`ibv_devinfo "
            "-v` max_mr); enable the MPI/NCCL registration cache or on-demand paging.",
            "Look for a process leaking registrations (MR count growing) and restart it; "
            "check the kernel log for mlx5 errors on {hca}.",
        ),
    ),
    "bandwidth_throttling": Wording(
        "Throughput throttled",
        ("utilization", "bandwidth_gbps", "efficiency", "xmit_wait"),
        (),
        "The port is held busy but moves a fraction of its usual data, with the "
        "transmitter waiting for credits: a congested or slow receiver downstream, or a "
        "link trained down in width or speed.",
        (
            "Check the negotiated width and speed of {node} {hca} port {port} (`ibstat`, "
            "`mlxlink -d {hca} -p {port}`): a link trained down keeps the port busy for a "
            "fraction of the throughput.",
            "Check port_xmit_wait on the peer switch port and downstream: credit starvation "
            "spreads from a congested port or a slow receiver (`ibqueryerrors`).",
            "Review QoS and rate limits (SL-to-VL mapping, VL arbitration) and the HCA's "
            "temperature and firmware for thermal or firmware throttling.",
        ),
    ),
    "resource_saturation": Wording(
        "Port saturated",
        ("utilization", "bandwidth_gbps", "latency_p99", "xmit_wait"),
        (),
        "The port runs at line rate and queues build up behind it (transmit waits, "
        "higher latency): demand exceeds the link, nothing is broken.",
        (
            "Identify the jobs or QPs driving {node} {hca} port {port} and rebalance or "
            "rate-limit them.",
            "Spread the traffic: verify adaptive routing, use the second rail or HCA port, "
            "and place communicating ranks closer.",
            "If saturation recurs at this load, add uplink capacity to the switch tier "
            "behind the port.",
        ),
    ),
    "latency_spike": Wording(
        "Latency spike",
        ("latency_p99", "bandwidth_gbps"),
        (),
        "Latency rose far above the port's baseline while bandwidth held: a transient "
        "stall on the host or the path, not a loss of capacity.",
        (
            "Check {node} for CPU or interrupt pressure, NUMA placement of the process "
            "relative to {hca}, and PCIe AER errors.",
            "Check the switch path for congestion or a rerouting event (subnet manager log, "
            "`ibdiagnet` congestion report) and compare with other ports on the same switch.",
            "Measure with `ib_write_lat` between {node} and a healthy peer to isolate the "
            "host from the fabric.",
        ),
    ),
    "performance_degradation": Wording(
        "Performance degraded",
        ("latency_p99", "bandwidth_gbps", "efficiency"),
        (),
        "Latency up and less bandwidth per utilization point with no error counters: the "
        "port works, but slower than it did.",
        (
            "Compare the link width and speed (`mlxlink -d {hca} -p {port}`) and the HCA's "
            "PCIe link state (`lspci -vv` LnkSta) with healthy peers.",
            "Check the HCA firmware and driver versions and the HCA temperature on {node}.",
            "Run `ib_write_bw` from {node} to a healthy peer to tell a host problem from a "
            "fabric one.",
        ),
    ),
    "anomaly_detected": Wording(
        "Unusual traffic",
        ("utilization", "bandwidth_gbps", "iops", "latency_p99"),
        (),
        "The interval departs from the port's baseline without an error counter or a "
        "known failure shape: a change in the traffic pattern rather than a fault.",
        (
            "Identify which job drives {node} {hca} and whether its traffic changed (message "
            "sizes, a retry loop, a small-message storm).",
            "Compare with the other ports of the same job; if only this port departs, watch "
            "its error counters with `perfquery -x` over the next intervals.",
            "Acknowledge if the change is expected; the baseline relearns a level that persists.",
        ),
    ),
}

_UNITS = {"utilization": "%", "latency_p99": " µs", "bandwidth_gbps": " Gbps"}


def explanation(
    evidence: Enriched,
    s: Signals,
    kind: PredictionType,
    runner_up: tuple[PredictionType, float] | None,
) -> str:
    """Cites the deciding metrics with their baselines and deltas, then reads them."""
    wording = WORDING[kind]
    facts = [_fact(evidence, s, name) for name in wording.metrics]
    facts.append(_counters_phrase(s, wording.counters))
    text = f"{wording.title} on {evidence.stream_id}: " + "; ".join(facts) + ". " + wording.reading
    if runner_up is not None:
        text += f" Next candidate: {runner_up[0]} (fit {runner_up[1]:.2f})."
    return text[:MAX_EXPLANATION]


def recommendations(evidence: Enriched, kind: PredictionType) -> list[str]:
    """The type's actions, addressed to the port."""
    parts = evidence.stream_id.split("/")
    node, hca, port = parts[-3:] if len(parts) >= 4 else (evidence.stream_id, "<hca>", "<port>")
    return [action.format(node=node, hca=hca, port=port)[:500] for action in WORDING[kind].actions]


def metric_phrase(evidence: Enriched, name: str) -> str:
    """`name value` and how it stands against its 15-minute baseline."""
    value = metric(evidence, name)
    if math.isnan(value):
        return f"{name} not reported"
    mean = baseline_mean(evidence, name)
    text = f"{name} {_show(name, value)}"
    if math.isnan(mean):
        return text + " (no baseline yet)"
    if mean == 0:
        return f"{text} against a 15-min baseline mean of 0"
    p99 = evidence.baselines[name].p99
    reference = f"its 15-min baseline mean {_show(name, mean)}" + (
        f" (p99 {_show(name, p99)})" if math.isfinite(p99) else ""
    )
    delta = (value - mean) / abs(mean) * 100
    if delta >= 1000:  # a multiple reads better than +282226 % over a near-zero baseline
        return f"{text} is {delta / 100 + 1:,.0f}x {reference}"
    return f"{text} is {delta:+.0f}% {'over' if delta >= 0 else 'under'} {reference}"


def _fact(evidence: Enriched, s: Signals, name: str) -> str:
    if name == "efficiency":
        return _efficiency_phrase(evidence, s)
    if name == "xmit_wait":
        return f"port_xmit_wait {s.xmit_wait:,.0f} (time spent waiting for credits)"
    if name == "iops":
        return _iops_phrase(evidence)
    return metric_phrase(evidence, name)


def _efficiency_phrase(evidence: Enriched, s: Signals) -> str:
    now = ratio(metric(evidence, "bandwidth_gbps"), metric(evidence, "utilization"))
    then = ratio(baseline_mean(evidence, "bandwidth_gbps"), baseline_mean(evidence, "utilization"))
    if math.isnan(s.efficiency_x):
        return "bandwidth per utilization point: no baseline yet"
    return (
        f"bandwidth per utilization point {now:.2f} Gbps/% against {then:.2f} at "
        f"baseline ({(s.efficiency_x - 1) * 100:+.0f}%)"
    )


def _iops_phrase(evidence: Enriched) -> str:
    iops = evidence.iops if math.isfinite(evidence.iops) else 0.0
    size = ratio(metric(evidence, "bandwidth_gbps") * 1e9 / 8, iops)
    per_op = f" at about {_bytes(size)} per operation" if math.isfinite(size) else ""
    return f"IOPS {iops:,.0f}{per_op}"


def _counters_phrase(s: Signals, first: tuple[str, ...]) -> str:
    order = first + tuple(name for name in ERROR_COUNTERS if name not in first)
    order += tuple(sorted(set(s.counters) - set(order)))
    shown = [f"{name} {s.counters[name]:,}" for name in order if name in s.counters]
    return "counters in the interval: " + ", ".join(shown) if shown else "no error counters"


def _show(name: str, value: float) -> str:
    if name == "error_rate":
        return f"{value * 100:.2g}%"
    return (
        f"{value:.3g}{_UNITS.get(name, '')}"
        if abs(value) < 1000
        else f"{value:,.0f}{_UNITS.get(name, '')}"
    )


def _bytes(size: float) -> str:
    return f"{size / 1024:.1f} KB" if size >= 1024 else f"{size:.0f} B"
