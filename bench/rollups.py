"""Benchmark of metric rollups: bulk against per-point ingest, and memory; prints one JSON line.

    python bench/rollups.py [--series 100000] [--minutes 60] [--compare-series 2000]

* throughput: the same datapoints (`--compare-series` series, one point per
  series per 10 s for `--compare-minutes`) fed once through `add` a point at a
  time and once through `add_many` a 10-second batch at a time, ticking after
  each batch as a runtime does; adds and ticks are timed (`add` buffers its
  points, and a tick folds them);
* memory: in a fresh process, `--series` series fed for `--minutes` minutes of
  event time at one point per series per 10 s (through `add_many`), ticking
  every 10 s of a manual clock; the resident set's growth over the run;
* accuracy: p99 of each minute and of the whole run, for a sample of the
  series, against numpy's exact quantile (the sample at rank q*(n-1)).

Values are gauge readings: a level per series (log-normal across series) with
20% log-normal noise, full doubles. `--memory --feed add` runs the memory part
alone through `add`, which works on releases without `add_many`.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import subprocess
import sys
import time

import numpy as np

from vigila.clock import ManualClock
from vigila.metrics import Datapoint, RollupAggregator, RollupConfig

T0 = 1_790_002_800  # an hour boundary
NS, NAME = "Vigila/bench", "Latency"
STEP = 10


class Workload:
    """One point per series per 10 s: a level per series with log-normal noise."""

    def __init__(self, series: int, seed: int = 7) -> None:
        self.rng = np.random.default_rng(seed)
        self.levels = self.rng.lognormal(3.0, 1.0, series)
        self.dims = [{"host": f"h{i:06d}"} for i in range(series)]
        self.keys = [(NS, NAME, (("host", d["host"]),)) for d in self.dims]
        self.index = np.arange(series)

    def step(self, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Timestamps and values of the 10-second window `k`."""
        n = len(self.levels)
        times = T0 + k * STEP + self.rng.uniform(0, STEP, n)
        values = self.levels * self.rng.lognormal(0.0, 0.2, n)
        return times, values


def aggregator(clock: ManualClock, series: int) -> RollupAggregator:
    return RollupAggregator(clock, RollupConfig(max_series=series, max_series_per_metric=series))


def feed(work: Workload, rollups: RollupAggregator, clock: ManualClock, steps: int, how: str,
         keep: np.ndarray | None = None) -> tuple[float, list[np.ndarray]]:
    """Feed `steps` windows, ticking after each; returns the seconds spent in the rollups
    (adds and ticks) and, for the series in `keep`, the values fed (one array per window)."""
    spent, kept = 0.0, []
    for k in range(steps + 1):
        clock.set(float(T0 + k * STEP))
        began = time.perf_counter()
        rollups.tick()
        spent += time.perf_counter() - began
        rollups.take_changed()  # as the alarm evaluator does each tick
        if k == steps:
            break
        times, values = work.step(k)
        if keep is not None:
            kept.append(values[keep])
        if how == "add":
            points = [Datapoint(NS, NAME, d, t, v)
                      for d, t, v in zip(work.dims, times.tolist(), values.tolist(), strict=True)]
            began = time.perf_counter()
            for point in points:
                rollups.add(point)
        else:
            began = time.perf_counter()
            rollups.add_many(work.keys, work.index, times, values)
        spent += time.perf_counter() - began
    return spent, kept


def rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def relative_errors(rollups: RollupAggregator, work: Workload, keep: np.ndarray,
                    kept: list[np.ndarray], minutes: int) -> np.ndarray:
    """|sketch p99 - exact p99| / exact p99 for every minute and for the whole run."""
    per_step = np.stack(kept, axis=1)  # series x windows
    errors = []
    for row, i in enumerate(keep.tolist()):
        dims = work.dims[i]
        for period, size in ((60, 6), (minutes * 60, minutes * 6)):
            got = rollups.query(NS, NAME, dims, T0, T0 + minutes * 60, period, "p99")
            for j, (_, value) in enumerate(got):
                exact = np.quantile(per_step[row, j * size:(j + 1) * size], 0.99, method="lower")
                errors.append(abs(value - exact) / exact)
    return np.array(errors)


def memory_run(series: int, minutes: int, how: str, sample: int) -> dict:
    gc.collect()
    before = rss()
    clock = ManualClock(float(T0))
    work = Workload(series)
    rollups = aggregator(clock, series)
    keep = np.linspace(0, series - 1, min(sample, series)).astype(int)
    began = time.perf_counter()
    spent, kept = feed(work, rollups, clock, minutes * 60 // STEP, how, keep)
    wall = time.perf_counter() - began
    gc.collect()
    grown = rss() - before
    errors = relative_errors(rollups, work, keep, kept, minutes)
    stats = rollups.stats()
    assert stats.accepted == series * minutes * 6 and stats.series == series, stats
    return {
        "feed": how,
        "series": series,
        "minutes": minutes,
        "points": stats.accepted,
        "rss_growth_mb": round(grown / 2**20, 1),
        "bytes_per_series": round(grown / series),
        "feed_points_per_s": round(stats.accepted / spent),
        "run_s": round(wall, 1),
        "p99_relative_error_max": round(float(errors.max()), 5),
        "p99_relative_error_mean": round(float(errors.mean()), 5),
    }


def throughput(series: int, minutes: int) -> dict:
    rates = {}
    for how in ("add", "add_many"):
        clock = ManualClock(float(T0))
        rollups = aggregator(clock, series)
        spent, _ = feed(Workload(series), rollups, clock, minutes * 60 // STEP, how)
        rates[how] = rollups.stats().accepted / spent
    return {
        "compare_series": series,
        "compare_points": series * minutes * 6,
        "add_points_per_s": round(rates["add"]),
        "add_many_points_per_s": round(rates["add_many"]),
        "add_many_speedup": round(rates["add_many"] / rates["add"], 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=100_000)
    parser.add_argument("--minutes", type=int, default=60)
    parser.add_argument("--compare-series", type=int, default=2_000)
    parser.add_argument("--compare-minutes", type=int, default=10)
    parser.add_argument("--sample", type=int, default=200, help="series checked for accuracy")
    parser.add_argument("--memory", action="store_true", help="only the memory part, here")
    parser.add_argument("--feed", choices=("add", "add_many"), default="add_many")
    args = parser.parse_args()
    if args.memory:
        print(json.dumps(memory_run(args.series, args.minutes, args.feed, args.sample)))
        return
    result = {"benchmark": "rollups", **throughput(args.compare_series, args.compare_minutes)}
    child = subprocess.run(
        [sys.executable, __file__, "--memory", "--series", str(args.series),
         "--minutes", str(args.minutes), "--sample", str(args.sample)],
        check=True, capture_output=True, text=True)
    result.update(json.loads(child.stdout))
    result["python"] = platform.python_version()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
