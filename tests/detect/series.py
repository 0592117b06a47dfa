"""Synthetic series with known change points, one point a minute."""

from __future__ import annotations

import random

START = 1_700_000_000.0
STEP = 60.0
CHANGE = 1000
LENGTH = 2000


def times(n: int = LENGTH) -> list[float]:
    return [START + STEP * i for i in range(n)]


def noise(seed: int = 7, n: int = LENGTH, mean: float = 10.0, sd: float = 1.0) -> list[float]:
    rng = random.Random(seed)
    return [rng.gauss(mean, sd) for _ in range(n)]


def level_shift(seed: int = 7) -> list[float]:
    """Mean 10 -> 16 (six standard deviations) at ``CHANGE``."""
    return [x + (6.0 if i >= CHANGE else 0.0) for i, x in enumerate(noise(seed))]


def spike(seed: int = 7) -> list[float]:
    """One point eight standard deviations high at ``CHANGE``."""
    xs = noise(seed)
    xs[CHANGE] += 8.0
    return xs


def variance_change(seed: int = 7) -> list[float]:
    """Standard deviation 1 -> 5 from ``CHANGE`` on."""
    return [x if i < CHANGE else 10.0 + 5.0 * (x - 10.0) for i, x in enumerate(noise(seed))]


def drift(seed: int = 7) -> list[float]:
    """A ramp of 0.05 standard deviations a point from ``CHANGE`` on."""
    return [x + 0.05 * max(0, i - CHANGE) for i, x in enumerate(noise(seed))]


SCENARIOS = {
    "level_shift": level_shift,
    "spike": spike,
    "variance_change": variance_change,
    "drift": drift,
}


def first_alert(scores: list[float], level: float = 0.3, start: int = CHANGE) -> int | None:
    """Points from ``start`` to the first score of at least ``level``; None if none."""
    for i in range(start, len(scores)):
        if scores[i] >= level:
            return i - start
    return None
