"""Batching: requests of one tier that arrive together share one prompt.

>>> batches([("short", 1), ("full", 2), ("short", 3), ("short", 4)], max_batch=2)
[('short', [1, 3]), ('short', [4]), ('full', [2])]
"""

from __future__ import annotations

from typing import TypeVar

T = TypeVar("T")


def batches(items: list[tuple[str, T]], max_batch: int) -> list[tuple[str, list[T]]]:
    """Items grouped by tier, in arrival order, cut into batches of at most `max_batch`."""
    by_tier: dict[str, list[T]] = {}
    for tier, item in items:
        by_tier.setdefault(tier, []).append(item)
    return [(tier, group[start:start + max_batch])
            for tier, group in by_tier.items()
            for start in range(0, len(group), max_batch)]
