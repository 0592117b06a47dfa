"""Arrays indexed by entity slot, the verbs over a batch, and the rounds of a batch.

A batch holds rows ``(slot, x, t)``. Within one call to ``score``, ``learn`` or
``update`` every slot must be unique, so that each entity's state is read and
written once; ``rounds`` splits a batch in which entities repeat into calls
that, applied in order, equal the points applied one by one:

>>> slots = np.array([7, 3, 7, 7, 1])
>>> [r.tolist() for r in rounds(slots)]
[[0, 1, 4], [2], [3]]
"""

from __future__ import annotations

from typing import Generic, TypeVar

import numpy as np

from vigila.detect.arrays.state import Packed, rows
from vigila.detect.base import DECADES, Baseline, Detector, normal_tail, surprise

D = TypeVar("D", bound=Detector)
B = TypeVar("B", bound=Baseline)


def rounds(slots: np.ndarray) -> list[np.ndarray]:
    """Row indices of ``slots`` by round: round ``k`` holds the ``k``-th occurrence of
    each slot, rows in event order, so no round holds a slot twice."""
    n = len(slots)
    if n == 0:
        return []
    if np.bincount(slots).max() == 1:  # no repeats: the common case, one round
        return [np.arange(n)]
    order = _stable_order(slots)
    ordered = slots[order]
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    occurrence = np.empty(n, np.intp)
    occurrence[order] = np.arange(n) - np.repeat(starts, np.diff(np.r_[starts, n]))
    by_round = _stable_order(occurrence)
    return np.split(by_round, np.cumsum(np.bincount(occurrence))[:-1])


def _stable_order(keys: np.ndarray) -> np.ndarray:
    """``argsort(keys, kind="stable")`` of non-negative keys below 2**32, as two passes
    of numpy's radix sort on 16 bits: several times faster than sorting 64-bit keys."""
    order = np.argsort((keys & 0xFFFF).astype(np.uint16), kind="stable")
    if keys.max() >> 16:
        order = order[np.argsort((keys[order] >> 16).astype(np.uint16), kind="stable")]
    return order


def floor_div(t: np.ndarray, width: float) -> np.ndarray:
    """``t // width`` of each element as Python computes it, for ``width > 0``.

    That is the exact floor of the quotient, which ``floor(t / width)`` gives wherever
    the rounded quotient is not a whole number (rounding cannot cross one); only the
    whole ones go through numpy's exact but several times slower ``floor_divide``.
    """
    q = t / width
    k = np.floor(q)
    whole = k == q
    if whole.any():
        k[whole] = np.floor_divide(t[whole], width)
    return k


def cells(a: np.ndarray, k: np.ndarray, slots: np.ndarray) -> np.ndarray:
    """Flat positions in ``a`` of the cells ``a[k, slots]``, ``k`` indexing the other
    axes as one: a single index reads and writes them several times faster than two."""
    return k * a.shape[-1] + slots


def flat(a: np.ndarray) -> np.ndarray:
    """A flat view of a field, for reading and writing ``cells``."""
    return a.reshape(-1)


def scaled(d: np.ndarray, var: np.ndarray) -> np.ndarray:
    """``d / sqrt(var)``; off a flat line (``var`` not positive) 0 for no deviation, else inf."""
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = d / np.sqrt(var)
    return np.where(var > 0.0, ratio, np.where(d == 0.0, 0.0, np.inf))


def surprise_log10(log10_p: np.ndarray) -> np.ndarray:
    """``base.surprise_log10`` of each element."""
    s = -log10_p / DECADES
    return np.where(s <= 0.0, 0.0, np.where(s >= 1.0, 1.0, s))


class ArrayState:
    """Named arrays indexed by entity slot on their last axis, grown on demand, plus
    child states.

    Subclasses declare their arrays with ``_field`` and their children in
    ``_children``; growing and resetting then cover the whole tree. The slot is the
    last axis so that one cell of every slot (one slot of the day, one bucket) is a
    contiguous vector: a batch reads it with a plain gather.
    """

    def __init__(self) -> None:
        self.capacity = 0
        self._fields: dict[str, tuple[type, tuple[int, ...], float]] = {}
        self._children: list[ArrayState] = []

    def _field(self, name: str, dtype: type, fill: float, width: tuple[int, ...] = ()) -> None:
        self._fields[name] = (dtype, width, fill)
        setattr(self, name, np.full((*width, 0), fill, dtype))

    def ensure(self, n: int) -> None:
        """Room for slots ``0 .. n-1``; capacity at least doubles, so growing is amortised."""
        if n <= self.capacity:
            return
        capacity = max(n, 2 * self.capacity)
        for name, (dtype, width, fill) in self._fields.items():
            old = getattr(self, name)
            new = np.full((*width, capacity), fill, dtype)
            new[..., : old.shape[-1]] = old
            setattr(self, name, new)
        self.capacity = capacity
        for child in self._children:
            child.ensure(capacity)

    def reset(self, slots: np.ndarray) -> None:
        """Forget what ``slots`` learned: they hold a new entity's fresh state."""
        for name, (_, _, fill) in self._fields.items():
            getattr(self, name)[..., slots] = fill
        for child in self._children:
            child.reset(slots)


class Twin(ArrayState, Generic[D]):
    """Arrays that mirror a scalar detector slot by slot.

    ``packed`` writes the states of many slots in the scalar detector's bytes;
    ``scalar(slot)`` and ``assign(slot, detector)`` convert one slot to and from the
    scalar detector, through which ``load`` reads a state as ``from_state`` does.
    """

    def scalar(self, slot: int) -> D:
        """A scalar detector holding ``slot``'s state."""
        raise NotImplementedError

    def assign(self, slot: int, detector: D) -> None:
        """Set ``slot``'s state to that of a scalar ``detector`` with the same parameters."""
        raise NotImplementedError

    def packed(self, slots: np.ndarray) -> Packed:
        """The states of ``slots``, for ``state.rows`` or for joining into a larger one."""
        raise NotImplementedError

    def states(self, slots: np.ndarray) -> list[bytes]:
        """Per slot, the bytes ``to_state()`` of its scalar detector would write."""
        return rows(self.packed(slots))

    def state_of(self, slot: int) -> bytes:
        """``to_state()`` of the scalar detector of ``slot`` (``states`` of one slot, by
        way of the scalar detector: cheaper for one)."""
        return self.scalar(slot).to_state()

    def load(self, slot: int, state: bytes) -> None:
        """Restore ``slot`` from a ``to_state()`` of the scalar detector; ``StateError``
        on a state that does not fit, as ``from_state`` raises it."""
        detector = self.scalar(slot)
        detector.from_state(state)
        self.assign(slot, detector)


class DetectorArrays(Twin[D]):
    """The detector of many series: ``Detector``'s verbs over a batch of unique slots.

    ``x`` and ``t`` are float arrays aligned with ``slots``.
    """

    def score(self, slots: np.ndarray, x: np.ndarray, t: np.ndarray) -> np.ndarray:
        """Anomaly scores of ``x`` at ``t``, each before learning it; no side effects."""
        raise NotImplementedError

    def learn(self, slots: np.ndarray, x: np.ndarray, t: np.ndarray) -> None:
        """Fold each ``x`` observed at ``t`` into its slot's state."""
        raise NotImplementedError

    def update(self, slots: np.ndarray, x: np.ndarray, t: np.ndarray) -> np.ndarray:
        """Score, then learn: ``Detector.update`` of every row."""
        s = self.score(slots, x, t)
        self.learn(slots, x, t)
        return s


class BaselineArrays(DetectorArrays[B]):
    """Arrays of a ``Baseline``: the score is the Gaussian tail of ``deviation``."""

    def deviation(self, slots: np.ndarray, x: np.ndarray, t: np.ndarray) -> np.ndarray:
        """``Baseline.deviation`` of every row."""
        raise NotImplementedError

    def score(self, slots: np.ndarray, x: np.ndarray, t: np.ndarray) -> np.ndarray:
        # math.erfc and math.log10, element by element: numpy's logarithms may differ
        # by an ulp, and the scores must be the scalar ones bit for bit.
        z = self.deviation(slots, x, t).tolist()
        return np.array([surprise(normal_tail(v)) for v in z], dtype=np.float64)
