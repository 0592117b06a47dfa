"""Array state against the scalar detectors, on one batch of many entities. Prints one JSON line.

    .venv/bin/python bench/detect_arrays.py [--entities 10000] [--history 200] [--runs 5]

One point is one value of one entity's metric, taken through what a pack does with
it: the window's ``stats`` (count, mean, standard deviation, p99), the default
detector's ``update``, then the window's ``learn``. ``scalar_points_per_s`` runs the scalar
``default_detector()`` and ``WindowBaseline`` of each entity point by point;
``arrays_points_per_s`` runs the same batch through ``default_detector_arrays()`` and
``WindowArrays`` at once. Both start from the same state (the scalar objects are
built from the arrays after ``--history`` one-minute points per entity), their
results are compared bit for bit (``identical``), and figures are the best of
``--runs`` batches. ``repeats`` is a batch of the same size over a quarter of the
entities, each four times, applied in ``rounds``.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

from vigila.detect import Detector, WindowBaseline
from vigila.detect.arrays import EnsembleArrays, WindowArrays, default_detector_arrays, rounds

START = 1_700_000_000.0
STEP = 60.0


def values(rng: np.random.Generator, levels: np.ndarray, t: float) -> np.ndarray:
    """One point per entity: its level on a daily cycle, noise, and a rare spike."""
    cycle = 1.0 + 0.3 * np.sin(2 * np.pi * t / 86_400.0)
    spikes = np.where(rng.random(len(levels)) < 0.001, 5.0, 1.0)
    return levels * cycle * spikes + rng.normal(0.0, 0.05 * levels)


def arrays_step(
    det: EnsembleArrays, window: WindowArrays, slots: np.ndarray, x: np.ndarray, t: np.ndarray
) -> np.ndarray:
    """A pack's work on a batch, round by round: baselines, scores, learning."""
    out = np.empty((len(slots), 5))
    for rows in rounds(slots):
        s, v, at = slots[rows], x[rows], t[rows]
        count, mean, std, p99 = window.stats(s, at)
        score = det.update(s, v, at)
        window.learn(s, v, at)
        out[rows] = np.column_stack([count, mean, std, p99, score])
    return out


def scalar_step(
    dets: list[Detector], windows: list[WindowBaseline], slots: list[int], x: list, t: list
) -> np.ndarray:
    """The same work, point by point with the scalar objects."""
    out = []
    for slot, v, at in zip(slots, x, t, strict=True):
        window = windows[slot]
        stats = window.stats(at)
        score = dets[slot].update(v, at)
        window.learn_one(v, at)
        out.append((*stats, score))
    return np.array(out, dtype=np.float64)


def compare(
    dets: list[Detector], windows: list[WindowBaseline], det: EnsembleArrays,
    window: WindowArrays, batches: list[tuple[np.ndarray, np.ndarray, np.ndarray]],
) -> dict[str, object]:
    """Best points/s of both over the batches, and whether their results were the same bits."""
    best, identical = [0.0, 0.0], True
    for slots, x, t in batches:
        start = time.perf_counter()
        got = arrays_step(det, window, slots, x, t)
        arrays = time.perf_counter() - start
        lists = slots.tolist(), x.tolist(), t.tolist()
        start = time.perf_counter()
        want = scalar_step(dets, windows, *lists)
        scalar = time.perf_counter() - start
        best = [max(best[0], len(slots) / scalar), max(best[1], len(slots) / arrays)]
        identical = identical and got.tobytes() == want.tobytes()
    return {"scalar_points_per_s": round(best[0]), "arrays_points_per_s": round(best[1]),
            "ratio": round(best[1] / best[0], 1), "identical": identical}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--entities", type=int, default=10_000)
    ap.add_argument("--history", type=int, default=200, help="points per entity before timing")
    ap.add_argument("--runs", type=int, default=5)
    args = ap.parse_args()
    n, rng = args.entities, np.random.default_rng(7)
    levels = 10.0 ** rng.uniform(0.0, 4.0, n)
    slots = np.arange(n)

    det, window = default_detector_arrays(), WindowArrays()
    det.ensure(n)
    window.ensure(n)
    for i in range(args.history):
        t = START + STEP * i
        arrays_step(det, window, slots, values(rng, levels, t), np.full(n, t))
    dets = [det.scalar(s) for s in range(n)]
    windows = [window.scalar(s) for s in range(n)]

    t0 = START + STEP * args.history
    once = [(slots, values(rng, levels, t0 + STEP * i), np.full(n, t0 + STEP * i))
            for i in range(args.runs)]
    # A quarter of the entities, four points each, interleaved: four rounds of n / 4.
    quarter, steps = np.tile(np.arange(n // 4), 4), np.repeat(np.arange(4), n // 4)
    t0 += STEP * args.runs
    repeats = [(quarter, values(rng, np.tile(levels[: n // 4], 4), t0 + STEP * 4 * i),
                t0 + STEP * (4 * i + steps)) for i in range(args.runs)]
    line = {"bench": "detect_arrays", "entities": n, "history": args.history,
            **compare(dets, windows, det, window, once),
            "repeats": {"entities": n // 4, "per_entity": 4,
                        **compare(dets, windows, det, window, repeats)}}
    print(json.dumps(line))


if __name__ == "__main__":
    main()
