"""Composite rule grammar: parsing, precedence, quoting, errors with columns, limits."""

from __future__ import annotations

import itertools

import pytest

from vigila.alarms import RuleLimitError, RuleSyntaxError, parse_rule

STATES = ("OK", "ALARM", "INSUFFICIENT_DATA")


def truth(rule: str, names: tuple[str, ...], fn) -> None:
    """`rule` agrees with the Python predicate `fn` for every combination of states."""
    parsed = parse_rule(rule)
    for combo in itertools.product(STATES, repeat=len(names)):
        states = dict(zip(names, combo, strict=True))
        assert parsed.evaluate(states) is fn(states), (rule, states)


def test_the_documented_examples():
    truth(
        "ALARM(CPUUtilizationTooHigh) AND ALARM(DiskReadOpsTooHigh)",
        ("CPUUtilizationTooHigh", "DiskReadOpsTooHigh"),
        lambda s: s["CPUUtilizationTooHigh"] == "ALARM" and s["DiskReadOpsTooHigh"] == "ALARM",
    )
    truth(
        "ALARM(CPUUtilizationTooHigh) AND NOT ALARM(DeploymentInProgress)",
        ("CPUUtilizationTooHigh", "DeploymentInProgress"),
        lambda s: s["CPUUtilizationTooHigh"] == "ALARM" and s["DeploymentInProgress"] != "ALARM",
    )
    truth(
        '(ALARM("CPUUtilizationTooHigh") OR \n'
        'ALARM("DiskReadOpsTooHigh")) AND \n'
        'OK("NetworkOutTooHigh")',
        ("CPUUtilizationTooHigh", "DiskReadOpsTooHigh", "NetworkOutTooHigh"),
        lambda s: (
            (s["CPUUtilizationTooHigh"] == "ALARM" or s["DiskReadOpsTooHigh"] == "ALARM")
            and s["NetworkOutTooHigh"] == "OK"
        ),
    )


def test_not_binds_tighter_than_and_which_binds_tighter_than_or():
    names = ("a", "b", "c")
    truth(
        "ALARM(a) OR ALARM(b) AND ALARM(c)",
        names,
        lambda s: s["a"] == "ALARM" or (s["b"] == "ALARM" and s["c"] == "ALARM"),
    )
    truth(
        "ALARM(a) AND ALARM(b) OR ALARM(c)",
        names,
        lambda s: (s["a"] == "ALARM" and s["b"] == "ALARM") or s["c"] == "ALARM",
    )
    truth(
        "NOT ALARM(a) AND OK(b)",
        names[:2],
        lambda s: s["a"] != "ALARM" and s["b"] == "OK",
    )
    truth(
        "NOT (ALARM(a) OR INSUFFICIENT_DATA(b))",
        names[:2],
        lambda s: not (s["a"] == "ALARM" or s["b"] == "INSUFFICIENT_DATA"),
    )
    truth("NOT NOT OK(a)", names[:1], lambda s: s["a"] == "OK")


def test_operators_chain_left_to_right():
    truth(
        "OK(a) OR OK(b) OR OK(c) AND NOT OK(a)",
        ("a", "b", "c"),
        lambda s: s["a"] == "OK" or s["b"] == "OK" or (s["c"] == "OK" and s["a"] != "OK"),
    )


@pytest.mark.parametrize(
    ("rule", "value"),
    [("TRUE", True), ("FALSE", False), ("true AND NOT False", True), ("(((TRUE)))", True)],
)
def test_constants(rule, value):
    assert parse_rule(rule).evaluate({}) is value
    assert parse_rule(rule).children == ()


@pytest.mark.parametrize(
    ("rule", "children"),
    [
        ('ALARM("high error rate")', ("high error rate",)),
        ("ALARM(high-latency)", ("high-latency",)),
        ("ALARM( spaced )", ("spaced",)),
        ('OK("needs (parens)")', ("needs (parens)",)),
        ("alarm(x) and ok(y) or insufficient_data(x)", ("x", "y")),
        (
            "ALARM(arn:vigila:alarms:local:000000000000:alarm:a.b/c)",
            ("arn:vigila:alarms:local:000000000000:alarm:a.b/c",),
        ),
    ],
)
def test_names_quoted_or_not(rule, children):
    assert parse_rule(rule).children == children


@pytest.mark.parametrize(
    ("rule", "column", "fragment"),
    [
        ("", 1, "empty"),
        ("ALARM(a) AND", 13, "ends where"),
        ("AND ALARM(a)", 1, "found 'AND'"),
        ("ALARM(a) ALARM(b)", 10, "expected AND, OR or ')'"),
        ("ALARM(a) NOT OK(b)", 10, "found 'NOT'"),
        ("(ALARM(a)", 1, "never closed"),
        ("ALARM(a))", 9, "no matching '('"),
        ("()", 2, "found ')'"),
        ("ALARM a", 7, "expected '(' after ALARM"),
        ('ALARM("a', 7, "never closed"),
        ("ALARM(a", 6, "never closed"),
        ('ALARM("a" b)', 11, "expected ')'"),
        ("ALARM(a(b))", 7, "double quotes"),
        ("ALARM()", 7, "1-255 characters"),
        ('ALARM("")', 8, "1-255 characters"),
        ("ALARM(a) && OK(b)", 10, "unexpected character '&'"),
        ("ALARMS(a)", 1, "unknown word 'ALARMS'"),
        ("ALARM(a) XOR OK(b)", 10, "unknown word 'XOR'"),
        ("OK(a) AND\n  NOTT OK(b)", 13, "unknown word 'NOTT'"),
        (f"ALARM({'n' * 256})", 7, "1-255 characters"),
        ("ALARM(a\x01b)", 7, "control characters"),
    ],
)
def test_syntax_errors_say_where_and_what(rule, column, fragment):
    with pytest.raises(RuleSyntaxError) as err:
        parse_rule(rule)
    assert err.value.column == column
    assert fragment in err.value.reason
    assert f"column {column}" in str(err.value)


def test_a_rule_must_be_text():
    with pytest.raises(RuleSyntaxError):
        parse_rule(None)


def test_one_hundred_alarms_are_allowed_and_one_more_is_not():
    rule = " OR ".join(f"ALARM(a{i})" for i in range(100))
    assert len(parse_rule(rule).children) == 100
    with pytest.raises(RuleLimitError) as err:
        parse_rule(rule + " OR ALARM(a100)")
    assert (err.value.what, err.value.limit, err.value.actual) == ("distinct alarms", 100, 101)


def test_five_hundred_elements_are_allowed_and_one_more_is_not():
    # 100 alarms x 5 mentions = 500 elements (parentheses and TRUE/FALSE count too)
    rule = " OR ".join(f"OK(a{i % 100})" for i in range(500))
    assert parse_rule(rule).elements == 500
    with pytest.raises(RuleLimitError) as err:
        parse_rule(rule + " OR TRUE")
    assert (err.value.limit, err.value.actual) == (500, 501)
    with pytest.raises(RuleLimitError):
        parse_rule("(" * 250 + "TRUE" + ")" * 250)


def test_the_rule_length_limit_is_checked_first():
    with pytest.raises(RuleLimitError) as err:
        parse_rule("TRUE OR " * 2000)
    assert err.value.what == "characters" and err.value.limit == 10240


def test_deep_nesting_and_long_not_chains_do_not_recurse():
    assert parse_rule("(" * 249 + "TRUE" + ")" * 249).evaluate({}) is True
    assert parse_rule("NOT " * 2500 + "TRUE").evaluate({}) is True
