"""Validation: every pattern EventBridge refuses is refused, naming where and why."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from vigila.rules import Pattern, PatternError, RuleSet

FLOAT64 = "between -1.7976931348623157E308 and 1.7976931348623157E308, inclusive"

INVALID: list[tuple[Any, str, str]] = [
    # (pattern, JSON path of the fault, words the message must hold)
    ({}, "$", "Empty objects are not allowed"),
    ([], "$", "Filter is not an object"),
    ("[1, 2]", "$", "Filter is not an object"),
    ("not json", "$", "not valid JSON"),
    ('{"a": [NaN]}', "$", "not valid JSON"),
    ("null", "$", "Filter is not an object"),
    ({"a": {}}, "$.a", "Empty objects are not allowed"),
    ({"a": "x"}, "$.a", "must be an object or an array"),
    ({"detail": {"state": "running"}}, "$.detail.state", "must be an object or an array"),
    ({"a": 5}, "$.a", "must be an object or an array"),
    ({"a": None}, "$.a", "must be an object or an array"),
    ({"a": []}, "$.a", "Empty arrays are not allowed"),
    ({"a": [["x"]]}, "$.a[0]", "Match value must be String, number, true, false, or null"),
    ({"a": ["x", ["y"]]}, "$.a[1]", "Match value must be String, number, true, false, or null"),
    ({"a": [{}]}, "$.a[0]", "Match expression name not found"),
    ({"a": [{"prefix": "x", "suffix": "y"}]}, "$.a[0]", "Only one key allowed"),
    ({"a": [{"regex": "x.*"}]}, "$.a[0].regex", 'Unrecognized match type "regex"'),
    ({"a": [{"exactly": "x"}]}, "$.a[0].exactly", "Unrecognized match type"),
    ({"a": [{"prefix": 5}]}, "$.a[0].prefix", "prefix match pattern must be a string"),
    ({"a": [{"prefix": None}]}, "$.a[0].prefix", "prefix match pattern must be a string"),
    ({"a": [{"prefix": {}}]}, "$.a[0].prefix", "Prefix expression name not found"),
    ({"a": [{"prefix": {"wildcard": "x"}}]}, "$.a[0].prefix.wildcard", "Unsupported prefix"),
    (
        {"a": [{"prefix": {"equals-ignore-case": 1}}]},
        '$.a[0].prefix["equals-ignore-case"]',
        "string",
    ),
    ({"a": [{"suffix": ["x"]}]}, "$.a[0].suffix", "suffix match pattern must be a string"),
    ({"a": [{"suffix": {"prefix": "x"}}]}, "$.a[0].suffix.prefix", "Unsupported suffix"),
    ({"a": [{"equals-ignore-case": 3}]}, '$.a[0]["equals-ignore-case"]', "must be a string"),
    ({"a": [{"wildcard": 3}]}, "$.a[0].wildcard", "wildcard match pattern must be a string"),
    ({"a": [{"wildcard": "a**b"}]}, "$.a[0].wildcard", "Consecutive wildcard characters at pos 1"),
    ({"a": [{"wildcard": "\\\\**"}]}, "$.a[0].wildcard", "Consecutive wildcard characters"),
    ({"a": [{"wildcard": "a\\b"}]}, "$.a[0].wildcard", "Invalid escape character at pos 1"),
    ({"a": [{"wildcard": "ab\\"}]}, "$.a[0].wildcard", "Invalid escape character at pos 2"),
    ({"a": [{"wildcard": "é\\x"}]}, "$.a[0].wildcard", "Invalid escape character at pos 2"),
    ({"a": [{"exists": "true"}]}, "$.a[0].exists", "either true or false"),
    ({"a": [{"exists": 1}]}, "$.a[0].exists", "either true or false"),
    ({"a": [{"numeric": 5}]}, "$.a[0].numeric", "Value of numeric must be an array"),
    ({"a": [{"numeric": []}]}, "$.a[0].numeric", "Invalid member in numeric match: ]"),
    ({"a": [{"numeric": [5, ">"]}]}, "$.a[0].numeric", "Invalid member in numeric match: 5"),
    ({"a": [{"numeric": ["!=", 5]}]}, "$.a[0].numeric[0]", "Unrecognized numeric range operator"),
    ({"a": [{"numeric": [">"]}]}, "$.a[0].numeric[1]", "Value of > must be numeric"),
    ({"a": [{"numeric": ["=", "5"]}]}, "$.a[0].numeric[1]", "Value of equals must be numeric"),
    ({"a": [{"numeric": ["<", True]}]}, "$.a[0].numeric[1]", "Value of < must be numeric"),
    ({"a": [{"numeric": ["=", 5, "<", 6]}]}, "$.a[0].numeric[2]", "Too many elements"),
    ({"a": [{"numeric": ["<", 5, ">", 1]}]}, "$.a[0].numeric[2]", "Too many elements"),
    ({"a": [{"numeric": [">", 5, 6]}]}, "$.a[0].numeric[2]", "Bad value in numeric range: 6"),
    ({"a": [{"numeric": [">", 1, ">", 5]}]}, "$.a[0].numeric[2]", "Bad numeric range operator: >"),
    ({"a": [{"numeric": [">", 5, "<", 5]}]}, "$.a[0].numeric", "Bottom must be less than top"),
    ({"a": [{"numeric": [">=", 6, "<=", 5]}]}, "$.a[0].numeric", "Bottom must be less than top"),
    ({"a": [{"numeric": [">", 1, "<", 5, "x"]}]}, "$.a[0].numeric[4]", "Too many elements"),
    ({"a": [{"numeric": [">", 10**400]}]}, "$.a[0].numeric[1]", FLOAT64),
    ('{"a": [{"numeric": ["<", -1e400]}]}', "$.a[0].numeric[1]", FLOAT64),
    ({"a": [{"numeric": [">", float("nan")]}]}, "$.a[0].numeric[1]", "not a finite number"),
    ({"a": [{"numeric": ["=", Decimal("NaN")]}]}, "$.a[0].numeric[1]", "not a finite number"),
    ({"a": [{"numeric": ["<", Decimal("-Infinity")]}]}, "$.a[0].numeric[1]", "not a finite"),
    ({"a": [{"numeric": [">", 5e-324]}]}, "$.a[0].numeric[1]", "upto 6 decimals"),
    (
        '{"a": [{"numeric": [">", 5e9, "<", 5000000000.0000001]}]}',  # one float64
        "$.a[0].numeric",
        "Bottom must be less than top",
    ),
    ({"a": [{"numeric": ["=", 0.1234567]}]}, "$.a[0].numeric[1]", "upto 6 decimals"),
    ('{"a": [{"numeric": ["=", 1.0000001]}]}', "$.a[0].numeric[1]", "upto 6 decimals"),
    ({"a": [{"anything-but": True}]}, '$.a[0]["anything-but"]', "must be an array or single"),
    ({"a": [{"anything-but": None}]}, '$.a[0]["anything-but"]', "must be an array or single"),
    ({"a": [{"anything-but": []}]}, '$.a[0]["anything-but"]', "mixed type is not supported"),
    ({"a": [{"anything-but": ["x", 1]}]}, '$.a[0]["anything-but"]', "mixed type is not supported"),
    (
        {"a": [{"anything-but": ["x", None]}]},
        '$.a[0]["anything-but"][1]',
        "only strings and numbers",
    ),
    ({"a": [{"anything-but": [1e10, 10**400]}]}, '$.a[0]["anything-but"][1]', FLOAT64),
    ({"a": [{"anything-but": float("-inf")}]}, '$.a[0]["anything-but"]', "not a finite number"),
    ({"a": [{"anything-but": 0.1234567}]}, '$.a[0]["anything-but"]', "upto 6 decimals"),
    ({"a": [{"anything-but": {}}]}, '$.a[0]["anything-but"]', "Anything-but expression name"),
    (
        {"a": [{"anything-but": {"numeric": [">", 1]}}]},
        '$.a[0]["anything-but"].numeric',
        "Unsupported",
    ),
    ({"a": [{"anything-but": {"exists": True}}]}, '$.a[0]["anything-but"].exists', "Unsupported"),
    (
        {"a": [{"anything-but": {"prefix": ""}}]},
        '$.a[0]["anything-but"].prefix',
        "Null prefix/suffix",
    ),
    (
        {"a": [{"anything-but": {"suffix": ["x", ""]}}]},
        '$.a[0]["anything-but"].suffix[1]',
        "Null prefix/suffix",
    ),
    ({"a": [{"anything-but": {"prefix": 5}}]}, '$.a[0]["anything-but"].prefix', "must be strings"),
    (
        {"a": [{"anything-but": {"equals-ignore-case": [1]}}]},
        '$.a[0]["anything-but"]["equals-ignore-case"][0]',
        "must be strings",
    ),
    (
        {"a": [{"anything-but": {"wildcard": "x**"}}]},
        '$.a[0]["anything-but"].wildcard',
        "Consecutive wildcard characters",
    ),
    (
        {"a": [{"anything-but": {"prefix": "a", "suffix": "b"}}]},
        '$.a[0]["anything-but"]',
        "Only one key allowed",
    ),
    ({"a": [{"cidr": 10}]}, "$.a[0].cidr", "cidr match pattern must be a string"),
    ({"a": [{"cidr": "10.0.0.0"}]}, "$.a[0].cidr", "one '/' required"),
    ({"a": [{"cidr": "10.0.0.0/8/8"}]}, "$.a[0].cidr", "one '/' required"),
    ({"a": [{"cidr": "10.0.0.0/x"}]}, "$.a[0].cidr", "mask bits must be an integer"),
    ({"a": [{"cidr": "10.0.0.0/-1"}]}, "$.a[0].cidr", "must not be negative"),
    ({"a": [{"cidr": "10.0.0.0/32"}]}, "$.a[0].cidr", "IPv4 mask bits must be < 32"),
    ({"a": [{"cidr": "2001:db8::/128"}]}, "$.a[0].cidr", "IPv6 mask bits must be < 128"),
    ({"a": [{"cidr": "10.0.0/24"}]}, "$.a[0].cidr", "Nonstandard IP address: 10.0.0"),
    ({"a": [{"cidr": "host.example/24"}]}, "$.a[0].cidr", "Nonstandard IP address"),
    ({"a": [{"cidr": "10.0.0.256/24"}]}, "$.a[0].cidr", "Invalid IP address: 10.0.0.256"),
    ({"a": [{"cidr": "1::2::3/64"}]}, "$.a[0].cidr", "Invalid IP address"),
    ({"$or": {"a": ["x"]}}, '$["$or"]', "$or must be followed by an array"),
    ({"$or": []}, '$["$or"]', "$or needs at least 2 objects"),
    ({"$or": [{"a": ["x"]}]}, '$["$or"]', "$or needs at least 2 objects"),
    ({"$or": [{"a": ["x"]}, "b"]}, '$["$or"][1]', "Only JSON objects are allowed"),
    ({"$or": [{"a": ["x"]}, {}]}, '$["$or"][1]', "Empty objects are not allowed"),
    ({"$or": [{"prefix": ["x"]}, {"b": ["y"]}]}, '$["$or"][0].prefix', "reserved word"),
    ({"$or": [{"a": {"numeric": [1]}}, {"b": ["y"]}]}, '$["$or"][0].a.numeric', "reserved word"),
    ({"x": {"$or": [{"a": ["1"]}, {"b": []}]}}, '$.x["$or"][1].b', "Empty arrays are not allowed"),
    ({"a": ["x"], "b": {"c": {"d": [{"numeric": [">"]}]}}}, "$.b.c.d[0].numeric[1]", "numeric"),
    ({1: ["x"]}, "$", "Field names must be strings"),
    ({"a": [float("nan")]}, "$.a[0]", "finite"),
    ({"a": [float("inf")]}, "$.a[0]", "finite"),
    ({"a": [Decimal("sNaN")]}, "$.a[0]", "finite"),
    ({"a": [{"numeric": [">", float("inf")]}]}, "$.a[0].numeric[1]", "not a finite number"),
    ({"a": [object()]}, "$.a[0]", "Match value must be String"),
]


def test_there_are_enough_cases() -> None:
    assert len(INVALID) >= 40


@pytest.mark.parametrize(("pattern", "path", "words"), INVALID, ids=[c[1] for c in INVALID])
def test_invalid_pattern_names_path_and_rule(pattern: Any, path: str, words: str) -> None:
    with pytest.raises(PatternError) as caught:
        Pattern(pattern)
    error = caught.value
    assert isinstance(error, ValueError)
    assert error.path == path
    assert words in error.reason
    assert str(error) == f"{error.reason} (at {path})"


def test_ruleset_refuses_what_pattern_refuses() -> None:
    rules = RuleSet()
    with pytest.raises(PatternError):
        rules.add("bad", {"a": "x"})
    assert len(rules) == 0
    assert rules.matches({"a": "x"}) == []


@pytest.mark.parametrize(
    "pattern",
    [
        {"a": [{"prefix": ""}]},
        {"a": [{"suffix": ""}]},
        {"a": [{"wildcard": ""}]},
        {"a": [{"equals-ignore-case": ""}]},
        {"a": [{"anything-but": ""}]},
        {"a": [{"anything-but": {"equals-ignore-case": []}}]},
        {"a": [{"numeric": [">=", -5e9, "<=", 5e9]}]},
        {"a": [{"numeric": [">", 5e9 + 1]}]},
        {"a": [{"numeric": ["<", -6e9]}]},
        {"a": [{"numeric": [">", 5000000000.5, "<", 2**64]}]},
        {"a": [{"numeric": [">=", -1.7976931348623157e308, "<=", 1.7976931348623157e308]}]},
        {"a": [{"anything-but": [1e10, -3e300]}]},
        '{"a": [{"numeric": ["=", 12345678901.1234567]}]}',
        {"a": [{"numeric": ["=", 0.000001]}]},
        {"a": [{"cidr": "0.0.0.0/0"}]},
        {"a": [{"cidr": "10.0.0.0/31"}]},
        {"a": [{"cidr": "10.0.0.0/+8"}]},
        {"a": [{"wildcard": "\\*\\\\"}]},
        {"a": [1e10, 123456789012345678901234567890]},
        {"prefix": ["outside $or a reserved word is just a field name"]},
        {"$or": [{"a": ["x"]}, {"$or": [{"b": ["y"]}, {"c": ["z"]}]}]},
        {"a": {"b": {"c": {"d": {"e": {"f": {"g": {"h": ["deep"]}}}}}}}},
    ],
)
def test_valid_edge_patterns_are_accepted(pattern: dict[str, Any] | str) -> None:
    Pattern(pattern)


def test_an_ip_address_first_octet_may_not_have_leading_zeros() -> None:
    with pytest.raises(PatternError, match="Invalid IP address"):
        Pattern({"a": [{"cidr": "010.0.0.0/8"}]})
