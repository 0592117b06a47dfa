"""Prices per model, Bedrock inference profiles, overrides from config."""

from __future__ import annotations

import pytest

from vigila.insights.providers.pricing import FREE, PRICES, Price, cost_usd, price


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        ("anthropic.claude-3-5-haiku-20241022-v1:0", Price(0.80, 4.00)),
        ("us.anthropic.claude-3-5-haiku-20241022-v1:0", Price(0.80, 4.00)),
        ("eu.anthropic.claude-3-5-haiku-20241022-v1:0", Price(0.80, 4.00)),
        ("claude-3-5-haiku-20241022", Price(0.80, 4.00)),
        ("gpt-4o-mini", Price(0.15, 0.60)),
        ("gpt-4o-mini-2024-07-18", Price(0.15, 0.60)),
        ("qwen2.5-7b-instruct", FREE),
        ("llama3.2:3b", FREE),
        ("us.gpt-4o-mini", FREE),
    ],
)
def test_price_by_model(model: str, expected: Price) -> None:
    assert price(model) == expected


def test_cost_of_a_typical_haiku_insight() -> None:
    assert cost_usd("anthropic.claude-3-5-haiku-20241022-v1:0", 1_200, 250) == 0.00196


def test_cost_of_a_million_each() -> None:
    assert cost_usd("gpt-4o-mini", 1_000_000, 1_000_000) == 0.75


def test_local_models_cost_nothing() -> None:
    assert cost_usd("qwen2.5-7b-instruct", 5_000, 5_000) == 0.0


def test_overrides_win_over_the_table() -> None:
    overrides = {"gpt-4o-mini": (0.3, 1.2), "my-finetune": Price(2.0, 8.0)}
    assert cost_usd("gpt-4o-mini", 1_000_000, 0, overrides) == 0.3
    assert cost_usd("my-finetune", 0, 500_000, overrides) == 4.0
    assert cost_usd("claude-3-5-haiku-20241022", 1_000_000, 0, overrides) == 0.8


def test_every_listed_price_is_non_negative() -> None:
    assert all(p.input_per_m >= 0 and p.output_per_m >= 0 for p in PRICES.values())
