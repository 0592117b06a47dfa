"""RuleSet: naming, ordering, adding, removing, rebuilding."""

from __future__ import annotations

import pytest

from vigila.rules import Pattern, PatternError, RuleSet

PAYMENT = {
    "source": "vigila.payments",
    "detail-type": "Payment Authorized",
    "detail": {"amount": 1250.5, "currency": "EUR", "merchant": {"id": "m-7", "mcc": "5411"}},
}


def test_names_every_matching_rule_in_the_order_added() -> None:
    rules = RuleSet()
    rules.add("large", {"detail": {"amount": [{"numeric": [">=", 1000]}]}})
    rules.add("fabric", {"source": ["vigila.fabric"]})
    rules.add("eur", {"detail": {"currency": ["EUR"]}})
    rules.add("grocery", {"detail": {"merchant": {"mcc": [{"prefix": "54"}]}}})
    assert rules.matches(PAYMENT) == ["large", "eur", "grocery"]
    assert len(rules) == 4
    assert "eur" in rules
    assert list(rules) == ["large", "fabric", "eur", "grocery"]


def test_a_rule_matching_through_several_branches_is_named_once() -> None:
    rules = RuleSet()
    rules.add(
        "either", {"$or": [{"detail": {"currency": ["EUR"]}}, {"source": ["vigila.payments"]}]}
    )
    assert rules.matches(PAYMENT) == ["either"]


def test_identical_patterns_under_different_names() -> None:
    rules = RuleSet()
    rules.add("a", {"source": ["vigila.payments"]})
    rules.add("b", {"source": ["vigila.payments"]})
    assert rules.matches(PAYMENT) == ["a", "b"]
    rules.remove("a")
    assert rules.matches(PAYMENT) == ["b"]


def test_a_name_is_added_once() -> None:
    rules = RuleSet()
    rules.add("r", {"source": ["x"]})
    with pytest.raises(ValueError, match="already exists"):
        rules.add("r", {"source": ["y"]})
    assert rules.pattern("r").matches({"source": "x"})


def test_removing_an_unknown_rule_raises_key_error() -> None:
    with pytest.raises(KeyError):
        RuleSet().remove("nope")


def test_a_refused_pattern_leaves_the_set_unchanged() -> None:
    rules = RuleSet()
    rules.add("ok", {"source": ["vigila.payments"]})
    with pytest.raises(PatternError):
        rules.add("bad", {"source": [{"prefix": 1}]})
    assert list(rules) == ["ok"]
    assert rules.matches(PAYMENT) == ["ok"]


def test_compiled_patterns_can_be_shared() -> None:
    pattern = Pattern({"detail": {"currency": ["EUR"]}})
    first, second = RuleSet(), RuleSet()
    first.add("eur", pattern)
    second.add("euro", pattern)
    assert first.matches(PAYMENT) == ["eur"]
    assert second.matches(PAYMENT) == ["euro"]


def test_empty_set_matches_nothing() -> None:
    assert RuleSet().matches(PAYMENT) == []


def test_edits_between_matches_take_effect() -> None:
    rules = RuleSet()
    for step in range(200):
        rules.add(f"r{step}", {"detail": {"amount": [{"numeric": [">", step * 10]}]}})
        if step % 3 == 0:
            rules.remove(f"r{step}")
        expected = [f"r{i}" for i in range(step + 1) if i % 3 and i * 10 < 1250.5]
        assert rules.matches(PAYMENT) == expected


def test_bulk_load_then_removal_of_everything() -> None:
    rules = RuleSet()
    for i in range(500):
        rules.add(
            f"m{i}", {"detail": {"merchant": {"id": [f"m-{i}"]}, "amount": [{"numeric": [">", i]}]}}
        )
    assert rules.matches(PAYMENT) == ["m7"]
    for i in range(500):
        rules.remove(f"m{i}")
    assert len(rules) == 0
    assert rules.matches(PAYMENT) == []
    rules.add("again", {"source": ["vigila.payments"]})
    assert rules.matches(PAYMENT) == ["again"]


def test_array_consistency_is_applied_to_rule_sets() -> None:
    rules = RuleSet()
    rules.add("same-element", {"items": {"sku": ["A"], "qty": [2]}})
    rules.add("either-element", {"items": {"sku": ["A"]}, "total": [{"exists": True}]})
    event = {"items": [{"sku": "A", "qty": 1}, {"sku": "B", "qty": 2}], "total": 3}
    assert rules.matches(event) == ["either-element"]
    event["items"][0]["qty"] = 2
    assert rules.matches(event) == ["same-element", "either-element"]


def test_every_operator_in_one_set() -> None:
    rules = RuleSet()
    rules.add("exact", {"detail": {"currency": ["EUR"]}})
    rules.add("prefix", {"detail": {"merchant": {"mcc": [{"prefix": "54"}]}}})
    rules.add("suffix", {"detail-type": [{"suffix": "Authorized"}]})
    rules.add("ignore-case", {"detail": {"currency": [{"equals-ignore-case": "eur"}]}})
    rules.add("wildcard", {"source": [{"wildcard": "vigila.*"}]})
    rules.add("anything-but", {"detail": {"currency": [{"anything-but": ["USD", "GBP"]}]}})
    rules.add("numeric", {"detail": {"amount": [{"numeric": [">", 1000, "<=", 2000]}]}})
    rules.add("exists", {"detail": {"merchant": {"id": [{"exists": True}]}}})
    rules.add("absent", {"detail": {"chargeback": [{"exists": False}]}})
    rules.add("cidr", {"detail": {"ip": [{"cidr": "10.0.0.0/8"}]}})
    rules.add("or", {"$or": [{"detail": {"currency": ["USD"]}}, {"detail": {"amount": [1250.5]}}]})
    assert rules.matches(PAYMENT) == [
        "exact", "prefix", "suffix", "ignore-case", "wildcard", "anything-but",
        "numeric", "exists", "absent", "or",
    ]  # fmt: skip
    assert rules.matches({**PAYMENT, "detail": {**PAYMENT["detail"], "ip": "10.1.2.3"}})[-2:] == [
        "cidr",
        "or",
    ]
