"""Benchmark of metric rollups and alarm evaluation; prints one JSON line.

    python bench/alarms.py [--alarms 10000] [--composites 1000] [--minutes 6]

* ingest: datapoints/s into the rollups (10 per series and minute, with the
  bucket closing that a runtime's ticks do);
* one tick in which all metric alarms (3 of 5, one in ten on p99) and all
  composites (each an OR of ten) change state, and one in which every metric
  alarm's window slides but nothing changes;
* breach to event: wall time from adding a breaching datapoint (to a period
  already ended) to the state-change event out of the next tick, in process.

Time is a manual clock, so the figures measure work, not waiting.
"""

from __future__ import annotations

import argparse
import gc
import json
import platform
import random
import statistics
import time

from vigila.alarms import AlarmEvaluator, CompositeAlarm, MetricAlarm
from vigila.clock import ManualClock
from vigila.metrics import Datapoint, RollupAggregator, RollupConfig

T0 = 1_790_000_040  # a minute boundary
NS = "Vigila/bench"
PROBES = 100


def build(alarms: int, composites: int) -> tuple[ManualClock, RollupAggregator, AlarmEvaluator]:
    clock = ManualClock(T0)
    limits = {"max_series": alarms + PROBES, "max_series_per_metric": alarms}
    rollups = RollupAggregator(clock, RollupConfig(allowed_lateness=60, **limits))
    evaluator = AlarmEvaluator(clock, rollups)
    for i in range(alarms):
        percentile = i % 10 == 0
        evaluator.put_metric_alarm(
            MetricAlarm(
                name=f"a{i}",
                namespace=NS,
                metric_name="Latency",
                dimensions={"service": f"s{i}"},
                statistic="p99" if percentile else "Average",
                period=60,
                evaluation_periods=5,
                datapoints_to_alarm=3,
                comparison_operator="GreaterThanThreshold",
                threshold=500.0 if percentile else 100.0,
                treat_missing_data="notBreaching",
            )
        )
    for j in range(composites):
        members = [f"a{(j * 10 + k) % alarms}" for k in range(10)]
        evaluator.put_composite_alarm(
            CompositeAlarm(name=f"c{j}", rule=" OR ".join(f"ALARM({m})" for m in members))
        )
    for p in range(PROBES):
        evaluator.put_metric_alarm(
            MetricAlarm(
                name=f"probe{p}",
                namespace=NS,
                metric_name="Errors",
                dimensions={"probe": str(p)},
                statistic="Sum",
                period=60,
                evaluation_periods=1,
                comparison_operator="GreaterThanThreshold",
                threshold=0.0,
                treat_missing_data="notBreaching",
            )
        )
    return clock, rollups, evaluator


def ingest(
    clock: ManualClock, rollups: RollupAggregator, alarms: int, minutes: int, level: float
) -> tuple[int, float]:
    """Ten datapoints per series and minute; returns (count, seconds spent in the rollups)."""
    rng = random.Random(7)
    added, spent = 0, 0.0
    start = clock.now()
    for step in range(minutes * 10):
        batch = [
            Datapoint(
                NS,
                "Latency",
                {"service": f"s{i}"},
                start + step * 6 + rng.random() * 6,
                rng.gauss(level, level / 10),
            )
            for i in range(alarms)
        ]
        began = time.perf_counter()
        for dp in batch:
            rollups.add(dp)
        clock.set(start + (step + 1) * 6)
        rollups.tick()
        spent += time.perf_counter() - began
        added += len(batch)
    return added, spent


def timed_tick(evaluator: AlarmEvaluator) -> tuple[float, int]:
    settle()
    began = time.perf_counter()
    events = evaluator.tick()
    return (time.perf_counter() - began) * 1000, len(events)


def settle() -> None:
    """Collect, then freeze the heap, as a long-running runtime does after startup and
    periodically: a full cyclic-GC pass over millions of long-lived rollup objects
    would otherwise land in whichever tick happens to trigger it."""
    gc.collect()
    gc.freeze()


def breach_to_event(
    clock: ManualClock, rollups: RollupAggregator, evaluator: AlarmEvaluator
) -> list[float]:
    """Per probe: a breaching datapoint for the period that just ended, a tick, its event."""
    evaluator.tick()
    settle()
    latencies = []
    for p in range(PROBES):
        clock.advance(0.1)
        began = time.perf_counter()
        rollups.add(Datapoint(NS, "Errors", {"probe": str(p)}, clock.now() - 30, 1.0))
        events = evaluator.tick()
        elapsed = (time.perf_counter() - began) * 1000
        assert [e["detail"]["alarmName"] for e in events] == [f"probe{p}"], events
        latencies.append(elapsed)
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--alarms", type=int, default=10_000)
    parser.add_argument("--composites", type=int, default=1_000)
    parser.add_argument("--minutes", type=int, default=6)
    args = parser.parse_args()

    clock, rollups, evaluator = build(args.alarms, args.composites)
    evaluator.tick()  # creation: everything evaluates to OK (missing data is not breaching)
    settle()
    added, spent = ingest(clock, rollups, args.alarms, args.minutes, level=50.0)
    evaluator.tick()  # the quiet baseline: all OK
    ingest(clock, rollups, args.alarms, 3, level=1000.0)  # three breaching minutes: 3 of 5
    all_changed_ms, all_changed_events = timed_tick(evaluator)
    ingest(clock, rollups, args.alarms, 1, level=1000.0)
    steady_ms, steady_events = timed_tick(evaluator)
    latencies = breach_to_event(clock, rollups, evaluator)
    print(
        json.dumps(
            {
                "benchmark": "alarms",
                "series": args.alarms,
                "datapoints": added,
                "ingest_datapoints_per_s": round(added / spent),
                "metric_alarms": args.alarms + PROBES,
                "composites": args.composites,
                "tick_all_change_ms": round(all_changed_ms, 1),
                "tick_all_change_events": all_changed_events,
                "tick_window_slide_ms": round(steady_ms, 1),
                "tick_window_slide_events": steady_events,
                "breach_to_event_ms_p50": round(statistics.median(latencies), 3),
                "breach_to_event_ms_p99": round(statistics.quantiles(latencies, n=100)[98], 3),
                "breach_to_event_ms_max": round(max(latencies), 3),
                "python": platform.python_version(),
            }
        )
    )


if __name__ == "__main__":
    main()
