"""Strict parsing of an LLM's answer into a `Draft`: find the JSON, repair only what is safe.

Where the JSON is looked for, in order:

1. the whole text, when it is JSON: it is then judged as it stands;
2. the contents of fenced blocks (```` ```json … ``` ````), in order;
3. every outermost balanced `{…}` in the text, in order of appearance
   (braces inside JSON strings do not count).

The first candidate that validates wins (only the first 64 are tried). When
none does, the error is that of the first candidate that was a JSON object,
else why nothing could be read.

Safe repairs, each recorded: a float `risk_score` is rounded, `risk_score` is
clamped into 0..100, `confidence` into 0..1, and recommendations past the fourth
are dropped. Anything else that does not match `Draft` is rejected, with the
JSON path of the field at fault.

>>> result = parse_draft('Here you go: {"prediction_type": "latency_spike", "risk_score": 140, '
...     '"explanation": "p99 9.8 us vs 2.6 us baseline", '
...     '"recommendations": ["Check HCA firmware", "Inspect the switch port"], "confidence": 0.8}')
>>> result.draft.risk_score, result.repaired, result.found
(100, ['risk_score 140 clamped to 100'], 'prose')
>>> parse_draft('{"prediction_type": "solar_flare"}').error
"Invalid enum value 'solar_flare' - at `$.prediction_type`"
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Iterator
from typing import Any, Literal

import msgspec

from vigila.insights.model import Draft

MAX_INPUT_BYTES = 64 * 1024
"""Longer answers are refused unread: a draft is well under 4 KiB."""
MAX_RECOMMENDATIONS = 4
MAX_CANDIDATES = 64
"""Candidates tried before giving up, so that hostile text costs little."""

Found = Literal["json", "fenced", "prose"]
_FENCE = re.compile(r"```[ \t]*(?:json|JSON)?[ \t]*\r?\n(.*?)```", re.DOTALL)
_BRACES = re.compile(r'[{}"\\]')


class ParseResult(msgspec.Struct, frozen=True):
    """A draft and the repairs made to it, or the reason there is none."""

    draft: Draft | None
    repaired: list[str]
    error: str | None
    found: Found | None = None
    """Where the judged JSON was: the whole text, a fenced block, or prose around it."""

    @property
    def ok(self) -> bool:
        return self.draft is not None


class _Rejected(Exception):
    pass


def parse_draft(text: str) -> ParseResult:
    """Parse an LLM's answer into a `Draft` (see the module's rules)."""
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > MAX_INPUT_BYTES:
        return ParseResult(
            None,
            [],
            f"answer is {size} bytes, over the {MAX_INPUT_BYTES}-byte "
            "limit; lower max_tokens or fix the prompt",
        )
    stripped = text.strip()
    if not stripped:
        return ParseResult(None, [], "answer is empty")
    try:
        return _judge(msgspec.json.decode(stripped), "json")
    except (msgspec.DecodeError, RecursionError):
        pass
    unreadable: str | None = None
    rejected: ParseResult | None = None
    for found, start, candidate in itertools.islice(_candidates(text), MAX_CANDIDATES):
        try:
            value = msgspec.json.decode(candidate)
        except (msgspec.DecodeError, RecursionError) as exc:
            unreadable = unreadable or f"unreadable JSON at offset {start}: {exc}"
            continue
        result = _judge(value, found)
        if result.ok:
            return result
        if rejected is None and isinstance(value, dict):
            rejected = result
    if rejected is not None:
        return rejected
    return ParseResult(None, [], unreadable or "no JSON object in the answer")


def _judge(value: Any, found: Found) -> ParseResult:
    if not isinstance(value, dict):
        return ParseResult(None, [], f"expected a JSON object, got {_json_type(value)}", found)
    repaired: list[str] = []
    try:
        draft = msgspec.convert(_repair(value, repaired), Draft)
        _refuse_blank(draft)
    except (msgspec.ValidationError, _Rejected) as exc:
        return ParseResult(None, [], str(exc), found)
    return ParseResult(draft, repaired, None, found)


def _repair(fields: dict[str, Any], repaired: list[str]) -> dict[str, Any]:
    fields = dict(fields)
    risk = fields.get("risk_score")
    if _is_number(risk):
        rounded = math.floor(risk + 0.5) if isinstance(risk, float) else risk
        fixed = min(100, max(0, rounded))
        if fixed != rounded:
            how = "rounded and clamped" if isinstance(risk, float) else "clamped"
            repaired.append(f"risk_score {risk} {how} to {fixed}")
        elif isinstance(risk, float):
            repaired.append(f"risk_score {risk} rounded to {fixed}")
        fields["risk_score"] = fixed
    confidence = fields.get("confidence")
    if _is_number(confidence) and not 0 <= confidence <= 1:
        fields["confidence"] = fixed_conf = float(min(1, max(0, confidence)))
        repaired.append(f"confidence {confidence} clamped to {fixed_conf}")
    recommendations = fields.get("recommendations")
    if isinstance(recommendations, list) and len(recommendations) > MAX_RECOMMENDATIONS:
        fields["recommendations"] = recommendations[:MAX_RECOMMENDATIONS]
        repaired.append(f"recommendations cut from {len(recommendations)} to {MAX_RECOMMENDATIONS}")
    return fields


def _json_type(value: Any) -> str:
    names = {list: "array", str: "string", bool: "boolean", int: "number", float: "number"}
    return names.get(type(value), "null")


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _refuse_blank(draft: Draft) -> None:
    if not draft.explanation.strip():
        raise _Rejected("Expected a non-blank `str` - at `$.explanation`")
    for i, recommendation in enumerate(draft.recommendations):
        if not recommendation.strip():
            raise _Rejected(f"Expected a non-blank `str` - at `$.recommendations[{i}]`")


def _candidates(text: str) -> Iterator[tuple[Found, int, str]]:
    """Fenced blocks, then outermost balanced objects (and an unclosed one, last)."""
    fenced: set[str] = set()
    for match in _FENCE.finditer(text):
        body = match.group(1).strip()
        if body:
            fenced.add(body)
            yield "fenced", match.start(1), body
    for start, end in _objects(text):
        if text[start:end] not in fenced:
            yield "prose", start, text[start:end]


def _objects(text: str) -> Iterator[tuple[int, int]]:
    """Spans of the outermost balanced `{…}` in order, then of an object left open.

    An outermost span is one inside no balanced pair, so JSON after a stray `{`
    in prose is still found. Quotes open a string only inside braces, so quotes
    in prose do not hide the JSON after them.
    """
    opens: list[int] = []
    inside: list[list[tuple[int, int]]] = []  # complete spans directly inside each open `{`
    in_string = False
    skip_to = -1
    for match in _BRACES.finditer(text):
        i = match.start()
        if i < skip_to:
            continue
        char = match.group()
        if in_string:
            if char == "\\":
                skip_to = i + 2
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = bool(opens)
        elif char == "{":
            opens.append(i)
            inside.append([])
        elif char == "}" and opens:
            span = (opens.pop(), i + 1)
            inside.pop()
            if inside:
                inside[-1].append(span)
            else:
                yield span
    # What is left open never closed: the spans within it are outermost, then the open tail.
    yield from sorted(span for spans in inside for span in spans)
    if opens:
        yield opens[0], len(text)


def parse_batch(text: str, count: int) -> list[ParseResult]:
    """Parse an answer to a batched prompt: `{"insights": [{"index": i, ...draft}, ...]}`.

    Returns one result per asked item, in order; an item the answer lacks, or repeats,
    gets an error. The JSON is looked for as `parse_draft` does.

    >>> item = {"prediction_type": "latency_spike", "risk_score": 60, "explanation": "p99 up",
    ...         "recommendations": ["a", "b"], "confidence": 0.7}
    >>> answer = msgspec.json.encode({"insights": [{"index": 1, **item}]}).decode()
    >>> [r.error or r.draft.risk_score for r in parse_batch(answer, 2)]
    ['no answer for item 0', 60]
    """
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > MAX_INPUT_BYTES * 4:
        return [ParseResult(None, [], f"answer is {size} bytes, over the limit")] * count
    items, error = _batch_items(text)
    if items is None:
        return [ParseResult(None, [], error)] * count
    results: list[ParseResult | None] = [None] * count
    for position, item in enumerate(items):
        index = item.get("index") if isinstance(item, dict) else None
        if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index < count:
            continue
        if results[index] is not None:
            results[index] = ParseResult(None, [], f"item {index} answered twice")
            continue
        fields = {k: v for k, v in item.items() if k != "index"}
        judged = _judge(fields, "json")
        results[index] = judged if judged.ok else ParseResult(
            None, [], f"$.insights[{position}]: {judged.error}", judged.found)
    return [r or ParseResult(None, [], f"no answer for item {i}") for i, r in enumerate(results)]


def _batch_items(text: str) -> tuple[list[Any] | None, str]:
    stripped = text.strip()
    candidates: Iterator[tuple[Found, int, str]] = itertools.chain(
        [("json", 0, stripped)], _candidates(text))
    for _, _, candidate in itertools.islice(candidates, MAX_CANDIDATES):
        try:
            value = msgspec.json.decode(candidate)
        except (msgspec.DecodeError, RecursionError):
            continue
        if isinstance(value, dict) and isinstance(value.get("insights"), list):
            return value["insights"], ""
    return None, 'no JSON object with an "insights" array in the answer'
