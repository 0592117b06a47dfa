"""`RuleSet.may_match`: never False for a (source, detail type) some event of it matches."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.rules.test_rule_properties import LEAVES, value
from vigila.rules import RuleSet

SOURCES = ["vigila.fabric", "VIGILA.Fabric", "vigila.payments", "app", "", "a*b", "10.0.0.1"]
TYPES = ["Link Down", "link down", "Payment Authorized", "Heartbeat", ""]

texts = st.sampled_from(SOURCES + TYPES + ["vigila.", ".fabric", "Link", "Down", "*"])
envelope_value = st.one_of(
    texts,
    value,  # every operator, over other vocabularies: numbers, addresses, literals
    texts.map(lambda s: {"prefix": s}),
    texts.map(lambda s: {"suffix": s}),
    texts.map(lambda s: {"equals-ignore-case": s}),
    texts.map(lambda s: {"prefix": {"equals-ignore-case": s}}),
    texts.map(lambda s: {"suffix": {"equals-ignore-case": s}}),
    st.sampled_from(["vigila.*", "*Down", "*", "a\\*b", "*.*"]).map(lambda w: {"wildcard": w}),
    st.lists(texts, min_size=1, max_size=3).map(lambda v: {"anything-but": v}),
    texts.filter(bool).map(lambda s: {"anything-but": {"prefix": s}}),
    texts.map(lambda s: {"anything-but": {"equals-ignore-case": s}}),
    st.booleans().map(lambda b: {"exists": b}),
)
envelope_fields = st.dictionaries(
    st.sampled_from(["source", "detail-type", "detail.x", "account"]),
    st.lists(envelope_value, min_size=1, max_size=3),
    min_size=1,
    max_size=3,
)


def nest(fields: dict[str, list[Any]]) -> dict[str, Any]:
    pattern: dict[str, Any] = {}
    for path, values in fields.items():
        *parents, leaf = path.split(".")
        node = pattern
        for key in parents:
            node = node.setdefault(key, {})
        node[leaf] = values
    return pattern


@st.composite
def patterns(draw: st.DrawFn) -> dict[str, Any]:
    """Mostly with a source condition: one rule without makes every source possible."""
    fields = draw(envelope_fields)
    if draw(st.integers(0, 5)):
        fields.setdefault("source", draw(st.lists(envelope_value, min_size=1, max_size=2)))
    pattern = nest(fields)
    if draw(st.integers(0, 3)) == 0:
        pattern["$or"] = [nest(f) for f in draw(st.lists(envelope_fields, min_size=2, max_size=3))]
    return pattern


events = st.fixed_dictionaries(
    {"source": st.sampled_from(SOURCES), "detail-type": st.sampled_from(TYPES)},
    optional={
        "detail": st.fixed_dictionaries({}, optional={"x": st.one_of(LEAVES, texts)}),
        "account": st.one_of(LEAVES, st.lists(LEAVES, max_size=2)),
    },
)

SETTINGS = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(st.lists(patterns(), min_size=1, max_size=6), st.lists(events, min_size=1, max_size=8))
def test_may_match_is_never_false_for_a_match(
    sources: list[dict[str, Any]], batch: list[dict[str, Any]]
) -> None:
    rules = RuleSet()
    for index, source in enumerate(sources):
        rules.add(f"r{index}", source)
    for event in batch:
        if rules.matches(event):
            assert rules.may_match(event["source"], event["detail-type"])


def test_may_match_rules_out_what_no_rule_names() -> None:
    rules = RuleSet()
    rules.add("fabric", {"source": [{"prefix": "vigila.fab"}], "detail": {"state": ["DOWN"]}})
    rules.add("pay", {"source": ["vigila.payments"], "detail-type": [{"anything-but": "Ping"}]})
    either = [{"source": [{"equals-ignore-case": "APP"}]}, {"source": ["Other"], "x": [1]}]
    rules.add("or", {"$or": either})
    assert rules.may_match("vigila.fabric", "Anything")
    assert rules.may_match("vigila.payments", "Payment Authorized")
    assert not rules.may_match("vigila.payments", "Ping")
    assert not rules.may_match("vigila.insights", "Insight Created")
    assert rules.may_match("aPp", "Anything") and rules.may_match("Other", "Anything")
    rules.remove("or")
    assert not rules.may_match("Other", "Anything")
    rules.add("or", {"source": [{"equals-ignore-case": "APP"}]})
    assert rules.may_match("app", "Anything")


def test_a_rule_without_a_source_condition_may_match_any_source() -> None:
    rules = RuleSet()
    assert not rules.may_match("app", "Order Placed")
    rules.add("big", {"detail": {"amount": [{"numeric": [">", 100]}]}})
    assert rules.may_match("app", "Order Placed")
    rules.remove("big")
    assert not rules.may_match("app", "Order Placed")


def test_a_source_that_must_be_absent_never_may_match() -> None:
    rules = RuleSet()
    rules.add("orphans", {"source": [{"exists": False}]})
    rules.add("typed", {"detail-type": [{"exists": False}, "Order Placed"]})
    assert rules.may_match("app", "Order Placed")
    assert not rules.may_match("app", "Order Shipped")
