"""The fabric dashboard: port health per cluster, what triggered analysis, and the insights.

`Insights` and `InsightCostUsd` count the insight events; `LlmCalls` is the insight
engine's own, in `Vigila/{environment}`. Their widgets show zero until there are some.
"""

from vigila.packs.widgets import (
    AlarmStatus,
    Column,
    Dashboard,
    Distribution,
    InsightsFeed,
    Percentiles,
    Query,
    SingleValue,
    Table,
    Threshold,
    TimeSeries,
)

PER_CLUSTER = {"Cluster": "*"}
PER_PORT = {"Cluster": "*", "StreamId": "*"}
LLM_CALLS = Query(name="LlmCalls", namespace="Vigila/{environment}", statistic="Sum",
                  label="LLM calls")

DASHBOARD = Dashboard(
    title="InfiniBand fabric",
    namespace="Fabric/{environment}",
    description="Port utilization, latency and errors per cluster; the intervals that "
                "triggered analysis, and what the analysis found.",
    widgets=[
        SingleValue(id="peak-utilization", title="Peak port utilization", width=2,
                    query=Query(name="Utilization", statistic="Maximum",
                                dimensions=PER_CLUSTER),
                    reduce="max", unit="%",
                    thresholds=[Threshold(at=80, level="warn"),
                                Threshold(at=95, level="critical")]),
        SingleValue(id="peak-error-rate", title="Peak error rate", width=2,
                    query=Query(name="ErrorRate", statistic="Maximum", dimensions=PER_CLUSTER),
                    reduce="max",
                    thresholds=[Threshold(at=0.01, level="warn"),
                                Threshold(at=0.05, level="critical")]),
        SingleValue(id="triggered", title="Intervals analysed", width=2,
                    query=Query(name="AnalysisTriggered", statistic="Sum"), reduce="sum",
                    help="Port intervals that met a trigger in the range."),
        SingleValue(id="insights-count", title="Insights", width=2,
                    query=Query(name="Insights", statistic="Sum"), reduce="sum"),
        SingleValue(id="llm-calls", title="LLM calls", width=2, query=LLM_CALLS, reduce="sum"),
        SingleValue(id="llm-cost", title="LLM cost", width=2,
                    query=Query(name="InsightCostUsd", statistic="Sum"), reduce="sum",
                    unit="USD", thresholds=[Threshold(at=1, level="warn"),
                                            Threshold(at=10, level="critical")]),
        TimeSeries(id="utilization", title="Utilization per cluster", unit="%",
                   queries=[Query(name="Utilization", dimensions=PER_CLUSTER, label="mean"),
                            Query(name="Utilization", statistic="Maximum",
                                  dimensions=PER_CLUSTER, label="max")],
                   help="Mean and busiest port, % of line rate."),
        Percentiles(id="latency", title="Port latency p99: p50 / p95 / p99 across ports",
                    unit="µs", query=Query(name="LatencyP99", dimensions=PER_CLUSTER)),
        TimeSeries(id="error-rate", title="Error rate per cluster",
                   queries=[Query(name="ErrorRate", dimensions=PER_CLUSTER, label="mean"),
                            Query(name="ErrorRate", statistic="Maximum",
                                  dimensions=PER_CLUSTER, label="max")],
                   help="Fraction of packets in error."),
        TimeSeries(id="bandwidth", title="Bandwidth per cluster", unit="Gb/s",
                   queries=[Query(name="BandwidthGbps", dimensions=PER_CLUSTER,
                                  label="mean per port")]),
        TimeSeries(id="triggers", title="Analysis triggers per cluster", stacked=True,
                   queries=[Query(name="AnalysisTriggered", statistic="Sum",
                                  dimensions=PER_CLUSTER, label="triggers")]),
        TimeSeries(id="llm", title="LLM calls and insights", width=6,
                   queries=[LLM_CALLS, Query(name="Insights", statistic="Sum", label="insights")]),
        Table(id="anomalous-ports", title="Most anomalous ports", width=7, by="StreamId",
              columns=[
                  Column(query=Query(name="AnomalyScore", statistic="Maximum",
                                     dimensions={"StreamId": "*"}, label="anomaly score")),
                  Column(query=Query(name="LatencyP99", statistic="Maximum",
                                     dimensions=PER_PORT, label="peak latency"), unit="µs"),
                  Column(query=Query(name="Utilization", dimensions=PER_PORT,
                                     label="mean utilization"), reduce="mean", unit="%"),
                  Column(query=Query(name="QpErrors", statistic="Sum", dimensions=PER_PORT,
                                     label="QP errors"), reduce="sum"),
              ]),
        Distribution(id="insight-types", title="Insights by type", width=5, style="pie",
                     query=Query(name="Insights", statistic="Sum",
                                 dimensions={"PredictionType": "*"})),
        InsightsFeed(id="feed", title="Latest insights, risk 40 and up", width=7, limit=8,
                     min_risk=40),
        Distribution(id="triggers-by-cluster", title="Triggers by cluster", width=5,
                     query=Query(name="AnalysisTriggered", statistic="Sum",
                                 dimensions=PER_CLUSTER)),
        AlarmStatus(id="alarms", title="Alarms", width=12),
    ],
)
