"""Conformance: EventBridge / event-ruler pattern semantics, case by case.

Each case is (pattern, event, expected). They come from the EventBridge
"content filtering" and "event patterns" pages and event-ruler's README, and
from event-ruler's documented edge cases (numeric domain, array consistency,
`exists` on intermediate nodes). Every case also runs through a RuleSet, so
the index and the per-pattern matcher are held to the same answers.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

from vigila.rules import Pattern, RuleSet

Case = tuple[dict[str, Any] | str, dict[str, Any], bool]

EC2_EVENT = {
    "version": "0",
    "id": "ddddd4-aaaa-7777-4444-345dd43cc333",
    "detail-type": "EC2 Instance State-change Notification",
    "source": "aws.ec2",
    "account": "012345679012",
    "time": "2017-10-02T16:24:49Z",
    "region": "us-east-1",
    "resources": ["arn:aws:ec2:us-east-1:123456789012:instance/i-000000aaaaaa00000"],
    "detail": {
        "c-count": 5,
        "d-count": 3,
        "x-limit": 301.8,
        "source-ip": "10.0.0.33",
        "instance-id": "i-000000aaaaaa00000",
        "state": "running",
    },
}

EMPLOYEES = {
    "employees": [
        {"firstName": "John", "lastName": "Doe"},
        {"firstName": "Anna", "lastName": "Smith"},
        {"firstName": "Peter", "lastName": "Jones"},
    ]
}

EMPLOYEES_NESTED = {
    "employees": [
        [{"firstName": "John", "lastName": "Doe"}, {"firstName": "Anna", "lastName": "Smith"}],
        [{"firstName": "Peter", "lastName": "Jones"}],
    ]
}


def x(value: Any) -> dict[str, Any]:
    """An event with one field, `x`."""
    return {"x": value}


def px(*values: Any) -> dict[str, Any]:
    """A pattern on the one field `x`."""
    return {"x": list(values)}


EXACT: list[Case] = [
    ({"source": ["aws.ec2"]}, EC2_EVENT, True),
    ({"source": ["aws.ec3"]}, EC2_EVENT, False),
    ({"source": ["aws.ec2", "aws.fargate"]}, {"source": "aws.fargate"}, True),
    ({"source": ["aws.ec2"]}, {}, False),
    (
        {
            "detail-type": ["EC2 Instance State-change Notification"],
            "resources": ["arn:aws:ec2:us-east-1:123456789012:instance/i-000000aaaaaa00000"],
            "detail": {"state": ["initializing", "running"]},
        },
        EC2_EVENT,
        True,
    ),
    ({"detail": {"state": ["running"]}}, {"detail": "running"}, False),
    ({"detail": {"state": ["running"]}}, {"detail": {"state": "Running"}}, False),
    (px("5"), x(5), False),
    (px(5), x("5"), False),
    (px(5), x(5), True),
    (px(5), x(5.0), True),
    (px(5000), x(5e3), True),
    (px(5e3), x(5000), True),
    (px(5000.0), x(5000), True),
    (px(-7), x(-7.0), True),
    (px(0), x(-0.0), True),
    (px(301.8), x(301.80), True),
    (px(301.8), x(301.81), False),
    (px(True), x(True), True),
    (px(True), x("true"), False),
    (px(True), x(1), False),
    (px(False), x(False), True),
    (px(False), x(0), False),
    (px(False), x(None), False),
    (px(None), x(None), True),
    (px(None), {}, False),
    (px(None), x(""), False),
    (px(None), x("null"), False),
    (px(""), x(""), True),
    (px(""), x(None), False),
    (px(""), {}, False),
    (px(""), x(" "), False),
    (px("café"), x("café"), True),
    (px("café"), x("cafe\u0301"), False),
    (px("a"), x(["b", "a"]), True),
    (px("a"), x(["b", "c"]), False),
    (px("a"), x([]), False),
    (px(3), x([[1, 2], [3]]), True),
    ({"a": ["1"], "b": ["2"]}, {"a": "1", "b": "2"}, True),
    ({"a": ["1"], "b": ["2"]}, {"a": "1", "b": "3"}, False),
    ({"a": ["1"], "b": ["2"]}, {"a": "1"}, False),
    ({"a": {"b": {"c": {"d": {"e": ["deep"]}}}}}, {"a": {"b": {"c": {"d": {"e": "deep"}}}}}, True),
    ({"a": {"b": {"c": {"d": {"e": ["deep"]}}}}}, {"a": {"b": {"c": {"d": "deep"}}}}, False),
    # Beyond +/-5e9 numbers compare by their float64 value...
    ({"account": [123456789012]}, {"account": 123456789012}, True),
    ({"account": [123456789012]}, {"account": 123456789013}, False),
    ({"account": [123456789012]}, {"account": 123456789012.0}, True),
    ({"account": [123456789012]}, {"account": "123456789012"}, False),
    (px(1e10), x(1e10), True),
    (px(1e10), x(10_000_000_000), True),
    (px(2**53), x(2**53 + 1), True),  # the same float64
    (px(2**53), x(2**53 + 2), False),
    # ...and within it those with more than six decimals match the same literal only.
    (px(0.1234567), x(0.1234567), True),
    (px(0.1234567), x(0.1234568), False),
    # An IP address in a value list matches the same address in any spelling.
    ({"ip": ["10.0.0.1"]}, {"ip": "10.0.0.1"}, True),
    ({"ip": ["10.0.0.1"]}, {"ip": "10.0.0.2"}, False),
    ({"ip": ["2001:db8::1"]}, {"ip": "2001:DB8:0:0:0:0:0:1"}, True),
    ({"ip": ["2001:db8::1"]}, {"ip": "2001:db8::2"}, False),
    # Dots join keys, in patterns and events alike.
    ({"a.b": ["x"]}, {"a": {"b": "x"}}, True),
    ({"a": {"b": ["x"]}}, {"a.b": "x"}, True),
    ({"a": {"b": ["x"]}}, {"a.b": "y", "a": {"b": "x"}}, True),
    ('{"a": ["x"], "a": ["y"]}', {"a": "y"}, True),
    ('{"a": ["x"], "a": ["y"]}', {"a": "x"}, False),
    ('{"x": [1.0000000]}', x(1), True),
]

PREFIX: list[Case] = [
    ({"time": [{"prefix": "2017-10-02"}]}, EC2_EVENT, True),
    ({"time": [{"prefix": "2017-10-03"}]}, EC2_EVENT, False),
    (px({"prefix": "pay"}), x("payment"), True),
    (px({"prefix": "pay"}), x("pa"), False),
    (px({"prefix": "pay"}), x("Payment"), False),
    (px({"prefix": "pay"}), x(["refund", "payout"]), True),
    (px({"prefix": "5"}), x(54), False),
    (px({"prefix": "n"}), x(None), False),
    (px({"prefix": ""}), x("anything"), True),
    (px({"prefix": ""}), x(""), True),
    (px({"prefix": ""}), x(0), False),
    (px({"prefix": "é"}), x("été"), True),
    (px({"prefix": {"equals-ignore-case": "EventB"}}), x("eventbridge"), True),
    (px({"prefix": {"equals-ignore-case": "EventB"}}), x("EVENTBRIDGE"), True),
    (px({"prefix": {"equals-ignore-case": "EventB"}}), x("Event"), False),
    (px({"prefix": {"equals-ignore-case": "EventB"}}), x(5), False),
    (px({"prefix": {"equals-ignore-case": "straße"}}), x("STRASSENBAHN"), True),
]

SUFFIX: list[Case] = [
    ({"FileName": [{"suffix": ".png"}]}, {"FileName": "image.png"}, True),
    ({"FileName": [{"suffix": ".png"}]}, {"FileName": "image.PNG"}, False),
    ({"FileName": [{"suffix": ".png"}]}, {"FileName": "png"}, False),
    ({"FileName": [{"suffix": ".png"}]}, {"FileName": ".png"}, True),
    (px({"suffix": "ec2"}), x(["aws.ec2", "x"]), True),
    (px({"suffix": "2"}), x(2), False),
    (px({"suffix": ""}), x("anything"), True),
    (px({"suffix": ""}), x(None), False),
    (px({"suffix": {"equals-ignore-case": ".png"}}), x("IMAGE.PNG"), True),
    (px({"suffix": {"equals-ignore-case": ".png"}}), x("image.jpg"), False),
    (px({"suffix": {"equals-ignore-case": "tbridge"}}), x("EventBridge"), True),
    (px({"suffix": {"equals-ignore-case": "É"}}), x("café"), True),
]

EQUALS_IGNORE_CASE: list[Case] = [
    ({"source": [{"equals-ignore-case": "EC2"}]}, {"source": "ec2"}, True),
    (px({"equals-ignore-case": "alice"}), x("ALICE"), True),
    (px({"equals-ignore-case": "alice"}), x("Alice"), True),
    (px({"equals-ignore-case": "alice"}), x("alicia"), False),
    (px({"equals-ignore-case": "alice"}), x("alic"), False),
    (px({"equals-ignore-case": "5"}), x(5), False),
    (px({"equals-ignore-case": ""}), x(""), True),
    (px({"equals-ignore-case": ""}), x("a"), False),
    (px({"equals-ignore-case": "Émile"}), x("ÉMILE"), True),
    (px({"equals-ignore-case": "Émile"}), x("émile"), True),
    # Each pattern character stands for its lower- and upper-case spellings only:
    # "ß" is "ß" or "SS", never "ss"; "SS" is any casing of two s.
    (px({"equals-ignore-case": "ß"}), x("SS"), True),
    (px({"equals-ignore-case": "ß"}), x("ß"), True),
    (px({"equals-ignore-case": "ß"}), x("ss"), False),
    (px({"equals-ignore-case": "STRASSE"}), x("strasse"), True),
    (px({"equals-ignore-case": "STRASSE"}), x("straße"), False),
    (px({"equals-ignore-case": "\u03a3"}), x("\u03c3"), True),  # capital, small sigma
    (px({"equals-ignore-case": "\u03a3"}), x("\u03c2"), False),  # final sigma
    (px({"equals-ignore-case": "\u03c2"}), x("\u03a3"), True),
    (px({"equals-ignore-case": "k"}), x("\u212a"), False),
    (px({"equals-ignore-case": "\u212a"}), x("k"), True),
    (px({"equals-ignore-case": "İ"}), x("i\u0307"), True),
    (px({"equals-ignore-case": "İ"}), x("i"), False),
    (px({"equals-ignore-case": "i"}), x("İ"), False),
    (px({"equals-ignore-case": "ÆSIR"}), x("æsir"), True),
    (px({"equals-ignore-case": "\U00010400"}), x("\U00010428"), False),
    (px({"equals-ignore-case": "\U00010400"}), x("\U00010400"), True),
]

WILDCARD: list[Case] = [
    (px({"wildcard": "*.png"}), x("a.png"), True),
    (px({"wildcard": "*.png"}), x(".png"), True),
    (px({"wildcard": "*.png"}), x("a.PNG"), False),
    (px({"wildcard": "dir/*.png"}), x("dir/a/b.png"), True),
    (px({"wildcard": "dir/*.png"}), x("other/a.png"), False),
    (px({"wildcard": "Simple*Service"}), x("SimpleQueueService"), True),
    (px({"wildcard": "Simple*Service"}), x("SimpleService"), True),
    (px({"wildcard": "a*b*c"}), x("abc"), True),
    (px({"wildcard": "a*b*c"}), x("aXbYc"), True),
    (px({"wildcard": "a*b*c"}), x("acb"), False),
    (px({"wildcard": "ab*ba"}), x("aba"), False),
    (px({"wildcard": "abc"}), x("abc"), True),
    (px({"wildcard": "abc"}), x("abcd"), False),
    (px({"wildcard": "*"}), x(""), True),
    (px({"wildcard": "*"}), x("anything"), True),
    (px({"wildcard": "*"}), x(5), False),
    (px({"wildcard": "*"}), x(None), False),
    (px({"wildcard": ""}), x(""), True),
    (px({"wildcard": ""}), x("a"), False),
    (px({"wildcard": "a*b"}), x("a\nb"), True),
    (px({"wildcard": "a\\*b"}), x("a*b"), True),
    (px({"wildcard": "a\\*b"}), x("aXb"), False),
    (px({"wildcard": "\\**"}), x("*star"), True),
    (px({"wildcard": "\\**"}), x("star"), False),
    (px({"wildcard": "a\\\\b"}), x("a\\b"), True),
    (px({"wildcard": "a\\\\*"}), x("a\\bc"), True),
    (px({"wildcard": "*.[ch]"}), x("main.[ch]"), True),
    (px({"wildcard": "*.[ch]"}), x("main.c"), False),
]

ANYTHING_BUT: list[Case] = [
    ({"detail": {"state": [{"anything-but": "initializing"}]}}, EC2_EVENT, True),
    ({"detail": {"state": [{"anything-but": "running"}]}}, EC2_EVENT, False),
    (px({"anything-but": "initializing"}), {}, False),
    (px({"anything-but": "initializing"}), x(None), True),
    (px({"anything-but": "initializing"}), x(5), True),
    (px({"anything-but": "initializing"}), x(True), True),
    (px({"anything-but": "initializing"}), x("Initializing"), True),
    (px({"anything-but": 123}), x(123), False),
    (px({"anything-but": 123}), x(123.0), False),
    (px({"anything-but": 123}), x(1.23e2), False),
    (px({"anything-but": 123}), x(124), True),
    (px({"anything-but": 123}), x("123"), True),
    (px({"anything-but": 100}), x(1e10), True),
    (px({"anything-but": ["stopped", "overloaded"]}), x("stopped"), False),
    (px({"anything-but": ["stopped", "overloaded"]}), x("running"), True),
    (px({"anything-but": [100, 200, 300]}), x(200), False),
    (px({"anything-but": [100, 200, 300]}), x(200.0), False),
    (px({"anything-but": [100, 200, 300]}), x(250), True),
    (px({"anything-but": [100, 200, 300]}), x("200"), True),
    (px({"anything-but": "stopped"}), x(["stopped", "running"]), True),
    (px({"anything-but": "stopped"}), x(["stopped"]), False),
    (px({"anything-but": "stopped"}), x([]), False),
    (px({"anything-but": ""}), x(""), False),
    (px({"anything-but": ""}), x("x"), True),
    (px({"anything-but": {"prefix": "init"}}), x("initializing"), False),
    (px({"anything-but": {"prefix": "init"}}), x("running"), True),
    (px({"anything-but": {"prefix": "init"}}), x(5), True),
    (px({"anything-but": {"prefix": "init"}}), x(None), True),
    (px({"anything-but": {"prefix": ["init", "stop"]}}), x("stopped"), False),
    (px({"anything-but": {"prefix": ["init", "stop"]}}), x("running"), True),
    (px({"anything-but": {"suffix": ".png"}}), x("a.png"), False),
    (px({"anything-but": {"suffix": ".png"}}), x("a.jpg"), True),
    (px({"anything-but": {"suffix": [".txt", ".rtf"]}}), x("doc.rtf"), False),
    (px({"anything-but": {"equals-ignore-case": "initializing"}}), x("INITIALIZING"), False),
    (px({"anything-but": {"equals-ignore-case": "initializing"}}), x("running"), True),
    (px({"anything-but": {"equals-ignore-case": "initializing"}}), x(7), True),
    (px({"anything-but": {"equals-ignore-case": ["a", "B"]}}), x("b"), False),
    (px({"anything-but": {"equals-ignore-case": []}}), x("a"), True),
    (px({"anything-but": {"wildcard": "*/lib/*"}}), x("/usr/lib/x"), False),
    (px({"anything-but": {"wildcard": "*/lib/*"}}), x("/usr/bin/x"), True),
    (px({"anything-but": {"wildcard": "*/lib/*"}}), x(7), True),
    (px({"anything-but": {"wildcard": ["*.png", "*.jpg"]}}), x("a.jpg"), False),
    (px({"anything-but": {"wildcard": ["*.png", "*.jpg"]}}), x("a.gif"), True),
]

NUMERIC: list[Case] = [
    (
        {
            "detail": {
                "c-count": [{"numeric": [">", 0, "<=", 5]}],
                "d-count": [{"numeric": ["<", 10]}],
                "x-limit": [{"numeric": ["=", 3.018e2]}],
            }
        },
        EC2_EVENT,
        True,
    ),
    (px({"numeric": [">", 0, "<=", 5]}), x(5), True),
    (px({"numeric": [">", 0, "<=", 5]}), x(0), False),
    (px({"numeric": [">", 0, "<=", 5]}), x(0.000001), True),
    (px({"numeric": [">", 0, "<=", 5]}), x(5.000001), False),
    (px({"numeric": [">", 0, "<=", 5]}), x("3"), False),
    (px({"numeric": [">", 0, "<=", 5]}), x(None), False),
    (px({"numeric": [">", 0, "<=", 5]}), x(True), False),
    (px({"numeric": [">", 0, "<=", 5]}), {}, False),
    (px({"numeric": ["<", 10]}), x(9.999999), True),
    (px({"numeric": ["<", 10]}), x(10), False),
    (px({"numeric": ["<", 10]}), x(-5e9), True),
    (px({"numeric": ["<=", 5]}), x(5), True),
    (px({"numeric": ["<=", 5]}), x(5.000001), False),
    (px({"numeric": [">=", 5]}), x(5), True),
    (px({"numeric": [">=", 5]}), x(4.999999), False),
    (px({"numeric": [">", 5]}), x(5), False),
    (px({"numeric": [">", 5]}), x(5.000001), True),
    (px({"numeric": ["=", 3.018e2]}), x(301.8), True),
    (px({"numeric": ["=", 3.018e2]}), x(301.80), True),
    (px({"numeric": ["=", 5000]}), x(5e3), True),
    (px({"numeric": ["=", 5000]}), x(5000.0), True),
    (px({"numeric": ["=", 5e3]}), x(5000), True),
    (px({"numeric": [">", 5, "<", 6]}), x(5.5), True),
    (px({"numeric": [">", 5, "<", 6]}), x(6), False),
    (px({"numeric": [">=", 5, "<=", 5.000001]}), x(5.000001), True),
    (px({"numeric": [">", 5, "<", 5.000001]}), x(5), False),
    (px({"numeric": ["<", 5]}), x([20, 1]), True),
    (px({"numeric": ["<", 5]}), x([20, 10]), False),
    (px({"numeric": [">", 1]}), x(Decimal("1.5")), True),
    (px({"numeric": [">", 0]}), x(1e-6), True),
    # Within -5e9..5e9 numbers compare exactly with six decimal places; others never do.
    (px({"numeric": [">", 0]}), x(5e9), True),
    (px({"numeric": ["<", 0]}), x(-5e9), True),
    (px({"numeric": [">", 0]}), x(1e-7), False),
    (px({"numeric": [">=", 0]}), x(0.0000001), False),
    (px({"numeric": [">", 1]}), x(1.1234567), False),
    (px({"numeric": [">", 0.000001]}), x(0.000001), False),
    (px({"numeric": [">", 0.000001]}), x(0.000002), True),
    (px({"numeric": ["<", 4999999999.999999]}), x(4999999999), True),
    ('{"x": [{"numeric": ["=", 1.50000000]}]}', x(1.5), True),
    # Beyond it numbers compare as float64, up to +/-1.7976931348623157e308.
    (px({"numeric": [">", 0]}), x(5_000_000_001), True),
    (px({"numeric": ["<", 0]}), x(-5_000_000_001), True),
    (px({"numeric": [">", 5e9]}), x(5e9), False),
    (px({"numeric": [">", 5e9]}), x(5000000000.000001), True),
    (px({"numeric": [">=", 5e9]}), x(5e9), True),
    (px({"numeric": ["<", -5e9]}), x(-5000000000.000001), True),
    (px({"numeric": ["<", -5e9]}), x(-5e9), False),
    (px({"numeric": [">", 4e11]}), x(400_000_000_001), True),  # a 400 Gb/s port's bits
    (px({"numeric": [">", 4e11]}), x(4e11), False),
    (px({"numeric": [">=", 1e15, "<", 1e16]}), x(1234567890123456), True),
    (px({"numeric": ["=", 1e308]}), x(1e308), True),
    (px({"numeric": [">", 1e308]}), x(1.7976931348623157e308), True),
    (px({"numeric": ["<", -1e308]}), x(-1.7976931348623157e308), True),
    (px({"numeric": [">", 1.7976931348623157e308]}), x(float("inf")), False),
    (px({"numeric": ["<", 0]}), x(float("-inf")), False),
    (px({"numeric": [">", 0]}), x(float("nan")), False),
    (px({"numeric": [">", 2**53]}), x(2**53 + 1), False),  # the same float64
    (px({"numeric": [">", 2**53]}), x(2**53 + 2), True),
    (px({"numeric": [">", 1e20]}), x(10**400), False),  # past float64: no value to compare
    (px({"numeric": [">", 1e20]}), x(Decimal("1e21")), True),
    ('{"x": [{"numeric": [">", 5000000000.5]}]}', x(5000000000.75), True),
    ('{"x": [{"numeric": [">", 5000000000.0000001]}]}', x(5000000000.000001), True),
    (px({"anything-but": [1e10, 3e20]}), x(10_000_000_000), False),
    (px({"anything-but": [1e10, 3e20]}), x(3e20), False),
    (px({"anything-but": [1e10, 3e20]}), x(2e20), True),
]

EXISTS: list[Case] = [
    (px({"exists": True}), x(1), True),
    (px({"exists": True}), {}, False),
    (px({"exists": True}), x(None), True),
    (px({"exists": True}), x(""), True),
    (px({"exists": True}), x([]), False),
    (px({"exists": True}), x([None]), True),
    (px({"exists": True}), x({"inner": 1}), False),
    (px({"exists": False}), x(1), False),
    (px({"exists": False}), {}, True),
    (px({"exists": False}), x(None), False),
    (px({"exists": False}), x([]), True),
    (px({"exists": False}), x({"inner": 1}), True),
    ({"detail": {"c-count": [{"exists": False}]}}, {"detail": {"state": "x"}}, True),
    ({"detail": {"c-count": [{"exists": False}]}}, {"detail": {"c-count": {"c1": 100}}}, True),
    ({"detail": {"c-count": [{"exists": False}]}}, {}, True),
    ({"detail": {"c-count": [{"exists": False}]}}, {"detail": {"c-count": 0}}, False),
    ({"detail": {"state": [{"exists": True}]}}, {"detail": {"c-count": {"c1": 100}}}, False),
    ({"a": ["x"], "b": [{"exists": False}]}, {"a": "x"}, True),
    ({"a": ["x"], "b": [{"exists": False}]}, {"a": "x", "b": 1}, False),
    ({"a": ["x"], "b": [{"exists": False}]}, {"b": 1}, False),
    (px({"exists": False}, "y"), {}, True),
    (px({"exists": False}, "y"), x("y"), True),
    (px({"exists": False}, "y"), x("z"), False),
    (px({"exists": True}, {"exists": False}), {}, True),
    ({"a": {"b": [{"exists": True}]}}, {"a": [{"c": 1}, {"b": 2}]}, True),
    ({"a": {"b": [{"exists": False}]}}, {"a": [{"c": 1}, {"b": 2}]}, False),
    ({"a": {"b": [{"exists": False}]}}, {"a": [{"c": 1}, {"c": 2}]}, True),
]

CIDR: list[Case] = [
    ({"detail": {"source-ip": [{"cidr": "10.0.0.0/24"}]}}, EC2_EVENT, True),
    (px({"cidr": "10.0.0.0/24"}), x("10.0.0.0"), True),
    (px({"cidr": "10.0.0.0/24"}), x("10.0.0.255"), True),
    (px({"cidr": "10.0.0.0/24"}), x("10.0.1.0"), False),
    (px({"cidr": "10.0.0.0/24"}), x("9.255.255.255"), False),
    (px({"cidr": "10.0.0.0/24"}), x("10.0.0.256"), False),
    (px({"cidr": "10.0.0.0/24"}), x("10.0.0.01"), False),
    (px({"cidr": "10.0.0.0/24"}), x(" 10.0.0.1"), False),
    (px({"cidr": "10.0.0.0/24"}), x(167772161), False),
    (px({"cidr": "10.0.0.0/24"}), x(["8.8.8.8", "10.0.0.9"]), True),
    (px({"cidr": "10.0.0.77/24"}), x("10.0.0.1"), True),
    (px({"cidr": "0.0.0.0/0"}), x("255.255.255.255"), True),
    (px({"cidr": "0.0.0.0/0"}), x("::1"), False),
    (px({"cidr": "10.0.0.0/31"}), x("10.0.0.1"), True),
    (px({"cidr": "10.0.0.0/31"}), x("10.0.0.2"), False),
    (px({"cidr": "192.168.0.0/16"}), x("192.167.255.255"), False),
    (px({"cidr": "192.168.0.0/16"}), x("192.168.255.255"), True),
    (px({"cidr": "192.168.0.0/16"}), x("192.169.0.0"), False),
    (px({"cidr": "128.0.0.0/1"}), x("127.255.255.255"), False),
    (px({"cidr": "128.0.0.0/1"}), x("128.0.0.0"), True),
    (px({"cidr": "10.0.0.0/24"}), x("::ffff:a00:5"), True),
    (px({"cidr": "10.0.0.0/24"}), x("::ffff:10.0.0.5"), False),
    (px({"cidr": "2001:db8::/32"}), x("2001:db8:ffff::1"), True),
    (px({"cidr": "2001:db8::/32"}), x("2001:DB8::5"), True),
    (px({"cidr": "2001:db8::/32"}), x("2001:db9::"), False),
    (px({"cidr": "2001:db8::/32"}), x("10.0.0.1"), False),
    (px({"cidr": "2001:db8::/127"}), x("2001:db8::1"), True),
    (px({"cidr": "2001:db8::/127"}), x("2001:db8::2"), False),
    (px({"cidr": "::/0"}), x("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), True),
]

OR: list[Case] = [
    (
        {
            "source": ["aws.cloudwatch"],
            "$or": [{"metricName": ["CPU"]}, {"namespace": ["AWS/EC2"]}],
        },
        {"source": "aws.cloudwatch", "namespace": "AWS/EC2"},
        True,
    ),
    (
        {
            "source": ["aws.cloudwatch"],
            "$or": [{"metricName": ["CPU"]}, {"namespace": ["AWS/EC2"]}],
        },
        {"source": "aws.cloudwatch"},
        False,
    ),
    (
        {
            "source": ["aws.cloudwatch"],
            "$or": [{"metricName": ["CPU"]}, {"namespace": ["AWS/EC2"]}],
        },
        {"source": "aws.ec2", "metricName": "CPU"},
        False,
    ),
    ({"detail": {"$or": [{"a": [1]}, {"b": [2]}]}}, {"detail": {"b": 2}}, True),
    ({"detail": {"$or": [{"a": [1]}, {"b": [2]}]}}, {"b": 2}, False),
    (
        {
            "$or": [{"metricName": ["CPU"]}, {"namespace": ["AWS/EC2"]}],
            "detail": {"$or": [{"source": ["cw"]}, {"detail-type": ["Alarm"]}]},
        },
        {"namespace": "AWS/EC2", "detail": {"detail-type": "Alarm"}},
        True,
    ),
    (
        {
            "$or": [{"metricName": ["CPU"]}, {"namespace": ["AWS/EC2"]}],
            "detail": {"$or": [{"source": ["cw"]}, {"detail-type": ["Alarm"]}]},
        },
        {"namespace": "AWS/EC2", "detail": {"detail-type": "OK"}},
        False,
    ),
    (
        {
            "source": ["aws.cloudwatch"],
            "$or": [
                {"metricName": ["CPU"]},
                {"metricType": ["MetricType"], "namespace": ["AWS/EC2"]},
                {"scope": ["Service"]},
            ],
        },
        {"source": "aws.cloudwatch", "metricType": "MetricType", "namespace": "AWS/EC2"},
        True,
    ),
    (
        {
            "source": ["aws.cloudwatch"],
            "$or": [
                {"metricName": ["CPU"]},
                {"metricType": ["MetricType"], "namespace": ["AWS/EC2"]},
                {"scope": ["Service"]},
            ],
        },
        {"source": "aws.cloudwatch", "metricType": "MetricType"},
        False,
    ),
    (
        {
            "source": ["aws.cloudwatch"],
            "$or": [
                {"metricName": ["CPU"]},
                {
                    "metricType": ["MetricType"],
                    "$or": [{"metricId": [1234]}, {"spaceId": [1000]}],
                },
            ],
        },
        {"source": "aws.cloudwatch", "metricType": "MetricType", "spaceId": 1000},
        True,
    ),
    (
        {"$or": [{"a": [{"numeric": [">", 10]}]}, {"b": [{"prefix": "x"}]}]},
        {"a": 5, "b": "xyz"},
        True,
    ),
    ({"$or": [{"a": [{"exists": False}]}, {"b": ["y"]}]}, {"b": "n"}, True),
    ({"$or": [{"a": [{"exists": False}]}, {"b": ["y"]}]}, {"a": 1, "b": "n"}, False),
    # A field inside an alternative overrides the same field outside it.
    ({"a": [1], "$or": [{"a": [2]}, {"b": [3]}]}, {"a": 2}, True),
    ({"a": [1], "$or": [{"a": [2]}, {"b": [3]}]}, {"a": 1, "b": 3}, True),
    ({"a": [1], "$or": [{"a": [2]}, {"b": [3]}]}, {"a": 1}, False),
    ({"$or": [{"x": {"y": ["1"]}}, {"x": {"z": ["2"]}}]}, {"x": {"z": "2"}}, True),
]

ARRAYS: list[Case] = [
    ({"employees": {"firstName": ["Anna"]}}, EMPLOYEES, True),
    ({"employees": {"firstName": ["Anna"]}}, EMPLOYEES_NESTED, True),
    ({"employees": {"firstName": ["Anna"], "lastName": ["Smith"]}}, EMPLOYEES, True),
    # Fields matched in different elements of one array do not match together.
    ({"employees": {"firstName": ["Anna"], "lastName": ["Jones"]}}, EMPLOYEES, False),
    ({"employees": {"firstName": ["Anna"], "lastName": ["Jones"]}}, EMPLOYEES_NESTED, False),
    ({"employees": {"firstName": ["John"], "lastName": ["Doe"]}}, EMPLOYEES_NESTED, True),
    (
        {"employees": {"firstName": ["Anna", "Peter"], "lastName": ["Jones"]}},
        EMPLOYEES,
        True,
    ),
    ({"dept": ["x"], "employees": {"firstName": ["Anna"]}}, {"dept": "x", **EMPLOYEES}, True),
    ({"a": {"x": [1]}, "b": {"y": [2]}}, {"a": [{"x": 1}], "b": [{"y": 2}]}, True),
    ({"a": {"x": [1], "y": [2]}}, {"a": [{"x": 1, "y": 3}, {"x": 4, "y": 2}]}, False),
    ({"a": {"x": [1], "y": [2]}}, {"a": [{"x": 1, "y": 3}, {"x": 1, "y": 2}]}, True),
    ({"a": {"x": [1], "y": [{"numeric": [">", 1]}]}}, {"a": [{"x": 1, "y": 0}, {"y": 5}]}, False),
    ({"a": [1], "a.b": [2]}, {"a": [1, {"b": 2}]}, False),
    ({"a": {"b": {"c": ["x"]}, "d": ["y"]}}, {"a": [{"b": [{"c": "x"}], "d": "y"}]}, True),
    ({"a": {"b": {"c": ["x"]}, "d": ["y"]}}, {"a": [{"b": [{"c": "x"}]}, {"d": "y"}]}, False),
    # exists: false is checked against the fields event-ruler takes before it
    # (paths in order): a.c comes before a.d, so a.d in another element is absent...
    ({"a": {"c": [1], "d": [{"exists": False}]}}, {"a": [{"c": 1}, {"d": 2}]}, True),
    ({"a": {"c": [1], "d": [{"exists": False}]}}, {"a": [{"c": 1, "d": 2}]}, False),
    # ...while a.b comes before a.c, so any a.b anywhere counts as present.
    ({"a": {"c": [1], "b": [{"exists": False}]}}, {"a": [{"c": 1}, {"b": 2}]}, False),
    ({"a": {"c": [1], "b": [{"exists": False}]}}, {"a": [{"c": 1}, {"c": 2}]}, True),
]

ALL = {
    "exact": EXACT,
    "prefix": PREFIX,
    "suffix": SUFFIX,
    "equals-ignore-case": EQUALS_IGNORE_CASE,
    "wildcard": WILDCARD,
    "anything-but": ANYTHING_BUT,
    "numeric": NUMERIC,
    "exists": EXISTS,
    "cidr": CIDR,
    "$or": OR,
    "arrays": ARRAYS,
}

CASES = [
    pytest.param(pattern, event, expected, id=f"{group}-{index}")
    for group, cases in ALL.items()
    for index, (pattern, event, expected) in enumerate(cases)
]


def test_the_suite_is_large() -> None:
    assert len(CASES) >= 200


@pytest.mark.parametrize(("pattern", "event", "expected"), CASES)
def test_pattern(pattern: dict[str, Any] | str, event: dict[str, Any], expected: bool) -> None:
    compiled = Pattern(pattern)
    assert compiled.matches(event) is expected
    assert (compiled.explain(event) is None) is expected


@pytest.mark.parametrize(("pattern", "event", "expected"), CASES)
def test_ruleset(pattern: dict[str, Any] | str, event: dict[str, Any], expected: bool) -> None:
    rules = RuleSet()
    rules.add("rule", pattern)
    assert rules.matches(event) == (["rule"] if expected else [])


@pytest.mark.parametrize(("pattern", "event", "expected"), CASES)
def test_json_text(pattern: dict[str, Any] | str, event: dict[str, Any], expected: bool) -> None:
    """A pattern given as JSON text behaves as the same pattern given as a dict."""
    text = pattern if isinstance(pattern, str) else json.dumps(pattern)
    assert Pattern(text).matches(event) is expected
