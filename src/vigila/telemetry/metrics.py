"""Prometheus metrics of the engine, on a registry of their own (one per runtime)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram, disable_created_metrics
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from vigila.log.base import AppendResult

disable_created_metrics()  # the `_created` series double every counter for no use here

BATCH_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
DELIVERY_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0,
                    3600.0)


class LagSnapshot:
    """Per-partition figures computed at scrape time."""

    def __init__(self, partition: int, head: int, position: int, iterator_age: float) -> None:
        self.partition = partition
        self.head = head
        self.position = position
        self.iterator_age = iterator_age


class EngineMetrics:
    """Counters and histograms that the ingest path and the pipeline update."""

    def __init__(self, lag: Callable[[], list[LagSnapshot]], dead_letters: Callable[[], int],
                 group: str) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.ingest_requests = Counter("vigila_ingest_requests", "Ingest requests by status.",
                                       ["status"], registry=r)
        self.ingest_events = Counter("vigila_ingest_events", "Events by ingest outcome.",
                                     ["outcome"], registry=r)
        self.ingest_rejects = Counter("vigila_ingest_rejects",
                                      "Rejected requests and items by reason.", ["reason"],
                                      registry=r)
        self.append_seconds = Histogram("vigila_log_append_seconds",
                                        "Time to decode and durably append one request.",
                                        buckets=BATCH_BUCKETS, registry=r)
        self.process_seconds = Histogram("vigila_pipeline_batch_seconds",
                                         "Time to process and commit one pipeline batch.",
                                         buckets=BATCH_BUCKETS, registry=r)
        self.processed = Counter("vigila_pipeline_records", "Records processed.", ["partition"],
                                 registry=r)
        self.process_dead_letters = Counter("vigila_pipeline_dead_letters",
                                            "Records dead-lettered by the pipeline.",
                                            registry=r)
        self.incoming_records = Counter("vigila_log_incoming_records",
                                        "Records appended, per partition.", ["partition"],
                                        registry=r)
        self.incoming_bytes = Counter("vigila_log_incoming_bytes",
                                      "Bytes appended, per partition.", ["partition"], registry=r)
        self.routed = Counter("vigila_routed", "Outbox entries created by rule matches.",
                              registry=r)
        self.deliveries = Counter(
            "vigila_route_deliveries", "Outbox rows by channel (target name) and outcome: "
            "delivered, failed (to be retried), dead (dead-lettered), grouped.",
            ["target", "outcome"], registry=r)
        self.delivery_seconds = Histogram(
            "vigila_route_delivery_seconds", "From routing (or a group's flush) to delivery.",
            ["target"], buckets=DELIVERY_BUCKETS, registry=r)
        self.insights = Counter("vigila_insights", "Insights written, by writer "
                                "(`analyst` or `llm:<provider>`).", ["source"], registry=r)
        self.llm_calls = Counter("vigila_llm_calls", "Calls made to the LLM provider.",
                                 registry=r)
        self.llm_cost = Counter("vigila_llm_cost_usd", "USD spent on LLM calls.", registry=r)
        r.register(_LagCollector(lag, dead_letters, group))

    def record_delivery(self, target: str, outcome: str, seconds: float) -> None:
        """The outbox dispatcher's `on_result`."""
        self.deliveries.labels(target, outcome).inc()
        if outcome == "delivered":
            self.delivery_seconds.labels(target).observe(seconds)

    def delivery_failures(self) -> float:
        """Failed and dead-lettered deliveries so far, every channel together."""
        return sum(sample.value for metric in self.deliveries.collect()
                   for sample in metric.samples if sample.name.endswith("_total")
                   and sample.labels["outcome"] in ("failed", "dead"))

    def record_appends(self, results: list[AppendResult]) -> None:
        for result in results:
            for part, count in result.records_by_partition.items():
                self.incoming_records.labels(str(part)).inc(count)
            for part, size in result.bytes_by_partition.items():
                self.incoming_bytes.labels(str(part)).inc(size)


class _LagCollector(Collector):
    def __init__(self, lag: Callable[[], list[LagSnapshot]], dead_letters: Callable[[], int],
                 group: str) -> None:
        self._lag = lag
        self._dead_letters = dead_letters
        self._group = group

    def collect(self) -> Iterator[GaugeMetricFamily]:
        lag = GaugeMetricFamily("vigila_consumer_lag_records",
                                "Records appended but not yet processed.",
                                labels=["group", "partition"])
        age = GaugeMetricFamily("vigila_consumer_iterator_age_seconds",
                                "Age of the oldest unprocessed record.",
                                labels=["group", "partition"])
        head = GaugeMetricFamily("vigila_log_head_offset", "Next offset of each partition.",
                                 labels=["partition"])
        for snap in self._lag():
            labels = [self._group, str(snap.partition)]
            lag.add_metric(labels, snap.head - snap.position)
            age.add_metric(labels, snap.iterator_age)
            head.add_metric([str(snap.partition)], snap.head)
        yield lag
        yield age
        yield head
        letters = GaugeMetricFamily("vigila_dead_letters", "Dead letters not yet replayed.")
        letters.add_metric([], self._dead_letters())
        yield letters
