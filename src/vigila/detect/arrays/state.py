"""States of many slots at once, in the scalar detectors' bytes.

The twin of ``vigila.detect.state``: ``fixed`` packs a ``struct`` layout for a
whole batch, ``join`` prefixes parts with their lengths, and ``rows`` cuts the
result into one ``bytes`` per slot, each what the scalar ``to_state()`` writes:

>>> import struct
>>> import numpy as np
>>> layout = struct.Struct("<dQ")
>>> packed = fixed(layout, np.array([0.5, 2.0]), np.array([3, 4]))
>>> rows(join(packed))[1] == struct.pack("<H", 16) + layout.pack(2.0, 4)
True
"""

from __future__ import annotations

import re
import struct
from typing import NamedTuple

import numpy as np

_LEN = np.dtype("<u2")
_CODES = {"d": "<f8", "q": "<i8", "Q": "<u8", "I": "<u4", "h": "<i2", "H": "<u2", "B": "u1"}


class Packed(NamedTuple):
    """States of ``n`` slots: ``data[i]`` holds slot ``i``'s bytes where ``keep[i]`` is
    set (``keep`` None: every byte), so parts of varying length need no shifting
    until ``rows`` cuts them out."""

    data: np.ndarray
    keep: np.ndarray | None = None

    def lengths(self) -> np.ndarray:
        """The length of each slot's state."""
        n, width = self.data.shape
        return np.full(n, width) if self.keep is None else self.keep.sum(axis=1)


def fixed(layout: struct.Struct, *columns: np.ndarray) -> Packed:
    """``layout.pack`` of every slot: one column per format item, an item with a repeat
    count taking a ``(count, n)`` array (slots last, as the fields are)."""
    items = re.findall(r"(\d*)([a-zA-Z])", layout.format.lstrip("<"))
    dtype = np.dtype([(f"f{i}", _CODES[c], (int(k),) if k else ()) for i, (k, c) in
                      enumerate(items)])
    n = len(columns[0]) if columns[0].ndim == 1 else columns[0].shape[-1]
    record = np.empty(n, dtype)
    for i, column in enumerate(columns):
        record[f"f{i}"] = column.T
    return Packed(record.view(np.uint8).reshape(n, dtype.itemsize))


def concat(*parts: Packed) -> Packed:
    """Each slot's parts one after the other."""
    data = np.hstack([p.data for p in parts])
    if all(p.keep is None for p in parts):
        return Packed(data)
    keep = [np.ones(p.data.shape, bool) if p.keep is None else p.keep for p in parts]
    return Packed(data, np.hstack(keep))


def join(*parts: Packed) -> Packed:
    """Each slot's parts concatenated, each prefixed with its length (``state.join``)."""
    return concat(*(q for p in parts for q in (_length(p), p)))


def _length(part: Packed) -> Packed:
    return Packed(part.lengths().astype(_LEN).view(np.uint8).reshape(-1, _LEN.itemsize))


def rows(packed: Packed) -> list[bytes]:
    """One ``bytes`` per slot."""
    data = packed.data if packed.keep is None else packed.data[packed.keep]
    ends = np.cumsum(packed.lengths()).tolist()
    buffer = data.tobytes()
    return [buffer[a:b] for a, b in zip([0, *ends], ends, strict=False)]
