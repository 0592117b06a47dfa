"""`Pattern`: one EventBridge event pattern, validated, matched against events.

>>> p = Pattern({"source": ["vigila.payments"], "detail": {"amount": [{"numeric": [">", 100]}]}})
>>> p.matches({"source": "vigila.payments", "detail": {"amount": 250}})
True
>>> p.explain({"source": "vigila.payments", "detail": {"amount": 20}})
'detail.amount: value 20 does not match [{"numeric": [">", 100]}]'
"""

from __future__ import annotations

import json
from typing import Any

from vigila.rules.branch import CompiledBranch, compile_branches
from vigila.rules.flatten import Flat, PathSet, flatten


class Pattern:
    """An event pattern; invalid patterns raise `PatternError` where EventBridge refuses them."""

    __slots__ = ("_paths", "branches", "source")

    def __init__(self, pattern: dict[str, Any] | str) -> None:
        self.source = pattern
        self.branches: tuple[CompiledBranch, ...] = tuple(compile_branches(pattern))
        self._paths: PathSet | None = None

    @property
    def paths(self) -> PathSet:
        """The field paths the pattern names."""
        if self._paths is None:
            self._paths = PathSet(path for branch in self.branches for path in branch.paths)
        return self._paths

    def flatten(self, event: dict[str, Any]) -> Flat:
        """The event's leaves at this pattern's paths."""
        return flatten(event, self.paths)

    def matches(self, event: dict[str, Any]) -> bool:
        """True when the event matches the pattern."""
        return self.matches_flat(self.flatten(event))

    def matches_flat(self, flat: Flat) -> bool:
        """`matches` for an event already flattened at (at least) this pattern's paths."""
        return any(branch.matches(flat) for branch in self.branches)

    def explain(self, event: dict[str, Any]) -> str | None:
        """None when the event matches; otherwise the first field that failed and why."""
        flat = self.flatten(event)
        reasons = [branch.failure(flat) for branch in self.branches]
        if any(reason is None for reason in reasons):
            return None
        if len(reasons) == 1:
            return reasons[0]
        listed = "; ".join(f"({i}) {reason}" for i, reason in enumerate(reasons, 1))
        return f"no $or alternative matches: {listed}"

    def __repr__(self) -> str:
        source = (
            self.source if isinstance(self.source, str) else json.dumps(self.source, default=str)
        )
        return f"Pattern({source})"
