"""What a completion costs: USD per million input and output tokens, by model.

A model missing from the table costs nothing, which is right for local servers
(vLLM, llama.cpp, Ollama); give any other paid model its price in `overrides`.

>>> cost_usd("gpt-4o-mini", tokens_in=1_000_000, tokens_out=100_000)
0.21
>>> cost_usd("us.anthropic.claude-3-5-haiku-20241022-v1:0", 2_000, 300)
0.0028
>>> cost_usd("qwen2.5-7b-instruct", 2_000, 300)
0.0
>>> cost_usd("qwen2.5-7b-instruct", 1_000_000, 0, overrides={"qwen2.5-7b-instruct": (0.05, 0.1)})
0.05
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import NamedTuple


class Price(NamedTuple):
    """USD per million tokens."""

    input_per_m: float
    output_per_m: float


FREE = Price(0.0, 0.0)
_HAIKU_35 = Price(0.80, 4.00)
_GPT_4O_MINI = Price(0.15, 0.60)
PRICES: dict[str, Price] = {
    "anthropic.claude-3-5-haiku-20241022-v1:0": _HAIKU_35,
    "claude-3-5-haiku-20241022": _HAIKU_35,
    "claude-3-5-haiku-latest": _HAIKU_35,
    "gpt-4o-mini": _GPT_4O_MINI,
    "gpt-4o-mini-2024-07-18": _GPT_4O_MINI,
}
"""List prices of the models vigila's prompts are tuned for."""

# Bedrock cross-region inference profiles prefix the model id with a geography.
_PROFILE = re.compile(r"^(?:us|eu|apac|us-gov|global)\.(?=anthropic\.)")


def price(model: str, overrides: Mapping[str, tuple[float, float]] | None = None) -> Price:
    """The price of `model`: `overrides` first, then the table, else free."""
    if overrides and model in overrides:
        return Price(*overrides[model])
    return PRICES.get(_PROFILE.sub("", model), FREE)


def cost_usd(
    model: str,
    tokens_in: int,
    tokens_out: int,
    overrides: Mapping[str, tuple[float, float]] | None = None,
) -> float:
    """USD for one completion, rounded to a millionth of a dollar."""
    p = price(model, overrides)
    return round((tokens_in * p.input_per_m + tokens_out * p.output_per_m) / 1_000_000, 6)
