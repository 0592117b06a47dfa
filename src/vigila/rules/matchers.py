"""Value matchers: one per element of a pattern's value list.

A matcher answers one question about one event value, `test(value)`, and
carries a `key` that is equal for matchers that accept exactly the same
values, so rules that share a condition share its work in a `RuleSet`.
`exists: false` is not a matcher: it is a property of a field (see
`pattern.FieldTest`), because it is about the absence of values.

>>> Prefix("pay").test("payment"), Prefix("pay").test(7)
(True, False)
>>> Numeric(0, 5_000_000).test(5), Numeric(0, 5_000_000).test(5.000001)
(True, False)
"""

from __future__ import annotations

import re
from collections.abc import Hashable

from vigila.rules.casefold import IgnoreCase
from vigila.rules.netaddr import parse_ip
from vigila.rules.numeric import LIMIT, comparable, is_number, literal_key

Literal = bool | None


class Matcher:
    """Accepts or refuses a single event value."""

    __slots__ = ("key",)
    key: Hashable

    def test(self, value: object) -> bool:
        raise NotImplementedError

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Matcher) and self.key == other.key

    def __hash__(self) -> int:
        return hash(self.key)

    def __repr__(self) -> str:
        return f"{type(self).__name__}{self.key[1:]!r}"  # type: ignore[index]


class ExactString(Matcher):
    """A string equal to `text`."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text
        self.key = ("s", text)

    def test(self, value: object) -> bool:
        return type(value) is str and value == self.text


class ExactIp(Matcher):
    """A string naming the IP address `address` (a `(family, int)` pair)."""

    __slots__ = ("address", "text")

    def __init__(self, text: str, address: tuple[int, int]) -> None:
        self.text = text
        self.address = address
        self.key = ("ip", address)

    def test(self, value: object) -> bool:
        return type(value) is str and parse_ip(value) == self.address


class ExactNumber(Matcher):
    """A number equal by value (numbers with a key) or by literal (all others)."""

    __slots__ = ("number",)

    def __init__(self, number: object) -> None:
        self.number = number
        scaled = comparable(number)
        self.key = ("=", scaled) if scaled is not None else ("lit", literal_key(number))  # type: ignore[arg-type]

    def test(self, value: object) -> bool:
        if not is_number(value):
            return False
        scaled = comparable(value)
        if self.key[0] == "=":
            return scaled == self.key[1]
        return scaled is None and literal_key(value) == self.key[1]  # type: ignore[arg-type]


class ExactLiteral(Matcher):
    """The JSON literal `true`, `false` or `null`."""

    __slots__ = ("literal",)

    def __init__(self, literal: Literal) -> None:
        self.literal = literal
        self.key = ("l", literal)

    def test(self, value: object) -> bool:
        return value is self.literal


class Prefix(Matcher):
    """A string starting with `text`."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text
        self.key = ("prefix", text)

    def test(self, value: object) -> bool:
        return type(value) is str and value.startswith(self.text)


class Suffix(Matcher):
    """A string ending with `text`."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text
        self.key = ("suffix", text)

    def test(self, value: object) -> bool:
        return type(value) is str and value.endswith(self.text)


class EqualsIgnoreCase(Matcher):
    """A string equal to `text` in any case."""

    __slots__ = ("case",)

    def __init__(self, text: str) -> None:
        self.case = IgnoreCase(text)
        self.key = ("eic", text)

    def test(self, value: object) -> bool:
        return type(value) is str and self.case.equals(value)


class PrefixIgnoreCase(Matcher):
    """A string starting with `text` in any case."""

    __slots__ = ("case",)

    def __init__(self, text: str) -> None:
        self.case = IgnoreCase(text)
        self.key = ("prefix-eic", text)

    def test(self, value: object) -> bool:
        return type(value) is str and self.case.starts(value)


class SuffixIgnoreCase(Matcher):
    """A string ending with `text` in any case."""

    __slots__ = ("case",)

    def __init__(self, text: str) -> None:
        self.case = IgnoreCase(text)
        self.key = ("suffix-eic", text)

    def test(self, value: object) -> bool:
        return type(value) is str and self.case.ends(value)


class Wildcard(Matcher):
    """A string matching `text`, where `*` stands for any run of characters."""

    __slots__ = ("head", "literal", "regex", "tail")

    def __init__(self, text: str, segments: list[str]) -> None:
        self.key = ("wildcard", text)
        self.head = segments[0]
        self.tail = segments[-1] if len(segments) > 1 else ""
        self.literal = segments[0] if len(segments) == 1 else None
        body = ".*".join(re.escape(segment) for segment in segments)
        self.regex = re.compile(body, re.DOTALL)

    def test(self, value: object) -> bool:
        return type(value) is str and self.regex.fullmatch(value) is not None


class Numeric(Matcher):
    """A number whose key (see `numeric`) is within `low..high`, inclusive; None is unbounded."""

    __slots__ = ("high", "low")

    def __init__(self, low: int | None, high: int | None) -> None:
        self.low = low
        self.high = high
        self.key = ("=", low) if low is not None and low == high else ("range", low, high)

    def test(self, value: object) -> bool:
        kind = type(value)
        if kind is float and -1e9 < value < 1e9:  # type: ignore[operator]
            key = round(value * 1e6)  # type: ignore[operator]
            if key / 1e6 != value:  # the hot case of `comparable`, inlined
                return False
        elif kind is int and -LIMIT <= value <= LIMIT:  # type: ignore[operator]
            key = value * 1_000_000  # type: ignore[operator]
        else:
            found = comparable(value)
            if found is None:
                return False
            key = found
        return (self.low is None or key >= self.low) and (self.high is None or key <= self.high)


class Cidr(Matcher):
    """A string naming an IP address within a block."""

    __slots__ = ("family", "first", "last")

    def __init__(self, family: int, first: int, last: int) -> None:
        self.family = family
        self.first = first
        self.last = last
        self.key = ("cidr", family, first, last)

    def test(self, value: object) -> bool:
        if type(value) is not str:
            return False
        address = parse_ip(value)
        return (
            address is not None
            and address[0] == self.family
            and (self.first <= address[1] <= self.last)
        )


class Exists(Matcher):
    """Any value at all: the field is present."""

    __slots__ = ()

    def __init__(self) -> None:
        self.key = ("exists",)

    def test(self, value: object) -> bool:
        return True


class AnythingBut(Matcher):
    """Any value except the listed strings, or except numbers with the listed keys."""

    __slots__ = ("excluded", "numeric")

    def __init__(self, excluded: frozenset[object], numeric: bool) -> None:
        self.excluded = excluded
        self.numeric = numeric
        self.key = ("not", numeric, excluded)

    def test(self, value: object) -> bool:
        if self.numeric:
            return not (is_number(value) and comparable(value) in self.excluded)
        return not (type(value) is str and value in self.excluded)


class AnythingButPrefix(Matcher):
    """Any value except strings starting with one of `texts`."""

    __slots__ = ("texts",)

    def __init__(self, texts: tuple[str, ...]) -> None:
        self.texts = texts
        self.key = ("not-prefix", frozenset(texts))

    def test(self, value: object) -> bool:
        return not (type(value) is str and value.startswith(self.texts))


class AnythingButSuffix(Matcher):
    """Any value except strings ending with one of `texts`."""

    __slots__ = ("texts",)

    def __init__(self, texts: tuple[str, ...]) -> None:
        self.texts = texts
        self.key = ("not-suffix", frozenset(texts))

    def test(self, value: object) -> bool:
        return not (type(value) is str and value.endswith(self.texts))


class AnythingButIgnoreCase(Matcher):
    """Any value except strings equal to one of `texts` in any case."""

    __slots__ = ("cases",)

    def __init__(self, texts: tuple[str, ...]) -> None:
        self.cases = tuple(IgnoreCase(text) for text in texts)
        self.key = ("not-eic", frozenset(texts))

    def test(self, value: object) -> bool:
        return not (type(value) is str and any(case.equals(value) for case in self.cases))


class AnythingButWildcard(Matcher):
    """Any value except strings matching one of the wildcards."""

    __slots__ = ("wildcards",)

    def __init__(self, wildcards: tuple[Wildcard, ...]) -> None:
        self.wildcards = wildcards
        self.key = ("not-wildcard", frozenset(w.key[1] for w in wildcards))

    def test(self, value: object) -> bool:
        return not (type(value) is str and any(w.test(value) for w in self.wildcards))
