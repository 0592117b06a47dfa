"""Per-event structural limits checked before decoding: nesting depth and integer range.

Both checks start with a cheap byte-level bound and do the exact work only when
that bound is crossed, so ordinary events pay a few hundred nanoseconds.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

_DEPTH_STEP = bytes.maketrans(b"[{]}", b"\x01\x01\xff\xff")
_NOT_BRACKETS = bytes(set(range(256)) - set(b"[]{}"))
_STRINGS = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_DIGITS_TO_NINES = bytes.maketrans(b"0123456789", b"9999999999")
_NINETEEN_DIGITS = b"9" * 19
INT64_MIN, INT64_MAX = -(2**63), 2**64 - 1


def nesting_depth_exceeds(raw: bytes, limit: int) -> int | None:
    """The nesting depth of the JSON in `raw` when it is above `limit`, else None."""
    if raw.count(b"{") + raw.count(b"[") <= limit:
        return None
    brackets = _STRINGS.sub(b"", raw).translate(_DEPTH_STEP, _NOT_BRACKETS)
    if not brackets:
        return None
    depth = int(np.cumsum(np.frombuffer(brackets, dtype=np.int8), dtype=np.int64).max())
    return depth if depth > limit else None


def may_hold_big_int(raw: bytes) -> bool:
    """True when `raw` has a run of 19+ digits, the only way to spell an int beyond 64 bits."""
    return _NINETEEN_DIGITS in raw.translate(_DIGITS_TO_NINES)


def find_big_int(value: Any, path: str = "$") -> str | None:
    """The JSON path of the first integer outside [-2**63, 2**64 - 1], if any."""
    if isinstance(value, int) and not isinstance(value, bool):
        return None if INT64_MIN <= value <= INT64_MAX else path
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list):
        items = ((f"[{i}]", v) for i, v in enumerate(value))
    elif hasattr(value, "__struct_fields__"):
        items = ((f, getattr(value, f)) for f in value.__struct_fields__)
    else:
        return None
    for key, child in items:
        child_path = f"{path}{key}" if key.startswith("[") else f"{path}.{key}"
        found = find_big_int(child, child_path)
        if found:
            return found
    return None
