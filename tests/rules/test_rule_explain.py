"""Pattern.explain: None on a match, else the first field that failed and why."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import vigila.rules
from vigila.rules import Pattern

EVENT = {"source": "vigila.payments", "detail": {"amount": 20, "tags": ["a", "b", "c", "d"]}}


def test_a_match_explains_nothing() -> None:
    assert Pattern({"source": ["vigila.payments"]}).explain(EVENT) is None


def test_a_missing_field() -> None:
    reason = Pattern({"detail": {"currency": ["EUR"]}}).explain(EVENT)
    assert reason == 'detail.currency: field is missing; the pattern needs ["EUR"]'


def test_a_value_that_does_not_match() -> None:
    reason = Pattern({"detail": {"amount": [{"numeric": [">", 100]}]}}).explain(EVENT)
    assert reason == 'detail.amount: value 20 does not match [{"numeric": [">", 100]}]'


def test_many_values_are_summarised() -> None:
    reason = Pattern({"detail": {"tags": ["z"]}}).explain(EVENT)
    assert reason == 'detail.tags: values "a", "b", "c", ... (4 values) do not match ["z"]'


def test_a_field_that_must_be_absent() -> None:
    reason = Pattern({"source": [{"exists": False}]}).explain(EVENT)
    assert reason == 'source: field is present ("vigila.payments"); the pattern needs it absent'


def test_the_first_failing_field_in_path_order_is_named() -> None:
    reason = Pattern({"source": ["x"], "detail": {"amount": [1]}}).explain(EVENT)
    assert reason is not None and reason.startswith("detail.amount:")


def test_every_or_alternative_is_explained() -> None:
    reason = Pattern({"$or": [{"source": ["x"]}, {"detail": {"amount": [1]}}]}).explain(EVENT)
    assert reason is not None
    assert reason.startswith("no $or alternative matches: (1) ")
    assert "(2) detail.amount: value 20" in reason


def test_array_consistency_is_explained() -> None:
    pattern = Pattern({"items": {"sku": ["A"], "qty": [2]}})
    reason = pattern.explain({"items": [{"sku": "A", "qty": 1}, {"sku": "B", "qty": 2}]})
    assert reason is not None and "no one element" in reason


MODULES = [
    importlib.import_module(f"vigila.rules.{info.name}")
    for info in pkgutil.iter_modules(vigila.rules.__path__)
]


@pytest.mark.parametrize("module", [vigila.rules, *MODULES], ids=lambda m: m.__name__)
def test_docstring_examples_run(module: object) -> None:
    failures, tried = doctest.testmod(module, raise_on_error=False)  # type: ignore[arg-type]
    assert failures == 0
    assert tried > 0, "every module shows its use in its docstring"
