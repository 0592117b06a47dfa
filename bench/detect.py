"""Streaming detectors: throughput, state per series, and NAB scores. Prints one JSON line.

    .venv/bin/python bench/detect.py [--nab ../shared/data/nab]
                                     [--scorer ../shared/tools/nabscore.py] [--points 100000]

Throughput is measured single-threaded on a synthetic daily-seasonal series with
noise and spikes (best of three runs); ``nab.points_per_s`` is the whole
``vigila detect`` path over the corpus (read gzip CSV, score, write gzip CSV).
Relative paths are resolved from the repository root.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from vigila.detect import DETECTORS, make_detector
from vigila.detect.csvio import detect_files

REPO = Path(__file__).resolve().parents[1]


def synthetic(n: int, seed: int = 11) -> tuple[list[float], list[float]]:
    """Five-minute points: a daily cycle, Gaussian noise and a spike every ~2000 points."""
    rng = random.Random(seed)
    times = [1_600_000_000.0 + 300.0 * i for i in range(n)]
    values = [
        100.0
        + 30.0 * math.sin(2 * math.pi * i / 288)
        + rng.gauss(0.0, 5.0)
        + (60.0 if rng.random() < 0.0005 else 0.0)
        for i in range(n)
    ]
    return values, times


def throughput(name: str, values: list[float], times: list[float]) -> tuple[float, int]:
    """Best points/s of three runs, and the state size after one."""
    best = 0.0
    for _ in range(3):
        det = make_detector(name)
        start = time.perf_counter()
        det.score_series(values, times)
        best = max(best, len(values) / (time.perf_counter() - start))
    return best, len(det.to_state())


def nab(corpus: Path, scorer: Path) -> dict[str, object] | None:
    """Score the NAB corpus with the default detector and run the scorer over the results."""
    if not (corpus / "labels").is_dir() or not scorer.is_file():
        return None
    inputs = sorted((corpus / "data").glob("*/*.csv*"))
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        results = detect_files(inputs, Path(out), root=corpus / "data")
        elapsed = time.perf_counter() - start
        run = subprocess.run(
            [sys.executable, str(scorer), "--nab", str(corpus), "--results", out, "--quiet"],
            capture_output=True,
            text=True,
            check=True,
        )
    scores = json.loads(run.stdout)
    points = sum(r.points for r in results)
    return {
        "files": len(results),
        "points": points,
        "points_per_s": round(points / elapsed),
        **{
            p: round(scores[p], 2) for p in ("standard", "reward_low_FP_rate", "reward_low_FN_rate")
        },
        "thresholds": {p: round(t, 4) for p, t in scores["thresholds"].items()},
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--nab", default="../shared/data/nab", help="NAB corpus (data/, labels/)")
    ap.add_argument("--scorer", default="../shared/tools/nabscore.py", help="NAB scorer script")
    ap.add_argument("--points", type=int, default=100_000, help="synthetic series length")
    args = ap.parse_args()

    values, times = synthetic(args.points)
    rates, sizes = {}, {}
    for name in DETECTORS:
        rate, size = throughput(name, values, times)
        rates[name], sizes[name] = round(rate), size
    line = {
        "bench": "detect",
        "points": args.points,
        "points_per_s": rates,
        "state_bytes": sizes,
        "nab": nab(REPO / args.nab, REPO / args.scorer),
    }
    print(json.dumps(line))


if __name__ == "__main__":
    main()
