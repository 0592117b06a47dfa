"""Fabric enrichment: per-port baselines, deltas, anomaly scores and trigger criteria.

For every `Port Metrics` event the enricher compares the port's figures with
its own last 15 minutes (mean, standard deviation, p99 per metric), scores
them with the default detector ensemble, and checks the trigger criteria. An
event that fires any trigger is re-published as `Analysis Triggered`, whose
detail (`Enriched`) is everything the insight engine receives.

Baselines learn healthy intervals only: an interval that fires a trigger is
kept out, unless the port has fired for `relearn_after` intervals in a row,
when the new level is accepted as normal.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import msgspec

from vigila.detect import WindowBaseline, default_detector
from vigila.detect.state import join, split
from vigila.packs.fabric.schema import PortMetrics
from vigila.pipeline.batch import ColumnSpec
from vigila.pipeline.processor import Emit, PerEvent, ProcessContext

ANALYSIS_TRIGGERED = "Analysis Triggered"
METRICS = ("utilization", "latency_p99", "error_rate", "bandwidth_gbps")
DELTA_METRICS = ("utilization", "latency_p99", "bandwidth_gbps")
COUNTERS = ("qp_errors", "symbol_errors", "link_downed", "link_error_recovery",
            "port_rcv_errors", "port_xmit_discards", "local_ack_timeout_err",
            "rnr_nak_retry_err", "out_of_sequence", "packet_seq_err", "mr_reg_failures")
COLUMNS = ColumnSpec(numeric=(*METRICS, *COUNTERS, "iops", "port_xmit_wait"),
                     entity="stream_id", time="timestamp")
"""What the enricher reads of a `Port Metrics` batch."""


class TriggerSettings(msgspec.Struct, forbid_unknown_fields=True):
    """When a port's interval deserves analysis. Set per profile under
    `[pack_settings.fabric.triggers]`."""

    utilization_pct: float = 80.0
    """Utilization above this fires `utilization`."""
    latency_x_p99: float = 2.0
    """Latency p99 above this multiple of the baseline p99 fires `latency`."""
    error_rate: float = 0.05
    """Error rate above this fires `error_rate`."""
    delta_pct: float = 20.0
    """A metric this far from its baseline mean fires `delta:<metric>` ..."""
    delta_min_sigma: float = 3.0
    """... when it is also this many baseline standard deviations away (noise is not news)."""
    anomaly_score: float = 0.5
    """An ensemble score at or above this fires `anomaly`."""
    counters: bool = True
    """Any InfiniBand error counter above zero fires `counters`."""
    min_baseline: int = 12
    """Intervals of baseline needed before latency and delta triggers apply."""
    relearn_after: int = 30
    """Consecutive triggered intervals after which the baseline accepts the new level."""


class FabricSettings(msgspec.Struct, forbid_unknown_fields=True):
    triggers: TriggerSettings = msgspec.field(default_factory=TriggerSettings)


class Baseline(msgspec.Struct):
    mean: float
    std: float
    p99: float
    count: int


class Enriched(msgspec.Struct, kw_only=True):
    """A port interval worth analysing, with the context to judge it."""

    stream_id: str
    cluster: str
    timestamp: str
    event_id: str
    metrics: dict[str, float]
    counters: dict[str, int]
    """The error counters that were above zero."""
    baselines: dict[str, Baseline]
    deltas_pct: dict[str, float]
    """Per metric with a baseline: (value - baseline mean) / baseline mean, in percent."""
    scores: dict[str, float]
    anomaly_score: float
    triggers: list[str]
    iops: float
    port_xmit_wait: int


class PortState:
    """One port's baselines and detectors; serializable so a restart resumes them."""

    __slots__ = ("detectors", "streak", "windows")

    def __init__(self) -> None:
        self.windows = {m: WindowBaseline() for m in METRICS}
        self.detectors = {m: default_detector() for m in METRICS}
        self.streak = 0

    def to_state(self) -> bytes:
        parts = [self.windows[m].to_state() for m in METRICS]
        parts += [self.detectors[m].to_state() for m in METRICS]
        return join(*parts, self.streak.to_bytes(4, "little"))

    def from_state(self, state: bytes) -> None:
        parts = split(self, state, 2 * len(METRICS) + 1)
        for i, m in enumerate(METRICS):
            self.windows[m].from_state(parts[i])
            self.detectors[m].from_state(parts[len(METRICS) + i])
        self.streak = int.from_bytes(parts[-1], "little")


class FabricEnricher(PerEvent):
    """The fabric pack's processor (see the module docstring)."""

    name = "fabric-enrich"
    accepts = frozenset({("vigila.fabric", "Port Metrics")})

    def __init__(self, settings: FabricSettings | None = None) -> None:
        self.triggers = (settings or FabricSettings()).triggers
        self._ports: dict[str, PortState] = {}
        self._dirty: set[str] = set()

    def process(self, event: Any, ctx: ProcessContext) -> Iterator[Emit]:
        detail: PortMetrics = event.detail
        t = detail.timestamp.timestamp()
        port = self._ports.get(detail.stream_id)
        if port is None:
            port = self._ports[detail.stream_id] = PortState()
        values = {m: float(getattr(detail, m)) for m in METRICS}
        moments = {m: port.windows[m].moments(t) for m in DELTA_METRICS}
        latency = port.windows["latency_p99"]
        latency_p99 = latency.stats(t).p99 if moments["latency_p99"][0] else math.nan
        scores = {m: port.detectors[m].update(values[m], t) for m in METRICS}
        counters = {c: getattr(detail, c) for c in COUNTERS if getattr(detail, c) > 0}
        fired = self._fired(values, moments, latency_p99, counters, max(scores.values()))
        port.streak = port.streak + 1 if fired else 0
        if not fired or port.streak > self.triggers.relearn_after:
            for m in METRICS:
                port.windows[m].learn_one(values[m], t)
        self._dirty.add(detail.stream_id)
        if not fired:
            return
        baselines = {m: _baseline(port.windows[m], t) for m in METRICS}
        deltas = {m: _delta_pct(values[m], baselines[m].mean) for m in METRICS
                  if baselines[m].count}
        yield Emit(source="vigila.fabric", detail_type=ANALYSIS_TRIGGERED, key="analysis",
                   resources=[detail.stream_id], detail=Enriched(
                       stream_id=detail.stream_id, cluster=detail.stream_id.split("/", 1)[0],
                       timestamp=event.time.isoformat() if event.time else "",
                       event_id=event.id, metrics=values, counters=counters,
                       baselines=baselines, deltas_pct=deltas, scores=scores,
                       anomaly_score=max(scores.values()), triggers=fired,
                       iops=detail.iops, port_xmit_wait=detail.port_xmit_wait))

    def _fired(self, values: dict[str, float], moments: dict[str, tuple[int, float, float]],
               latency_p99: float, counters: dict[str, int], score: float) -> list[str]:
        rule = self.triggers
        fired = []
        if values["utilization"] > rule.utilization_pct:
            fired.append("utilization")
        if moments["latency_p99"][0] >= rule.min_baseline and \
                values["latency_p99"] > rule.latency_x_p99 * latency_p99:
            fired.append("latency")
        if values["error_rate"] > rule.error_rate:
            fired.append("error_rate")
        for m in DELTA_METRICS:
            count, mean, std = moments[m]
            if count >= rule.min_baseline and \
                    abs(_delta_pct(values[m], mean)) > rule.delta_pct and \
                    abs(values[m] - mean) > rule.delta_min_sigma * std:
                fired.append(f"delta:{m}")
        if score >= rule.anomaly_score:
            fired.append("anomaly")
        if rule.counters and counters:
            fired.append("counters")
        return fired

    # -- state, saved with each batch so a restart resumes the baselines ----------------

    def export_states(self) -> dict[str, bytes]:
        """States changed since the last export."""
        dirty, self._dirty = self._dirty, set()
        return {stream: self._ports[stream].to_state() for stream in dirty}

    def import_states(self, states: dict[str, bytes]) -> None:
        """Replace every port's state by `states`."""
        self._ports, self._dirty = {}, set()
        for stream, state in states.items():
            port = PortState()
            port.from_state(state)
            self._ports[stream] = port


def _baseline(window: WindowBaseline, t: float) -> Baseline:
    """The window's summary; all zeros with `count` 0 when it is empty (JSON has no NaN)."""
    stats = window.stats(t)
    if not stats.count:
        return Baseline(0.0, 0.0, 0.0, 0)
    return Baseline(stats.mean, stats.std, stats.p99, stats.count)


def _delta_pct(value: float, mean: float) -> float:
    if mean == 0:
        return 0.0 if value == 0 else 100.0
    return (value - mean) / abs(mean) * 100
