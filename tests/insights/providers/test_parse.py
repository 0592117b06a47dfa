"""parse_draft: what is accepted, what is repaired (and said so), what is rejected (and where)."""

from __future__ import annotations

import json
import time
from typing import Any

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.insights.providers.server import DRAFT
from vigila.insights.model import Draft
from vigila.insights.parse import MAX_INPUT_BYTES, parse_draft


def as_text(draft: dict[str, Any], **change: Any) -> str:
    return json.dumps(draft | change, ensure_ascii=False)


def test_strict_json(draft: dict) -> None:
    result = parse_draft(as_text(draft))
    assert result.draft == msgspec.convert(draft, Draft)
    assert (result.repaired, result.error, result.found, result.ok) == ([], None, "json", True)


def test_whitespace_around_strict_json(draft: dict) -> None:
    assert parse_draft(f"\n\n  {as_text(draft)}\n").found == "json"


@pytest.mark.parametrize("fence", ["```json\n", "```JSON\n", "```\n", "``` json \r\n"])
def test_fenced_json(draft: dict, fence: str) -> None:
    result = parse_draft(f"The insight:\n{fence}{json.dumps(draft, indent=2)}\n```\nDone.")
    assert result.ok and result.found == "fenced"


def test_prose_around_json(draft: dict) -> None:
    result = parse_draft(f"Based on the metrics, here's my analysis: {as_text(draft)}. Thanks!")
    assert result.ok and result.found == "prose"


@pytest.mark.parametrize(
    ("change", "field", "repair"),
    [
        ({"risk_score": 140}, "risk_score", "risk_score 140 clamped to 100"),
        ({"risk_score": -3}, "risk_score", "risk_score -3 clamped to 0"),
        ({"risk_score": 62.4}, "risk_score", "risk_score 62.4 rounded to 62"),
        ({"risk_score": 62.5}, "risk_score", "risk_score 62.5 rounded to 63"),
        ({"risk_score": 70.0}, "risk_score", "risk_score 70.0 rounded to 70"),
        ({"risk_score": 180.6}, "risk_score", "risk_score 180.6 rounded and clamped to 100"),
        ({"confidence": 1.5}, "confidence", "confidence 1.5 clamped to 1.0"),
        ({"confidence": 85}, "confidence", "confidence 85 clamped to 1.0"),
        ({"confidence": -0.2}, "confidence", "confidence -0.2 clamped to 0.0"),
    ],
)
def test_safe_repairs_are_made_and_recorded(
    draft: dict, change: dict, field: str, repair: str
) -> None:
    result = parse_draft(as_text(draft, **change))
    assert result.ok and result.repaired == [repair]
    assert 0 <= getattr(result.draft, field) <= 100


def test_recommendations_past_the_fourth_are_cut(draft: dict) -> None:
    recommendations = [f"Action {i}" for i in range(6)]
    result = parse_draft(as_text(draft, recommendations=recommendations))
    assert result.draft.recommendations == recommendations[:4]
    assert result.repaired == ["recommendations cut from 6 to 4"]


def test_several_repairs_are_all_recorded(draft: dict) -> None:
    result = parse_draft(
        as_text(draft, risk_score=101.2, confidence=2, recommendations=list("abcde"))
    )
    assert result.repaired == [
        "risk_score 101.2 rounded and clamped to 100",
        "confidence 2 clamped to 1.0",
        "recommendations cut from 5 to 4",
    ]


def test_integer_confidence_in_range_is_not_a_repair(draft: dict) -> None:
    result = parse_draft(as_text(draft, confidence=1))
    assert (result.draft.confidence, result.repaired) == (1.0, [])


@pytest.mark.parametrize(
    ("change", "where"),
    [
        ({"prediction_type": "solar_flare"}, "`$.prediction_type`"),
        ({"prediction_type": None}, "`$.prediction_type`"),
        ({"risk_score": "62"}, "`$.risk_score`"),
        ({"risk_score": True}, "`$.risk_score`"),
        ({"risk_score": None}, "`$.risk_score`"),
        ({"confidence": "high"}, "`$.confidence`"),
        ({"explanation": ""}, "`$.explanation`"),
        ({"explanation": "   "}, "`$.explanation`"),
        ({"explanation": "x" * 2001}, "`$.explanation`"),
        ({"explanation": ["a", "b"]}, "`$.explanation`"),
        ({"recommendations": ["Only one"]}, "`$.recommendations`"),
        ({"recommendations": []}, "`$.recommendations`"),
        ({"recommendations": ["Check firmware", 7]}, "`$.recommendations[1]`"),
        ({"recommendations": ["Check firmware", ""]}, "`$.recommendations[1]`"),
        ({"recommendations": ["Check firmware", " \n"]}, "`$.recommendations[1]`"),
        ({"recommendations": "Check firmware"}, "`$.recommendations`"),
        ({"severity": "high"}, "`severity`"),
    ],
)
def test_everything_else_is_rejected_with_the_field(draft: dict, change: dict, where: str) -> None:
    result = parse_draft(as_text(draft, **change))
    assert (result.draft, result.repaired) == (None, [])
    assert where in result.error


@pytest.mark.parametrize("field", ["prediction_type", "risk_score", "recommendations"])
def test_missing_field_is_named(draft: dict, field: str) -> None:
    del draft[field]
    assert parse_draft(json.dumps(draft)).error == f"Object missing required field `{field}`"


def test_repairs_are_not_reported_for_a_rejected_answer(draft: dict) -> None:
    result = parse_draft(as_text(draft, risk_score=140, prediction_type="solar_flare"))
    assert (result.draft, result.repaired) == (None, [])


@pytest.mark.parametrize("cut", [1, 40, 120, -1])
def test_truncated_json_is_rejected(draft: dict, cut: int) -> None:
    result = parse_draft(as_text(draft)[:cut])
    assert result.draft is None and "truncated" in result.error


def test_truncated_json_after_prose_says_where(draft: dict) -> None:
    error = parse_draft("Here: " + as_text(draft)[:50]).error
    assert error == "unreadable JSON at offset 6: Input data was truncated"


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("", "answer is empty"),
        (" \n\t", "answer is empty"),
        ("I cannot determine the risk.", "no JSON object in the answer"),
        ("[1, 2]", "expected a JSON object, got array"),
        ('"latency_spike"', "expected a JSON object, got string"),
        ("42", "expected a JSON object, got number"),
        ("null", "expected a JSON object, got null"),
    ],
)
def test_no_object(text: str, error: str) -> None:
    assert parse_draft(text).error == error


def test_a_wrapper_object_is_not_searched(draft: dict) -> None:
    result = parse_draft(json.dumps({"insight": draft}))
    assert result.error == "Object contains unknown field `insight`"


def test_braces_and_quotes_inside_strings(draft: dict) -> None:
    explanation = 'rule "{latency}" fired; pattern } { and \\ backslash \\" end'
    text = "Result: " + as_text(draft, explanation=explanation) + " }"
    result = parse_draft(text)
    assert result.ok and result.draft.explanation == explanation


def test_unbalanced_brace_in_prose_before_the_json(draft: dict) -> None:
    result = parse_draft(f"Latency rose {{sharply. The insight: {as_text(draft)}")
    assert result.ok and result.found == "prose"


def test_first_object_that_validates_wins(draft: dict) -> None:
    text = (
        f'Format: {{"risk_score": "0-100"}}. First: {as_text(draft, risk_score=10)} '
        f"second: {as_text(draft, risk_score=20)}"
    )
    assert parse_draft(text).draft.risk_score == 10


def test_fenced_block_wins_over_prose_objects(draft: dict) -> None:
    text = f"Example {as_text(draft, risk_score=5)}\n```json\n{as_text(draft, risk_score=77)}\n```"
    result = parse_draft(text)
    assert (result.draft.risk_score, result.found) == (77, "fenced")


def test_when_none_validates_the_first_objects_error_is_given(draft: dict) -> None:
    text = f"a {as_text(draft, risk_score='high')} b {as_text(draft, confidence='low')}"
    assert "`$.risk_score`" in parse_draft(text).error


def test_an_object_error_outranks_an_unreadable_fragment(draft: dict) -> None:
    text = f"see {{not json}} then {as_text(draft, prediction_type='x')}"
    assert "`$.prediction_type`" in parse_draft(text).error


def test_input_over_the_limit_is_refused_unread(draft: dict) -> None:
    text = as_text(draft) + " " * MAX_INPUT_BYTES
    assert parse_draft(text).error == (
        f"answer is {len(text)} bytes, over the 65536-byte limit; "
        "lower max_tokens or fix the prompt"
    )


def test_the_limit_counts_bytes_not_characters(draft: dict) -> None:
    text = as_text(draft, explanation="é" * 1000) + " " * (MAX_INPUT_BYTES - 1500)
    assert len(text) < MAX_INPUT_BYTES < len(text.encode())
    assert "over the 65536-byte limit" in parse_draft(text).error


def test_input_at_the_limit_is_read(draft: dict) -> None:
    body = as_text(draft)
    assert parse_draft(body + " " * (MAX_INPUT_BYTES - len(body))).ok


@pytest.mark.parametrize(
    "text",
    [
        "{}" * (MAX_INPUT_BYTES // 2),
        "{" * MAX_INPUT_BYTES,
        "}" * MAX_INPUT_BYTES,
        "[" * MAX_INPUT_BYTES,
        '{"a":' * (MAX_INPUT_BYTES // 5),
        '"' * MAX_INPUT_BYTES,
        "x{" + '\\"' * (MAX_INPUT_BYTES // 2 - 1),
        '{"risk_score": 1e400}',
    ],
)
def test_hostile_text_is_rejected_quickly(text: str) -> None:
    start = time.perf_counter()
    result = parse_draft(text)
    assert result.draft is None and result.error
    assert time.perf_counter() - start < 0.5


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from('{}[]":,\\ ax1\n`'), max_size=200))
def test_any_text_gives_a_result_not_an_exception(text: str) -> None:
    result = parse_draft(text)
    assert (result.draft is None) == (result.error is not None)


@settings(max_examples=100, deadline=None)
@given(prefix=st.text(max_size=40).filter(lambda s: "{" not in s), risk=st.integers(-500, 500))
def test_any_prose_before_a_draft_finds_it(prefix: str, risk: int) -> None:
    result = parse_draft(prefix + " " + as_text(DRAFT, risk_score=risk))
    assert result.ok and result.draft.risk_score == min(100, max(0, risk))
