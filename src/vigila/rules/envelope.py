"""Whether any rule could match an event, judged from its source and detail type alone.

A branch can match an event whose `source` and `detail-type` are given
strings only if its tests on those two paths (when it has them) accept
them; whatever else the event holds cannot make a failing test pass, since
a top-level string is the only value at its path. A branch that tests
neither can match anything. `Envelope` keeps the distinct pairs of such
tests over all rules, and remembers its answers.

>>> from vigila.rules import Pattern
>>> envelope = Envelope([Pattern({"source": [{"prefix": "vigila."}],
...                              "detail-type": [{"anything-but": "Heartbeat"}]})])
>>> envelope.may_match("vigila.fabric", "Link Down"), envelope.may_match("app", "Link Down")
(True, False)
>>> envelope.may_match("vigila.fabric", "Heartbeat")
False
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable

from vigila.rules.branch import FieldTest
from vigila.rules.pattern import Pattern

SOURCE = "source"
DETAIL_TYPE = "detail-type"

MEMO_SIZE = 4096
"""Most answers remembered; past it the memo starts over, so that a flood of
distinct sources costs time, never memory."""


class Envelope:
    """The conditions some patterns put on `source` and `detail-type`."""

    __slots__ = ("_always", "_memo", "_pairs")

    def __init__(self, patterns: Iterable[Pattern]) -> None:
        pairs: dict[tuple[Hashable, Hashable], tuple[FieldTest | None, FieldTest | None]] = {}
        for pattern in patterns:
            for branch in pattern.branches:
                tests = {t.path: t for t in branch.tests if t.path in (SOURCE, DETAIL_TYPE)}
                source, detail_type = tests.get(SOURCE), tests.get(DETAIL_TYPE)
                key = (source.key if source else None, detail_type.key if detail_type else None)
                pairs.setdefault(key, (source, detail_type))
        self._always = (None, None) in pairs
        self._pairs = tuple(pairs.values())
        self._memo: dict[tuple[str, str], bool] = {}

    def may_match(self, source: str, detail_type: str) -> bool:
        """False only when no pattern can match an event with this source and detail type."""
        if self._always:
            return True
        answer = self._memo.get((source, detail_type))
        if answer is None:
            answer = any(
                (s is None or s.accepts(source)) and (d is None or d.accepts(detail_type))
                for s, d in self._pairs
            )
            if len(self._memo) >= MEMO_SIZE:
                self._memo.clear()
            self._memo[(source, detail_type)] = answer
        return answer
