"""Composite alarm rules: CloudWatch's `AlarmRule` grammar, parsed without recursion.

A rule combines `ALARM(name)`, `OK(name)`, `INSUFFICIENT_DATA(name)`, `TRUE`
and `FALSE` with `NOT`, `AND`, `OR` and parentheses. Names may be quoted with
double quotes or not; a name holding a parenthesis must be quoted. `NOT` binds
tightest, then `AND`, then `OR`. CloudWatch's limits apply: at most 10240
characters, 100 distinct alarms and 500 elements (alarm functions, TRUE, FALSE
and parentheses).

>>> rule = parse_rule('ALARM("high-error-rate") OR ALARM(high-latency) AND NOT OK(deploying)')
>>> rule.children
('high-error-rate', 'high-latency', 'deploying')
>>> rule.evaluate({"high-error-rate": "OK", "high-latency": "ALARM", "deploying": "ALARM"})
True
>>> try:
...     parse_rule("ALARM(a) AND (OK(b)")
... except RuleSyntaxError as exc:
...     print(exc.column, exc.reason)
14 '(' is never closed
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Protocol

from vigila.alarms.errors import RuleLimitError, RuleSyntaxError

MAX_RULE_LENGTH = 10240
MAX_CHILDREN = 100
MAX_ELEMENTS = 500

_FUNCTIONS = {"ALARM": "ALARM", "OK": "OK", "INSUFFICIENT_DATA": "INSUFFICIENT_DATA"}
_WORD = re.compile(r"[A-Za-z_]+")
_SPACE = re.compile(r"\s*")
_PRECEDENCE = {"NOT": 3, "AND": 2, "OR": 1}
_OPERAND_HINT = "an alarm function, TRUE, FALSE, NOT or '('"

# Program instructions, evaluated on a stack.
_TEST, _CONST, _NOT, _AND, _OR = range(5)
Instruction = tuple  # (_TEST, name, state) | (_CONST, bool) | (_NOT,) | (_AND,) | (_OR,)


class States(Protocol):
    """Alarm states by name: a dict, or anything with `get`."""

    def get(self, name: str, /) -> str | None: ...


class _Token:
    __slots__ = ("column", "kind", "name", "state", "text")

    def __init__(self, kind: str, column: int, text: str, state: str = "", name: str = "") -> None:
        self.kind = kind  # FUNC, CONST, NOT, AND, OR, (, )
        self.column = column
        self.text = text
        self.state = state
        self.name = name


class Rule:
    """A parsed rule: `children` in order of first mention, and a stack program."""

    __slots__ = ("children", "elements", "program")

    def __init__(self, program: list[Instruction], elements: int) -> None:
        self.program = program
        self.elements = elements
        self.children = tuple(dict.fromkeys(ins[1] for ins in program if ins[0] == _TEST))

    def evaluate(self, states: States) -> bool:
        """Whether the rule holds when each child alarm is in `states.get(child)`."""
        stack: list[bool] = []
        for ins in self.program:
            code = ins[0]
            if code == _TEST:
                stack.append(states.get(ins[1]) == ins[2])
            elif code == _CONST:
                stack.append(ins[1])
            elif code == _NOT:
                stack[-1] = not stack[-1]
            else:
                right = stack.pop()
                stack[-1] = (stack[-1] and right) if code == _AND else (stack[-1] or right)
        return stack[0]

    def renamed(self, rename: Callable[[str], str]) -> Rule:
        """The same rule with each child reference mapped (e.g. an ARN to its alarm name)."""
        program = [
            (_TEST, rename(ins[1]), ins[2]) if ins[0] == _TEST else ins for ins in self.program
        ]
        return Rule(program, self.elements)


def is_alarm_name(name: object) -> bool:
    """Whether `name` can name an alarm: 1-255 characters, no control characters."""
    return (
        isinstance(name, str)
        and 1 <= len(name) <= 255
        and not any(ord(c) < 32 or ord(c) == 127 for c in name)
    )


def parse_rule(text: str) -> Rule:
    """Parse `text`, raising `RuleSyntaxError` (with the column) or `RuleLimitError`."""
    if not isinstance(text, str):
        raise RuleSyntaxError(1, f"the rule must be a string, not {type(text).__name__}")
    if len(text) > MAX_RULE_LENGTH:
        raise RuleLimitError("characters", MAX_RULE_LENGTH, len(text))
    tokens = _tokenize(text)
    elements = sum(1 for t in tokens if t.kind in ("FUNC", "CONST", "(", ")"))
    if elements > MAX_ELEMENTS:
        raise RuleLimitError("elements", MAX_ELEMENTS, elements)
    rule = Rule(_to_program(tokens, len(text) + 1), elements)
    if len(rule.children) > MAX_CHILDREN:
        raise RuleLimitError("distinct alarms", MAX_CHILDREN, len(rule.children))
    return rule


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    pos = _SPACE.match(text, 0).end()
    while pos < len(text):
        char = text[pos]
        if char in "()":
            tokens.append(_Token(char, pos + 1, char))
            pos += 1
        else:
            word = _WORD.match(text, pos)
            if word is None:
                raise RuleSyntaxError(pos + 1, f"unexpected character {char!r}")
            upper = word.group().upper()
            if upper in _FUNCTIONS:
                token, pos = _function(text, pos, word.end(), _FUNCTIONS[upper])
                tokens.append(token)
            elif upper in ("TRUE", "FALSE"):
                tokens.append(_Token("CONST", pos + 1, upper, state=upper))
                pos = word.end()
            elif upper in _PRECEDENCE:
                tokens.append(_Token(upper, pos + 1, upper))
                pos = word.end()
            else:
                raise RuleSyntaxError(
                    pos + 1,
                    f"unknown word {word.group()!r}; expected ALARM(...), OK(...), "
                    "INSUFFICIENT_DATA(...), TRUE, FALSE, AND, OR, NOT or parentheses",
                )
        pos = _SPACE.match(text, pos).end()
    return tokens


def _function(text: str, start: int, pos: int, state: str) -> tuple[_Token, int]:
    """One `STATE(name)` call starting at `start`; the name quoted or not."""
    pos = _SPACE.match(text, pos).end()
    if pos >= len(text) or text[pos] != "(":
        raise RuleSyntaxError(pos + 1, f"expected '(' after {state}")
    opened = pos
    pos = _SPACE.match(text, pos + 1).end()
    if pos < len(text) and text[pos] == '"':
        close = text.find('"', pos + 1)
        if close < 0:
            raise RuleSyntaxError(pos + 1, "the quoted alarm name is never closed")
        name, name_column = text[pos + 1 : close], pos + 2
        pos = _SPACE.match(text, close + 1).end()
        if pos >= len(text) or text[pos] != ")":
            raise RuleSyntaxError(pos + 1, f"expected ')' to close {state}( at column {opened + 1}")
    else:
        close = text.find(")", pos)
        if close < 0:
            raise RuleSyntaxError(opened + 1, f"{state}( is never closed")
        name, name_column = text[pos:close].rstrip(), pos + 1
        if "(" in name or '"' in name:
            raise RuleSyntaxError(
                name_column, "an alarm name holding '(' or '\"' must be in double quotes"
            )
        pos = close
    if not is_alarm_name(name):
        raise RuleSyntaxError(
            name_column, "alarm names have 1-255 characters, no control characters"
        )
    return _Token("FUNC", start + 1, f"{state}({name})", state=state, name=name), pos + 1


def _to_program(tokens: list[_Token], end_column: int) -> list[Instruction]:
    """Shunting-yard: operands straight to the program, operators by precedence."""
    program: list[Instruction] = []
    pending: list[_Token] = []  # operators and open parentheses
    want_operand = True
    for tok in tokens:
        if want_operand:
            if tok.kind == "FUNC":
                program.append((_TEST, tok.name, tok.state))
            elif tok.kind == "CONST":
                program.append((_CONST, tok.state == "TRUE"))
            elif tok.kind in ("NOT", "("):
                pending.append(tok)
                continue
            else:
                raise RuleSyntaxError(tok.column, f"expected {_OPERAND_HINT}, found {tok.text!r}")
            want_operand = False
        elif tok.kind in ("AND", "OR"):
            while (
                pending
                and pending[-1].kind != "("
                and _PRECEDENCE[pending[-1].kind] >= _PRECEDENCE[tok.kind]
            ):
                program.append(_operator(pending.pop()))
            pending.append(tok)
            want_operand = True
        elif tok.kind == ")":
            while pending and pending[-1].kind != "(":
                program.append(_operator(pending.pop()))
            if not pending:
                raise RuleSyntaxError(tok.column, "')' has no matching '('")
            pending.pop()
        else:
            raise RuleSyntaxError(tok.column, f"expected AND, OR or ')', found {tok.text!r}")
    if not tokens:
        raise RuleSyntaxError(1, "the rule is empty")
    if want_operand:
        raise RuleSyntaxError(end_column, f"the rule ends where {_OPERAND_HINT} is expected")
    while pending:
        tok = pending.pop()
        if tok.kind == "(":
            raise RuleSyntaxError(tok.column, "'(' is never closed")
        program.append(_operator(tok))
    return program


def _operator(tok: _Token) -> Instruction:
    return ((_NOT,), (_AND,), (_OR,))[("NOT", "AND", "OR").index(tok.kind)]
