"""The alarms vigila keeps on itself, as data: five metric alarms and two composites.

Metrics live in the namespace `Vigila/{environment}`. The metric alarms take no
actions of their own; the composites `processing-health` and `system-capacity`
notify, so one incident pages once.

* ingest-error-rate: IngestRejected Sum per minute, 3 of 5 (missing: notBreaching)
* consumer-lag: ConsumerLagRecords Maximum per minute, 5 of 5
* iterator-age: IteratorAgeSeconds Maximum per minute, 3 of 3
* dead-letter-growth: DeadLetters Sum per 5 minutes > 0, 1 of 1 (notBreaching)
* notification-failures: NotificationFailures Sum per minute, 2 of 3 (notBreaching)

`processing-health` is ALARM when ingest errors, dead letters or notification
failures are; `system-capacity` when consumer lag or iterator age is.
`IngestAccepted` is published beside `IngestRejected` for dashboards.

>>> metric_alarms, composites = self_monitoring_alarms("dev", actions=["oncall"])
>>> [a.name for a in composites]
['vigila-dev-processing-health', 'vigila-dev-system-capacity']
>>> composites[1].rule
'ALARM("vigila-dev-consumer-lag") OR ALARM("vigila-dev-iterator-age")'
>>> metric_alarms[0].namespace, metric_alarms[0].metric_name
('Vigila/dev', 'IngestRejected')
"""

from __future__ import annotations

from collections.abc import Sequence

import msgspec

from vigila.alarms.model import CompositeAlarm, MetricAlarm


class SelfMonitoringThresholds(msgspec.Struct, frozen=True, kw_only=True):
    """The thresholds of the self-monitoring alarms."""

    ingest_errors_per_minute: float = 100.0
    consumer_lag_records: float = 10_000.0
    iterator_age_seconds: float = 300.0
    notification_failures: float = 5.0


def self_monitoring_alarms(
    environment: str,
    actions: Sequence[str] = (),
    thresholds: SelfMonitoringThresholds | None = None,
) -> tuple[list[MetricAlarm], list[CompositeAlarm]]:
    """The metric alarms and the composites over them for one environment.

    `actions` are the targets the composites notify on ALARM and on OK.
    """
    t = thresholds or SelfMonitoringThresholds()
    namespace = f"Vigila/{environment}"

    def alarm(
        suffix: str,
        metric: str,
        statistic: str,
        threshold: float,
        of: tuple[int, int],
        description: str,
        missing: str = "missing",
        operator: str = "GreaterThanOrEqualToThreshold",
        period: int = 60,
    ) -> MetricAlarm:
        return MetricAlarm(
            name=f"vigila-{environment}-{suffix}",
            namespace=namespace,
            metric_name=metric,
            statistic=statistic,
            period=period,
            datapoints_to_alarm=of[0],
            evaluation_periods=of[1],
            comparison_operator=operator,
            threshold=threshold,
            treat_missing_data=missing,
            description=description,
            actions_enabled=False,
        )

    metric_alarms = [
        alarm(
            "ingest-error-rate",
            "IngestRejected",
            "Sum",
            t.ingest_errors_per_minute,
            (3, 5),
            "Ingest rejects events: bad input or a failing decoder.",
            missing="notBreaching",
        ),
        alarm(
            "consumer-lag",
            "ConsumerLagRecords",
            "Maximum",
            t.consumer_lag_records,
            (5, 5),
            "Consumers fall behind the log.",
        ),
        alarm(
            "iterator-age",
            "IteratorAgeSeconds",
            "Maximum",
            t.iterator_age_seconds,
            (3, 3),
            "The oldest unprocessed event is getting old.",
        ),
        alarm(
            "dead-letter-growth",
            "DeadLetters",
            "Sum",
            0.0,
            (1, 1),
            "Events are being dead-lettered.",
            missing="notBreaching",
            operator="GreaterThanThreshold",
            period=300,
        ),
        alarm(
            "notification-failures",
            "NotificationFailures",
            "Sum",
            t.notification_failures,
            (2, 3),
            "Notifications fail to deliver.",
            missing="notBreaching",
        ),
    ]
    names = {a.name.removeprefix(f"vigila-{environment}-"): a.name for a in metric_alarms}

    def composite(suffix: str, members: Sequence[str], description: str) -> CompositeAlarm:
        return CompositeAlarm(
            name=f"vigila-{environment}-{suffix}",
            rule=" OR ".join(f'ALARM("{names[m]}")' for m in members),
            description=description,
            alarm_actions=list(actions),
            ok_actions=list(actions),
        )

    composites = [
        composite(
            "processing-health",
            ("ingest-error-rate", "dead-letter-growth", "notification-failures"),
            "Events or notifications are being lost or rejected.",
        ),
        composite(
            "system-capacity",
            ("consumer-lag", "iterator-age"),
            "Processing does not keep up with the incoming events.",
        ),
    ]
    return metric_alarms, composites
