"""A branch of a pattern (an AND over field tests) and how it matches an event.

A field test passes when some value at its path passes one of its matchers,
or, for a test that allows `exists: false`, when the path has no value. When
objects inside arrays hold the values, event-ruler also demands array
consistency: the values that satisfy a branch's tests must not come from
different elements of one array. Tests are taken in event-ruler's order (by
path, in UTF-16 order), and an `exists: false` test looks for values
consistent with the fields taken before it, exactly as event-ruler does.

>>> from vigila.rules.flatten import PathSet, flatten
>>> (b,) = compile_branches({"a": [1], "c": [{"exists": False}]})
>>> b.matches(flatten({"a": 1}, PathSet(b.paths)))
True
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator, Sequence
from typing import Any

from vigila.rules.flatten import Flat, Membership
from vigila.rules.matchers import Matcher
from vigila.rules.parse import ABSENT, Branch, parse


def utf16_order(path: str) -> bytes:
    """The sort key event-ruler's Java strings give a path."""
    return path.encode("utf-16-be", "surrogatepass")


class FieldTest:
    """One field of a branch: its path, its matchers (OR), and whether absence passes."""

    __slots__ = ("absent", "key", "matchers", "path", "raw")

    def __init__(self, path: str, matchers: tuple[Matcher, ...], absent: bool, raw: Any) -> None:
        self.path = sys.intern(path)
        self.matchers = matchers
        self.absent = absent
        self.raw = raw
        """The value list as the pattern wrote it."""
        # Equal keys accept the same values; one matcher (the usual case) needs no set.
        keys = matchers[0].key if len(matchers) == 1 else frozenset(m.key for m in matchers)
        self.key = (path, absent, keys)

    def accepts(self, value: object) -> bool:
        """Some matcher of this test accepts `value`."""
        return any(m.test(value) for m in self.matchers)

    def passes(self, flat: Flat) -> bool:
        """The test passes on its own, ignoring array consistency."""
        values = flat.values.get(self.path)
        if values is None:
            return self.absent
        return any(self.accepts(value) for value in values)

    def describe(self) -> str:
        return json.dumps(self.raw, default=str, ensure_ascii=False)


class CompiledBranch:
    """An AND over field tests, in event-ruler's order."""

    __slots__ = ("paths", "tests")

    def __init__(self, tests: Sequence[FieldTest]) -> None:
        self.tests = tuple(sorted(tests, key=lambda t: utf16_order(t.path)))
        self.paths = tuple(t.path for t in self.tests)

    def matches(self, flat: Flat) -> bool:
        if not flat.linked:
            return all(test.passes(flat) for test in self.tests)
        return _consistent(self.tests, flat)

    def failure(self, flat: Flat) -> str | None:
        """Why the branch does not match, or None when it does."""
        if self.matches(flat):
            return None
        for test in self.tests:
            # With objects inside arrays, absence is judged element by element.
            if not test.passes(flat) and not (flat.linked and test.absent):
                return _why(test, flat)
        fields = ", ".join(t.path for t in self.tests)
        return f"{fields}: no one element of the arrays holding these fields satisfies them all"


def compile_branches(pattern: dict[str, Any] | str) -> list[CompiledBranch]:
    """Parse a pattern into its distinct branches."""
    compiled: dict[frozenset[object], CompiledBranch] = {}
    for branch in parse(pattern):
        candidate = CompiledBranch(_tests(branch))
        compiled.setdefault(frozenset(t.key for t in candidate.tests), candidate)
    return list(compiled.values())


def _tests(branch: Branch) -> list[FieldTest]:
    tests = []
    for path, (values, raw) in branch.items():
        matchers = {m.key: m for m in values if isinstance(m, Matcher)}
        tests.append(FieldTest(path, tuple(matchers.values()), ABSENT in values, raw))
    return tests


def _occurrences(test: FieldTest, flat: Flat) -> Iterator[tuple[object, Membership]]:
    values = flat.values.get(test.path, ())
    members = flat.members.get(test.path, ())
    for index, value in enumerate(values):
        yield value, members[index] if index < len(members) else ()


def _fits(membership: dict[int, int], candidate: Membership) -> bool:
    return all(membership.get(array, index) == index for array, index in candidate)


def _consistent(tests: tuple[FieldTest, ...], flat: Flat) -> bool:
    """A choice of one value per test exists whose array memberships agree."""
    options = [
        [m for v, m in _occurrences(t, flat) if t.accepts(v)] if t.matchers else [] for t in tests
    ]
    present = [[m for _, m in _occurrences(t, flat)] if t.absent else [] for t in tests]
    return _search(tests, options, present, 0, {})


def _search(
    tests: tuple[FieldTest, ...],
    options: list[list[Membership]],
    present: list[list[Membership]],
    index: int,
    membership: dict[int, int],
) -> bool:
    if index == len(tests):
        return True
    absent = tests[index].absent and not any(_fits(membership, m) for m in present[index])
    if absent and _search(tests, options, present, index + 1, membership):
        return True
    seen: set[Membership] = set()
    for candidate in options[index]:
        if candidate in seen or not _fits(membership, candidate):
            continue
        seen.add(candidate)
        merged = {**membership, **dict(candidate)} if candidate else membership
        if _search(tests, options, present, index + 1, merged):
            return True
    return False


def _shown(values: list[Any]) -> str:
    shown = ", ".join(json.dumps(v, default=str, ensure_ascii=False) for v in values[:3])
    return shown + (f", ... ({len(values)} values)" if len(values) > 3 else "")


def _why(test: FieldTest, flat: Flat) -> str:
    values = flat.values.get(test.path)
    if values is None:
        return f"{test.path}: field is missing; the pattern needs {test.describe()}"
    if not test.matchers:
        return f"{test.path}: field is present ({_shown(values)}); the pattern needs it absent"
    noun, verb = ("value", "does") if len(values) == 1 else ("values", "do")
    return f"{test.path}: {noun} {_shown(values)} {verb} not match {test.describe()}"
