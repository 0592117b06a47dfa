"""Compact binary states: fixed struct layouts, children joined with length prefixes."""

from __future__ import annotations

import struct

_LEN = struct.Struct("<H")


class StateError(ValueError):
    """A saved state does not fit the detector it is restored into."""


def unpack(owner: object, layout: struct.Struct, state: bytes) -> tuple:
    """Unpack ``state`` with ``layout``, or say which detector expected what."""
    if len(state) != layout.size:
        raise StateError(
            f"{type(owner).__name__}: state is {len(state)} bytes, expected {layout.size}; "
            "restore into a detector built with the same parameters"
        )
    return layout.unpack(state)


def join(*parts: bytes) -> bytes:
    """Concatenate states, each prefixed with its length."""
    return b"".join(_LEN.pack(len(p)) + p for p in parts)


def split(owner: object, state: bytes, count: int) -> list[bytes]:
    """Inverse of ``join``: exactly ``count`` parts, or a ``StateError``."""
    parts, pos = [], 0
    for _ in range(count):
        if pos + _LEN.size > len(state):
            break
        (n,) = _LEN.unpack_from(state, pos)
        pos += _LEN.size + n
        parts.append(state[pos - n : pos])
    if len(parts) != count or pos != len(state):
        raise StateError(f"{type(owner).__name__}: state does not hold {count} parts")
    return parts
