"""The error raised for an event pattern that EventBridge would refuse.

>>> from vigila.rules import Pattern
>>> try:
...     Pattern({"detail": {"state": "running"}})
... except PatternError as e:
...     print(e.path)
$.detail.state
"""

from __future__ import annotations


class PatternError(ValueError):
    """An invalid event pattern: `path` is where in the pattern, `reason` the rule broken."""

    def __init__(self, reason: str, path: str = "$") -> None:
        super().__init__(f"{reason} (at {path})")
        self.reason = reason
        self.path = path


def child_path(path: str, key: str | int) -> str:
    """The JSON path of `key` below `path`: `$.detail`, `$["detail-type"]`, `$.x[0]`."""
    if isinstance(key, int):
        return f"{path}[{key}]"
    if key.isidentifier():
        return f"{path}.{key}"
    escaped = key.replace("\\", "\\\\").replace('"', '\\"')
    return f'{path}["{escaped}"]'
