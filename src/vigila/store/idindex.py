"""How a span's event ids are indexed: runs of minted ids as ranges, other ids by hash.

Ids vigila mints (`EventIdSource`) share their first `ID_PREFIX` characters within a
run and differ in a counter after them, so a span's minted ids fold into one range
`(low, high)` per run, and the ranges that may hold an id are those with
`id_key(id) <= low <= id <= high`. Any other id (a client's, a derived UUIDv5, a
run's only id in the span) is indexed by a 63-bit hash (`id_hashes`).

>>> split_ids(["0190a1b2-c3d4-7abc-8def-000000000002", "x",
...            "0190a1b2-c3d4-7abc-8def-000000000001"])
([('0190a1b2-c3d4-7abc-8def-000000000001', '0190a1b2-c3d4-7abc-8def-000000000002')], ['x'])
"""

from __future__ import annotations

import zlib
from operator import itemgetter

import numpy as np

ID_PREFIX = 24
"""Characters a run of minted ids shares: time, version, random bits and variant."""
id_key = itemgetter(slice(None, ID_PREFIX))
"""The characters ranges are keyed by: the run's prefix, or the whole id if shorter."""


def split_ids(ids: list[str]) -> tuple[list[tuple[str, str]], list[str]]:
    """The ranges of the runs among `ids` (two ids or more of one key), and the others."""
    ordered = sorted(ids)
    if not ordered:
        return [], []
    if ordered[0] != ordered[-1] and id_key(ordered[0]) == id_key(ordered[-1]):
        return [(ordered[0], ordered[-1])], []  # one run (ids between share the key)
    # One pass in numpy: where the key changes, between neighbours once sorted.
    keys = np.array(list(map(id_key, ordered)), dtype=object)
    starts = np.flatnonzero(np.concatenate(([True], keys[1:] != keys[:-1])))
    values = np.array(ordered, dtype=object)
    lows, highs = values[starts], values[np.append(starts[1:], len(ordered)) - 1]
    alone = lows == highs
    return (list(zip(lows[~alone].tolist(), highs[~alone].tolist(), strict=True)),
            lows[alone].tolist())


def id_hashes(ids: list[str]) -> list[int]:
    """A 63-bit hash of each id, the same in every process: CRC-32 and Adler-32 of its
    UTF-8 bytes (two checksums zlib computes fast, far apart in how they mix)."""
    encoded = list(map(str.encode, ids))  # JSON ids: msgspec refuses lone surrogates
    crc = np.fromiter(map(zlib.crc32, encoded), np.int64, len(encoded))
    adler = np.fromiter(map(zlib.adler32, encoded), np.int64, len(encoded))
    return ((crc << 31) ^ adler).tolist()
