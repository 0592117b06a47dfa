"""The `fabric` pack: InfiniBand port telemetry of HPC and AI clusters."""

from typing import Any

import msgspec

from vigila.metrics.declare import Dimension, MetricSpec
from vigila.packs.base import BareRoute, Pack
from vigila.packs.fabric.dashboard import DASHBOARD
from vigila.packs.fabric.enrich import (
    ANALYSIS_TRIGGERED,
    COLUMNS,
    Enriched,
    FabricEnricher,
    FabricSettings,
    TriggerSettings,
)
from vigila.packs.fabric.insights import FabricInsights, InsightSettings
from vigila.packs.fabric.prompts import FabricPrompts
from vigila.packs.fabric.schema import DETAIL_TYPE, SOURCE, PortMetrics
from vigila.packs.fabric.simulator import simulate


class FabricPackSettings(msgspec.Struct, forbid_unknown_fields=True):
    """`[pack_settings.fabric]`: trigger criteria and insight options."""

    triggers: TriggerSettings = msgspec.field(default_factory=TriggerSettings)
    insights: InsightSettings = msgspec.field(default_factory=InsightSettings)


def processors(settings: dict[str, Any]) -> list[Any]:
    parsed = msgspec.convert(settings, FabricPackSettings)
    return [FabricEnricher(FabricSettings(parsed.triggers)), FabricInsights(parsed.insights)]


NAMESPACE = "Fabric/{environment}"
PORT_METRICS = [(SOURCE, DETAIL_TYPE)]
INSIGHT_EVENTS = [("vigila.insights", "Insight"), ("vigila.insights", "Critical Insight")]
PER_PORT_AND_CLUSTER = [
    {"Cluster": Dimension(path="detail.stream_id", split="/", index=0),
     "StreamId": Dimension(path="detail.stream_id")},
    {"Cluster": Dimension(path="detail.stream_id", split="/", index=0)},
]
METRICS = [
    MetricSpec(name=name, namespace=NAMESPACE, events=PORT_METRICS, value=f"detail.{field}",
               dimensions=PER_PORT_AND_CLUSTER, unit=unit)
    for name, field, unit in (
        ("Utilization", "utilization", "Percent"),
        ("LatencyP99", "latency_p99", "Microseconds"),
        ("ErrorRate", "error_rate", "None"),
        ("BandwidthGbps", "bandwidth_gbps", "Gigabits/Second"),
        ("QpErrors", "qp_errors", "Count"),
    )
] + [
    MetricSpec(name="AnalysisTriggered", namespace=NAMESPACE,
               events=[(SOURCE, "Analysis Triggered")],
               dimensions=[{"Cluster": Dimension(path="detail.cluster")}, {}], unit="Count"),
    MetricSpec(name="Insights", namespace=NAMESPACE, events=INSIGHT_EVENTS,
               dimensions=[{}, {"PredictionType": Dimension(path="detail.prediction_type")}],
               unit="Count"),
    MetricSpec(name="InsightCostUsd", namespace=NAMESPACE, events=INSIGHT_EVENTS,
               value="detail.cost_usd", dimensions=[{}], unit="None"),
    MetricSpec(name="AnomalyScore", namespace=NAMESPACE,
               events=[(SOURCE, "Analysis Triggered")], value="detail.anomaly_score",
               dimensions=[{"StreamId": Dimension(path="detail.stream_id")}]),
]

PACK = Pack(
    name="fabric",
    description="InfiniBand fabric port metrics: utilization, latency, errors, counters.",
    detail_types={(SOURCE, DETAIL_TYPE): PortMetrics, (SOURCE, ANALYSIS_TRIGGERED): Enriched},
    columns={(SOURCE, DETAIL_TYPE): COLUMNS},
    processors=processors,
    simulator=simulate,
    metrics=METRICS,
    dashboard=DASHBOARD,
    prompts=FabricPrompts(),
    internal_types=frozenset({(SOURCE, ANALYSIS_TRIGGERED)}),
    bare_routes={"metrics": BareRoute(SOURCE, DETAIL_TYPE, resource_field="stream_id")},
)
