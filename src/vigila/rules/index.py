"""Per-path value indexes: from an event's values at one path to the tests they pass.

A `PathMatcher` gathers the field tests that leave one automaton state on one
path and indexes their matchers by what they accept: strings and numbers in
dicts, prefixes and suffixes by length, numeric and CIDR ranges in sorted
arrays, `anything-but` values as exclusions. Only the rare operators that do
not index (wildcards with a leading `*`, text whose case folding event-ruler
treats specially) are tried one by one. A compiled matcher offers `one(value)`
and `many(values)`, each listing the targets reached.

>>> from vigila.rules.branch import compile_branches
>>> (branch,) = compile_branches({"x": ["a", {"prefix": "b"}]})
>>> pm = PathMatcher()
>>> pm.add(branch.tests[0], "next")
>>> pm.compile()
>>> pm.one("bee"), pm.many(["a", "c"])
(['next'], ['next'])
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable, Hashable, Sequence
from typing import Any

from vigila.rules.branch import FieldTest
from vigila.rules.matchers import (
    AnythingBut,
    Cidr,
    EqualsIgnoreCase,
    ExactIp,
    ExactLiteral,
    ExactNumber,
    ExactString,
    Exists,
    Matcher,
    Numeric,
    Prefix,
    PrefixIgnoreCase,
    Suffix,
    SuffixIgnoreCase,
    Wildcard,
)
from vigila.rules.netaddr import parse_ip
from vigila.rules.numeric import LIMIT, comparable, literal_key

Target = Any
One = Callable[[Any], "Sequence[Target] | None"]
"""One event value to the targets it reaches (None or empty when none)."""
Find = Callable[[int], Sequence[Target]]

_LINEAR = 4
"""Up to this many matchers on one path are tested one by one rather than indexed."""

_SEGMENT_BUDGET = 20_000
"""Most (segment, range) pairs a two-sided range index precomputes before it scans instead."""


def ranges_finder(ranges: list[tuple[int | None, int | None, Target]]) -> Find:
    """`find(x)`: the targets of the inclusive integer ranges (None = unbounded) holding x."""
    up = sorted(((lo, t) for lo, hi, t in ranges if hi is None), key=lambda r: r[0])
    down = sorted(((hi, t) for lo, hi, t in ranges if lo is None), key=lambda r: r[0])
    both = sorted(
        ((lo, hi, t) for lo, hi, t in ranges if lo is not None and hi is not None and lo <= hi),
        key=lambda r: r[0],
    )
    lows, ups = [lo for lo, _ in up], tuple(t for _, t in up)
    highs, downs = [hi for hi, _ in down], tuple(t for _, t in down)
    inside = _segments(both)
    if not down and not both:
        return lambda x, lows=lows, ups=ups: ups[: bisect_right(lows, x)]
    if not up and not both:
        return lambda x, highs=highs, downs=downs: downs[bisect_left(highs, x) :]

    def find(x: int) -> tuple[Target, ...]:
        return ups[: bisect_right(lows, x)] + downs[bisect_left(highs, x) :] + tuple(inside(x))

    return find


def _segments(both: list[tuple[int, int, Target]]) -> Find:
    """Two-sided ranges: precomputed covers per elementary segment, or a scan when too many."""
    points = sorted({lo for lo, _, _ in both} | {hi + 1 for _, hi, _ in both})
    starts: dict[int, list[int]] = {}
    ends: dict[int, list[int]] = {}
    for i, (lo, hi, _) in enumerate(both):
        starts.setdefault(lo, []).append(i)
        ends.setdefault(hi + 1, []).append(i)
    active: dict[int, None] = {}
    cover: list[list[Target]] = []
    size = 0
    for point in points:
        for i in ends.get(point, ()):
            active.pop(i, None)
        for i in starts.get(point, ()):
            active[i] = None
        cover.append(tuple(both[i][2] for i in active))
        size += len(active)
        if size > _SEGMENT_BUDGET:
            lows = [lo for lo, _, _ in both]
            return lambda x: [t for _, hi, t in both[: bisect_right(lows, x)] if x <= hi]
    return lambda x, points=points, cover=cover: (
        cover[i] if (i := bisect_right(points, x) - 1) >= 0 else ()
    )


def _bucket(index: dict[Hashable, list[Any]], key: Hashable, item: Any) -> None:
    index.setdefault(key, []).append(item)


class PathMatcher:
    """The tests leaving one state on one path, indexed by what their matchers accept."""

    __slots__ = ("exact", "one", "stale", "tests")

    def __init__(self) -> None:
        self.tests: dict[Hashable, tuple[FieldTest, Target]] = {}
        self.exact: dict[Any, tuple[Target, ...]] | None = None
        self.one: One = self._compile_then_one
        self.stale = True

    def add(self, test: FieldTest, target: Target) -> None:
        self.tests[test.key] = (test, target)
        self.stale = True

    def remove(self, test: FieldTest) -> None:
        del self.tests[test.key]
        self.stale = True

    def __len__(self) -> int:
        return len(self.tests)

    def compile(self) -> None:
        """Rebuild the index after tests were added or removed."""
        entries = [(m, t) for test, t in self.tests.values() for m in test.matchers]
        repeats = any(len(test.matchers) > 1 for test, _ in self.tests.values())
        self.one, self.exact = _compile(entries, repeats)
        self.stale = False

    def _compile_then_one(self, value: Any) -> list[Target] | None:
        self.compile()
        return self.one(value)

    def many(self, values: list[Any]) -> list[Target]:
        """The targets any of the values reach, each once."""
        return many(self.one, values)


def many(one: One, values: list[Any]) -> list[Target]:
    """The targets `one` reaches from any of the values, each once."""
    found: list[Target] = []
    for value in values:
        reached = one(value)
        if reached:
            found += reached
    return list(dict.fromkeys(found)) if len(found) > 1 else found


def _compile(
    entries: list[tuple[Matcher, Target]], repeats: bool
) -> tuple[One, dict[Any, tuple[Target, ...]] | None]:
    """The fastest `one(value)` for these matchers, and its dict when exact strings are all."""
    strings: dict[Hashable, list[Target]] = {}
    rest: list[tuple[Matcher, Target]] = []
    for matcher, target in entries:
        if isinstance(matcher, ExactString):
            _bucket(strings, matcher.text, target)
        elif isinstance(matcher, Wildcard) and matcher.literal is not None:
            _bucket(strings, matcher.literal, target)
        else:
            rest.append((matcher, target))
    # Tuples, not lists: one allocation each, so one cache line less for the walk.
    strings = {key: tuple(dict.fromkeys(targets)) for key, targets in strings.items()}
    if not rest:
        return strings.get, strings  # a str key never equals a number, bool or None
    return _indexed(strings, rest, entries, repeats), None


def _indexed(
    strings: dict[Hashable, list[Target]],
    rest: list[tuple[Matcher, Target]],
    entries: list[tuple[Matcher, Target]],
    repeats: bool,
) -> One:
    if not strings and not repeats:
        if all(isinstance(m, Numeric) and m.key[0] == "range" for m, _ in rest):
            return _ranges_one(rest)
        if all(isinstance(m, Cidr) for m, _ in rest):
            return _cidrs_one(rest)
    if len(entries) <= _LINEAR:
        return _linear_one(entries, repeats)
    if not strings and all(type(m) is Prefix for m, _ in rest):
        return _prefixes_one(rest, repeats)
    return _general_one(strings, rest, repeats)


def _linear_one(entries: list[tuple[Matcher, Target]], repeats: bool) -> One:
    """A few matchers: testing each is as fast as an index, and lighter."""
    pairs = tuple((m.test, t) for m, t in entries)
    if len(pairs) == 1:
        matcher, target = entries[0]
        reached = (target,)
        if isinstance(matcher, Exists):
            return lambda value, reached=reached: reached
        if isinstance(matcher, AnythingBut) and not matcher.numeric:
            excluded = matcher.excluded
            return lambda value, out=excluded, reached=reached: (
                None if type(value) is str and value in out else reached
            )
        return lambda value, test=matcher.test, reached=reached: reached if test(value) else None

    def one(value: Any) -> list[Target] | None:
        found = None
        for test, target in pairs:
            if test(value):
                if found is None:
                    found = [target]
                else:
                    found.append(target)
        if repeats and found and len(found) > 1:
            return list(dict.fromkeys(found))
        return found

    return one


def _ranges_one(entries: list[tuple[Matcher, Target]]) -> One:
    ranges = [(m.low, m.high, t) for m, t in entries]  # type: ignore[attr-defined]
    if all(high is None for _, high, _ in ranges):
        # Thresholds only (`>`, `>=`), the usual case: one bisect, inlined.
        ordered = sorted(((low, t) for low, _, t in ranges), key=lambda r: r[0])
        lows, ups = [low for low, _ in ordered], tuple(t for _, t in ordered)

        def thresholds(value: Any, lows: list[int] = lows, ups: tuple[Target, ...] = ups) -> Any:
            kind = type(value)
            if kind is float and -1e9 < value < 1e9:  # float_comparable, inlined: the hot case
                key = round(value * 1e6)
                if key / 1e6 != value:
                    return None
            elif kind is int and -LIMIT <= value <= LIMIT:
                key = value * 1_000_000
            else:
                key = comparable(value)
                if key is None:
                    return None
            return ups[: bisect_right(lows, key)]

        return thresholds
    find = ranges_finder(ranges)

    def one(value: Any, find: Find = find) -> Any:
        key = comparable(value)
        return None if key is None else find(key)

    return one


def _prefixes_one(entries: list[tuple[Matcher, Target]], repeats: bool) -> One:
    prefixes: dict[str, list[Target]] = {}
    for matcher, target in entries:
        _bucket(prefixes, matcher.text, target)  # type: ignore[attr-defined]
    lengths = sorted({len(p) for p in prefixes})

    def one(value: Any, prefixes: dict[str, Any] = prefixes, lengths: list[int] = lengths) -> Any:
        if type(value) is not str:
            return None
        found: Any = None
        for length in lengths:
            if length > len(value):
                break
            reached = prefixes.get(value[:length])
            if reached:
                found = reached if found is None else found + reached
        if repeats and found:
            return list(dict.fromkeys(found))
        return found

    return one


def _cidrs_one(entries: list[tuple[Matcher, Target]]) -> One:
    by_family: dict[int, list[tuple[int | None, int | None, Target]]] = {}
    for m, target in entries:
        by_family.setdefault(m.family, []).append((m.first, m.last, target))  # type: ignore[attr-defined]
    families = {family: ranges_finder(ranges) for family, ranges in by_family.items()}

    def one(value: Any, families: dict[int, Find] = families) -> Any:
        if type(value) is not str:
            return None
        address = parse_ip(value)
        if address is None:
            return None
        find = families.get(address[0])
        return None if find is None else find(address[1])

    return one


def _general_one(
    strings: dict[Hashable, list[Target]], rest: list[tuple[Matcher, Target]], repeats: bool
) -> One:
    """`one(value)` over every kind of matcher, each kind in the structure that finds it fastest."""
    literals: dict[Hashable, list[Target]] = {}
    numbers: dict[Hashable, list[Target]] = {}
    ips: dict[Hashable, list[Target]] = {}
    prefixes: dict[str, list[Target]] = {}
    suffixes: dict[str, list[Target]] = {}
    heads: dict[str, list[tuple[Matcher, Target]]] = {}
    folded: dict[str, list[tuple[Matcher, Target]]] = {}
    folded_prefixes: dict[str, list[tuple[Matcher, Target]]] = {}
    folded_suffixes: dict[str, list[tuple[Matcher, Target]]] = {}
    exists: list[Target] = []
    tried: list[tuple[Matcher, Target]] = []
    not_strings: list[tuple[int, Target]] = []
    not_numbers: list[tuple[int, Target]] = []
    excluded: dict[Hashable, set[int]] = {}
    ranges: list[tuple[int | None, int | None, Target]] = []
    cidrs: dict[int, list[tuple[int | None, int | None, Target]]] = {}
    for matcher, target in rest:
        if isinstance(matcher, ExactLiteral):
            _bucket(literals, matcher.literal, target)
        elif isinstance(matcher, ExactNumber | Numeric) and matcher.key[0] != "range":
            _bucket(numbers, matcher.key, target)
        elif isinstance(matcher, Numeric):
            ranges.append((matcher.low, matcher.high, target))
        elif isinstance(matcher, ExactIp):
            _bucket(ips, matcher.address, target)
        elif isinstance(matcher, Cidr):
            cidrs.setdefault(matcher.family, []).append((matcher.first, matcher.last, target))
        elif isinstance(matcher, Prefix):
            _bucket(prefixes, matcher.text, target)
        elif isinstance(matcher, Suffix):
            _bucket(suffixes, matcher.text, target)
        elif isinstance(matcher, Wildcard) and matcher.head:
            _bucket(heads, matcher.head, (matcher, target))
        elif isinstance(matcher, Exists):
            exists.append(target)
        elif isinstance(matcher, AnythingBut):
            entry = len(not_strings) + len(not_numbers)
            (not_numbers if matcher.numeric else not_strings).append((entry, target))
            for value in matcher.excluded:
                key = ("=", value) if matcher.numeric else ("s", value)
                excluded.setdefault(key, set()).add(entry)
        elif isinstance(matcher, EqualsIgnoreCase) and matcher.case.key is not None:
            _bucket(folded, matcher.case.key, (matcher, target))
        elif isinstance(matcher, PrefixIgnoreCase) and matcher.case.key is not None:
            _bucket(folded_prefixes, matcher.case.key, (matcher, target))
        elif isinstance(matcher, SuffixIgnoreCase) and matcher.case.key is not None:
            _bucket(folded_suffixes, matcher.case.key, (matcher, target))
        else:
            tried.append((matcher, target))

    find_number = ranges_finder(ranges) if ranges else None
    find_cidr = {family: ranges_finder(r) for family, r in cidrs.items()}
    prefix_lengths = sorted({len(p) for p in prefixes})
    suffix_lengths = sorted({len(p) for p in suffixes})
    head_lengths = sorted({len(p) for p in heads})
    folded_prefix_lengths = sorted({len(p) for p in folded_prefixes})
    folded_suffix_lengths = sorted({len(p) for p in folded_suffixes})
    wants_ip = bool(ips or find_cidr)
    wants_fold = bool(folded or folded_prefixes or folded_suffixes)
    # What a value of one type always reaches: `exists`, and the anything-buts
    # of the other type, which a value of this type is never excluded by.
    for_strings = exists + [t for _, t in not_numbers]
    for_numbers = exists + [t for _, t in not_strings]
    for_literals = exists + [t for _, t in not_strings] + [t for _, t in not_numbers]

    def verified(
        index: dict[str, list[tuple[Matcher, Target]]], lengths: list[int], key: str, value: str
    ) -> list[Target]:
        hits = []
        for length in lengths:
            if length > len(key):
                break
            hits += [t for m, t in index.get(key[:length], ()) if m.test(value)]
        return hits

    def on_string(value: str) -> list[Target]:
        found = list(strings.get(value, ()))
        size = len(value)
        for length in prefix_lengths:
            if length > size:
                break
            found += prefixes.get(value[:length], ())
        for length in suffix_lengths:
            if length > size:
                break
            found += suffixes.get(value[size - length :], ())
        if heads:
            found += verified(heads, head_lengths, value, value)
        if wants_ip:
            address = parse_ip(value)
            if address is not None:
                found += ips.get(address, ())
                find = find_cidr.get(address[0])
                if find is not None:
                    found += find(address[1])
        if wants_fold:
            fold = value.casefold()
            found += [t for m, t in folded.get(fold, ()) if m.test(value)]
            if folded_prefixes:
                found += verified(folded_prefixes, folded_prefix_lengths, fold, value)
            for length in folded_suffix_lengths:
                if length > len(fold):
                    break
                tail = fold[len(fold) - length :]
                found += [t for m, t in folded_suffixes.get(tail, ()) if m.test(value)]
        if not_strings:
            out = excluded.get(("s", value), ())
            found += [t for entry, t in not_strings if entry not in out]
        return found + for_strings

    def on_number(value: Any) -> list[Target]:
        key = comparable(value)
        if key is None:
            found = list(numbers.get(("lit", literal_key(value)), ()))
        else:
            found = list(numbers.get(("=", key), ()))
            if find_number is not None:
                found += find_number(key)
        if not_numbers:
            out = excluded.get(("=", key), ()) if key is not None else ()
            found += [t for entry, t in not_numbers if entry not in out]
        return found + for_numbers

    def one(value: Any) -> list[Target]:
        kind = type(value)
        if kind is str:
            found = on_string(value)
        elif kind is bool or value is None:
            found = literals.get(value, []) + for_literals
        else:
            found = on_number(value)
        for matcher, target in tried:
            if matcher.test(value):
                found.append(target)
        # A test reaches its target once, unless several of its matchers accept.
        return list(dict.fromkeys(found)) if repeats and len(found) > 1 else found

    return one
