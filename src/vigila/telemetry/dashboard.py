"""vigila's own health as a dashboard, over the self-monitoring metrics in `Vigila/{environment}`.

The web UI's system page shows it beside the per-partition lag of `/v1/log/partitions`.
"""

from vigila.packs.widgets import AlarmStatus, Dashboard, Query, SingleValue, Threshold, TimeSeries

SYSTEM_DASHBOARD = Dashboard(
    title="System health",
    namespace="Vigila/{environment}",
    description="Ingest rate and rejects, how far the pipeline is behind, dead letters "
                "and failed notifications.",
    widgets=[
        SingleValue(id="ingest-rate", title="Events accepted in range", width=2,
                    query=Query(name="IngestAccepted", statistic="Sum"), reduce="sum"),
        SingleValue(id="rejected", title="Rejected in range", width=2,
                    query=Query(name="IngestRejected", statistic="Sum"), reduce="sum",
                    thresholds=[Threshold(at=1, level="warn")]),
        SingleValue(id="lag", title="Consumer lag", width=2, unit="records",
                    query=Query(name="ConsumerLagRecords", statistic="Maximum"),
                    thresholds=[Threshold(at=1000, level="warn"),
                                Threshold(at=10_000, level="critical")]),
        SingleValue(id="iterator-age", title="Iterator age", width=2, unit="s",
                    query=Query(name="IteratorAgeSeconds", statistic="Maximum"),
                    thresholds=[Threshold(at=30, level="warn"),
                                Threshold(at=300, level="critical")]),
        SingleValue(id="dead-letters", title="New dead letters", width=2,
                    query=Query(name="DeadLetters", statistic="Sum"), reduce="sum",
                    thresholds=[Threshold(at=1, level="warn")]),
        SingleValue(id="notification-failures", title="Failed notifications", width=2,
                    query=Query(name="NotificationFailures", statistic="Sum"), reduce="sum",
                    thresholds=[Threshold(at=1, level="critical")]),
        TimeSeries(id="ingest", title="Ingest rate", unit="events/s",
                   queries=[Query(name="IngestAccepted", statistic="Sum", per_second=True,
                                  label="accepted"),
                            Query(name="IngestRejected", statistic="Sum", per_second=True,
                                  label="rejected")]),
        TimeSeries(id="behind", title="Pipeline lag",
                   queries=[Query(name="ConsumerLagRecords", statistic="Maximum",
                                  label="records behind"),
                            Query(name="IteratorAgeSeconds", statistic="Maximum",
                                  label="iterator age (s)")]),
        TimeSeries(id="failures", title="Dead letters and failed notifications",
                   queries=[Query(name="DeadLetters", statistic="Sum",
                                  label="dead letters"),
                            Query(name="NotificationFailures", statistic="Sum",
                                  label="failed notifications")]),
        AlarmStatus(id="alarms", title="Self-monitoring alarms", prefix="vigila-{environment}-"),
    ],
)
