"""Hostile input: deep, huge or malformed patterns and events fail clearly, never crash."""

from __future__ import annotations

import datetime
import json
from typing import Any

import pytest

from vigila.rules import Pattern, PatternError, RuleSet


def nested(depth: int, leaf: Any) -> dict[str, Any]:
    node: Any = leaf
    for _ in range(depth):
        node = {"k": node}
    return node  # type: ignore[no-any-return]


def test_a_very_deep_pattern_is_refused() -> None:
    with pytest.raises(PatternError, match="deeper than"):
        Pattern(nested(500, ["x"]))


def test_a_very_deep_pattern_given_as_json_is_refused() -> None:
    text = '{"k":' * 5000 + '["x"]' + "}" * 5000
    with pytest.raises(PatternError, match=r"deeper than|not valid JSON"):
        Pattern(text)


def test_a_pattern_nested_within_the_limit_matches() -> None:
    pattern = Pattern(nested(60, ["x"]))
    assert pattern.matches(nested(60, "x"))
    assert not pattern.matches(nested(59, "x"))


def test_or_that_multiplies_beyond_the_limit_is_refused() -> None:
    pattern: dict[str, Any] = {}
    for i in range(12):
        pattern[f"f{i}"] = {"$or": [{"a": ["1"]}, {"b": ["2"]}]}
    with pytest.raises(PatternError, match=r"more than 1024 branches"):
        Pattern(pattern)


@pytest.mark.parametrize("event", [None, [], "{}", 5, ("a",), {"source"}])
def test_an_event_that_is_not_a_dict_is_a_type_error(event: Any) -> None:
    with pytest.raises(TypeError, match="must be a dict"):
        Pattern({"source": ["x"]}).matches(event)
    rules = RuleSet()
    rules.add("r", {"source": ["x"]})
    with pytest.raises(TypeError, match="must be a dict"):
        rules.matches(event)


def test_a_non_json_value_on_a_pattern_path_is_a_type_error() -> None:
    event = {"time": datetime.datetime(2025, 1, 1)}
    with pytest.raises(TypeError, match="time"):
        Pattern({"time": [{"prefix": "2025"}]}).matches(event)
    rules = RuleSet()
    rules.add("r", {"time": [{"prefix": "2025"}]})
    with pytest.raises(TypeError, match="time"):
        rules.matches(event)


def test_non_json_values_off_the_pattern_paths_are_ignored() -> None:
    event = {"source": "x", "blob": object(), "when": datetime.date.today()}
    assert Pattern({"source": ["x"]}).matches(event)


def test_deeply_nested_arrays_in_an_event_are_refused_clearly() -> None:
    value: Any = "x"
    for _ in range(5000):
        value = [value]
    with pytest.raises(ValueError, match="deeper than"):
        Pattern({"a": ["x"]}).matches({"a": value})


def test_a_deep_event_is_only_walked_along_pattern_paths() -> None:
    event = {"source": "x", "other": nested(100_000, "leaf")}
    assert Pattern({"source": ["x"]}).matches(event)
    rules = RuleSet()
    rules.add("r", {"source": ["x"]})
    assert rules.matches(event) == ["r"]


def test_huge_arrays_match_in_linear_time() -> None:
    event = {"resources": [f"arn:{i}" for i in range(200_000)] + ["needle"]}
    pattern = {"resources": ["needle"]}
    assert Pattern(pattern).matches(event)
    rules = RuleSet()
    rules.add("r", pattern)
    assert rules.matches(event) == ["r"]


def test_huge_arrays_of_objects_match() -> None:
    event = {"items": [{"sku": f"s{i}", "qty": i} for i in range(20_000)]}
    pattern = {"items": {"sku": ["s19999"], "qty": [19_999]}}
    assert Pattern(pattern).matches(event)
    assert not Pattern({"items": {"sku": ["s1"], "qty": [2]}}).matches(event)
    rules = RuleSet()
    rules.add("r", pattern)
    assert rules.matches(event) == ["r"]


def test_very_long_strings() -> None:
    text = "a" * 1_000_000
    assert Pattern({"x": [{"prefix": "aaa"}]}).matches({"x": text})
    assert Pattern({"x": [{"wildcard": "*a*a"}]}).matches({"x": text})
    assert Pattern({"x": [{"equals-ignore-case": text.upper()}]}).matches({"x": text})


def test_a_huge_rule_set_of_one_shape() -> None:
    rules = RuleSet()
    for i in range(20_000):
        rules.add(f"r{i}", {"id": [f"e{i}"]})
    assert rules.matches({"id": "e12345"}) == ["r12345"]
    assert rules.matches({"id": ["e1", "e2"]}) == ["r1", "r2"]


def test_keys_that_are_not_strings_are_ignored_in_events() -> None:
    assert Pattern({"a": ["x"]}).matches({"a": "x", 1: "y", None: "z"})


def test_pattern_json_with_control_characters() -> None:
    pattern = Pattern(json.dumps({"a\nb": ["\u0000"]}))
    assert pattern.matches({"a\nb": "\u0000"})
