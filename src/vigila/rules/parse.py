"""Parse and validate an event pattern into branches of field tests.

The grammar and every refusal follow event-ruler's JSON rule compiler, which
EventBridge runs: a pattern is a non-empty object; a field holds an object
(AND over its fields) or a non-empty array (OR over its values); `$or`
holds two or more objects and multiplies the pattern into branches, each
an AND over fields. A later occurrence of a field path overrides an
earlier one within a branch, as in EventBridge.

>>> [sorted(b) for b in parse({"a": [1], "$or": [{"b": ["x"]}, {"c": {"d": [True]}}]})]
[['a', 'b'], ['a', 'c.d']]
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from vigila.rules.errors import PatternError, child_path
from vigila.rules.matchers import (
    AnythingBut,
    AnythingButIgnoreCase,
    AnythingButPrefix,
    AnythingButSuffix,
    AnythingButWildcard,
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
from vigila.rules.netaddr import CidrError, parse_cidr, parse_ip
from vigila.rules.numeric import comparable_or_reason, is_finite, is_number

MAX_DEPTH = 64
"""Deepest nesting of objects and arrays a pattern may have (a vigila guard)."""

MAX_BRANCHES = 1024
"""Most branches `$or` may multiply a pattern into (a vigila guard)."""

OR = "$or"
RESERVED_IN_OR = frozenset(
    {
        "exactly", "equals-ignore-case", "prefix", "suffix", "anything-but", "exists",
        "wildcard", "numeric", "cidr", "=", "<", "<=", ">", ">=", "regex", "not-wildcard",
        "not-equals-ignore-case", "date-after", "date-on-or-after", "date-before",
        "date-on-or-before", "in-date-range", "ip-address-in-range", "ip-address-not-in-range",
    }
)  # fmt: skip
"""Field names event-ruler refuses inside `$or`: its operators and reserved words."""

ABSENT = object()
"""Stands for `{"exists": false}` in a parsed value list."""

Spec = tuple[list[object], list[Any]]
"""One field of a branch: its parsed values (matchers, and ABSENT), its value list as written."""
Branch = dict[str, Spec]


class _Pairs(list):  # type: ignore[type-arg]
    """A JSON object as its key/value pairs in document order, duplicates kept."""

    def items(self) -> Iterable[tuple[str, Any]]:
        return iter(self)


def _is_object(value: object) -> bool:
    return isinstance(value, dict | _Pairs)


def _refuse_constant(name: str) -> None:
    raise ValueError(f"{name} is not valid JSON")


def load(pattern: dict[str, Any] | str) -> Any:
    """The pattern as Python objects; JSON text keeps duplicate keys and exact decimals."""
    if isinstance(pattern, str):
        try:
            return json.loads(
                pattern,
                object_pairs_hook=_Pairs,
                parse_float=Decimal,
                parse_constant=_refuse_constant,
            )
        except RecursionError:
            raise PatternError(f"Pattern nests deeper than {MAX_DEPTH} levels") from None
        except ValueError as e:
            raise PatternError(f"Filter is not valid JSON: {e}") from None
    return pattern


def parse(pattern: dict[str, Any] | str) -> list[Branch]:
    """The branches of a pattern; raises PatternError where EventBridge refuses it."""
    data = load(pattern)
    if not _is_object(data):
        raise PatternError("Filter is not an object")
    branches: list[Branch] = []
    _parse_object(data, None, "$", branches, in_or=False, depth=1)
    return branches


def _join(prefix: str | None, key: str) -> str:
    return key if prefix is None else f"{prefix}.{key}"


def _parse_object(
    obj: Any, prefix: str | None, where: str, branches: list[Branch], in_or: bool, depth: int
) -> None:
    if depth > MAX_DEPTH:
        raise PatternError(f"Pattern nests deeper than {MAX_DEPTH} levels", where)
    present = False
    for key, value in obj.items():
        present = True
        if not isinstance(key, str):
            raise PatternError(f"Field names must be strings, got {key!r}", where)
        at = child_path(where, key)
        if key == OR:
            _parse_or(value, prefix, at, branches, depth + 1)
            continue
        if in_or and key in RESERVED_IN_OR:
            raise PatternError(f'"{key}" is a reserved word and cannot be a field inside $or', at)
        if _is_object(value):
            _parse_object(value, _join(prefix, key), at, branches, in_or, depth + 1)
        elif isinstance(value, list):
            _write(branches, _join(prefix, key), _parse_values(value, at, depth + 1), value)
        else:
            raise PatternError(f'"{key}" must be an object or an array', at)
    if not present:
        raise PatternError("Empty objects are not allowed", where)


def _parse_or(
    value: Any, prefix: str | None, where: str, branches: list[Branch], depth: int
) -> None:
    if not isinstance(value, list):
        raise PatternError("$or must be followed by an array of objects", where)
    before = [dict(branch) for branch in branches]
    branches.clear()
    for index, alternative in enumerate(value):
        at = child_path(where, index)
        if not _is_object(alternative):
            raise PatternError("Only JSON objects are allowed in the array of $or", at)
        forked = [dict(branch) for branch in before] or [{}]
        _parse_object(alternative, prefix, at, forked, in_or=True, depth=depth + 1)
        branches.extend(forked)
        if len(branches) > MAX_BRANCHES:
            raise PatternError(
                f"$or multiplies the pattern into more than {MAX_BRANCHES} branches", at
            )
    if len(value) < 2:
        raise PatternError("$or needs at least 2 objects", where)


def _write(branches: list[Branch], name: str, values: list[object], raw: list[Any]) -> None:
    if not branches:
        branches.append({})
    for branch in branches:
        branch[name] = (values, raw)


def _parse_values(values: list[Any], where: str, depth: int) -> list[object]:
    if depth > MAX_DEPTH:
        raise PatternError(f"Pattern nests deeper than {MAX_DEPTH} levels", where)
    parsed: list[object] = []
    for index, value in enumerate(values):
        at = child_path(where, index)
        if _is_object(value):
            parsed.append(_parse_expression(value, at))
        elif isinstance(value, str):
            address = parse_ip(value)
            parsed.append(ExactIp(value, address) if address else ExactString(value))
        elif value is None or isinstance(value, bool):
            parsed.append(ExactLiteral(value))
        elif is_number(value):
            _require_finite(value, at)
            parsed.append(ExactNumber(value))
        else:
            raise PatternError("Match value must be String, number, true, false, or null", at)
    if not parsed:
        raise PatternError("Empty arrays are not allowed", where)
    return parsed


def _require_finite(value: Any, where: str) -> None:
    if not is_finite(value):
        raise PatternError("Match value must be a finite number", where)


def _single(expression: Any, where: str, what: str) -> tuple[str, Any, str]:
    pairs = list(expression.items())
    if not pairs:
        raise PatternError(f"{what} name not found", where)
    if len(pairs) > 1:
        raise PatternError("Only one key allowed in match expression", where)
    name, value = pairs[0]
    return name, value, child_path(where, name)


def _parse_expression(expression: Any, where: str) -> object:
    name, value, at = _single(expression, where, "Match expression")
    if name == "prefix":
        return _affix(value, at, "prefix", Prefix, PrefixIgnoreCase)
    if name == "suffix":
        return _affix(value, at, "suffix", Suffix, SuffixIgnoreCase)
    if name == "equals-ignore-case":
        return EqualsIgnoreCase(_string(value, at, "equals-ignore-case"))
    if name == "wildcard":
        return wildcard(_string(value, at, "wildcard"), at)
    if name == "numeric":
        return _numeric(value, at)
    if name == "anything-but":
        return _anything_but(value, at)
    if name == "exists":
        if not isinstance(value, bool):
            raise PatternError("exists match pattern must be either true or false", at)
        return Exists() if value else ABSENT
    if name == "cidr":
        try:
            return Cidr(*parse_cidr(_string(value, at, "cidr")))
        except CidrError as e:
            raise PatternError(str(e), at) from None
    raise PatternError(f'Unrecognized match type "{name}"', at)


def _string(value: Any, where: str, what: str) -> str:
    if not isinstance(value, str):
        raise PatternError(f"{what} match pattern must be a string", where)
    return value


def _affix(value: Any, where: str, what: str, plain: type, folded: type) -> Matcher:
    if _is_object(value):
        name, inner, at = _single(value, where, f"{what.capitalize()} expression")
        if name != "equals-ignore-case":
            raise PatternError(f'Unsupported {what} pattern: "{name}"', at)
        return folded(_string(inner, at, "equals-ignore-case"))  # type: ignore[no-any-return]
    return plain(_string(value, where, what))  # type: ignore[no-any-return]


def wildcard(text: str, where: str) -> Wildcard:
    """A wildcard matcher; `\\*` is a literal star, `\\\\` a backslash, `**` is refused."""
    segments = [""]
    index = 0
    while index < len(text):
        char = text[index]
        if char == "*":
            if text.startswith("*", index + 1):
                raise PatternError(
                    f"Consecutive wildcard characters at pos {_pos(text, index)}", where
                )
            segments.append("")
        elif char == "\\":
            following = text[index + 1 : index + 2]
            if following not in ("*", "\\"):
                raise PatternError(f"Invalid escape character at pos {_pos(text, index)}", where)
            segments[-1] += following
            index += 1
        else:
            segments[-1] += char
        index += 1
    return Wildcard(text, segments)


def _pos(text: str, index: int) -> int:
    """The UTF-8 byte offset of a character, as event-ruler reports positions."""
    return len(text[:index].encode("utf-8"))


_LOWER = {">": True, ">=": False}
_UPPER = {"<": True, "<=": False}


def _number(items: list[Any], index: int, operator: str, where: str) -> int:
    label = "equals" if operator == "=" else operator
    if index >= len(items) or not is_number(items[index]):
        raise PatternError(f"Value of {label} must be numeric", child_path(where, index))
    key, reason = comparable_or_reason(items[index])
    if key is None:
        raise PatternError(reason, child_path(where, index))
    return key


def _numeric(items: Any, where: str) -> Numeric:
    if not isinstance(items, list):
        raise PatternError("Value of numeric must be an array", where)
    if not items or not isinstance(items[0], str):
        shown = json.dumps(items[0], default=str) if items else "]"
        raise PatternError(f"Invalid member in numeric match: {shown}", where)
    operator = items[0]
    if operator == "=":
        value = _number(items, 1, operator, where)
        _end(items, 2, where)
        return Numeric(value, value)
    if operator in _UPPER:
        top = _number(items, 1, operator, where)
        _end(items, 2, where)
        return Numeric(None, top - 1 if _UPPER[operator] else top)
    if operator not in _LOWER:
        raise PatternError(f"Unrecognized numeric range operator: {operator}", child_path(where, 0))
    bottom = _number(items, 1, operator, where)
    low = bottom + 1 if _LOWER[operator] else bottom
    if len(items) == 2:
        return Numeric(low, None)
    second = items[2]
    if not isinstance(second, str):
        shown = json.dumps(second, default=str)
        raise PatternError(f"Bad value in numeric range: {shown}", child_path(where, 2))
    if second not in _UPPER:
        raise PatternError(f"Bad numeric range operator: {second}", child_path(where, 2))
    top = _number(items, 3, second, where)
    _end(items, 4, where)
    if bottom >= top:
        raise PatternError("Bottom must be less than top", where)
    return Numeric(low, top - 1 if _UPPER[second] else top)


def _end(items: list[Any], length: int, where: str) -> None:
    if len(items) > length:
        raise PatternError("Too many elements in numeric expression", child_path(where, length))


_NOT_KINDS = ("equals-ignore-case", "prefix", "suffix", "wildcard")


def _anything_but(value: Any, where: str) -> Matcher:
    if _is_object(value):
        name, inner, at = _single(value, where, "Anything-but expression")
        if name not in _NOT_KINDS:
            raise PatternError(f'Unsupported anything-but pattern: "{name}"', at)
        texts = _not_texts(inner, at, name)
        if name == "equals-ignore-case":
            return AnythingButIgnoreCase(texts)
        if name == "prefix":
            return AnythingButPrefix(texts)
        if name == "suffix":
            return AnythingButSuffix(texts)
        return AnythingButWildcard(tuple(wildcard(t, at) for t in texts))
    if isinstance(value, str):
        return AnythingBut(frozenset([value]), numeric=False)
    if is_number(value):
        return AnythingBut(frozenset([_not_number(value, where)]), numeric=True)
    if not isinstance(value, list):
        raise PatternError(
            "Value of anything-but must be an array or single string/number value", where
        )
    strings = [item for item in value if isinstance(item, str)]
    numbers = [item for item in value if is_number(item)]
    for index, item in enumerate(value):
        if not isinstance(item, str) and not is_number(item):
            raise PatternError(
                "Inside anything-but list, only strings and numbers are supported",
                child_path(where, index),
            )
    if bool(strings) == bool(numbers):
        raise PatternError(
            "Inside anything-but list, either all values are number or string, "
            "mixed type is not supported",
            where,
        )
    if strings:
        return AnythingBut(frozenset(strings), numeric=False)
    excluded = [_not_number(item, child_path(where, i)) for i, item in enumerate(value)]
    return AnythingBut(frozenset(excluded), numeric=True)


def _not_number(value: Any, where: str) -> int:
    key, reason = comparable_or_reason(value)
    if key is None:
        raise PatternError(reason, where)
    return key


def _not_texts(inner: Any, where: str, kind: str) -> tuple[str, ...]:
    items = inner if isinstance(inner, list) else [inner]
    texts: list[str] = []
    for index, item in enumerate(items):
        at = child_path(where, index) if isinstance(inner, list) else where
        if not isinstance(item, str):
            raise PatternError(f"anything-but/{kind} values must be strings", at)
        if kind in ("prefix", "suffix") and not item:
            raise PatternError("Null prefix/suffix not allowed", at)
        texts.append(item)
    return tuple(texts)
