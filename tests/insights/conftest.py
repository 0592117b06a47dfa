from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest

from tests.insights.providers.server import DRAFT, FakeLLM


@pytest.fixture
def llm() -> Iterator[FakeLLM]:
    server = FakeLLM()
    yield server
    server.stop()


@pytest.fixture
def draft() -> dict[str, Any]:
    """A valid insight, as an LLM should answer it; the test may change its copy."""
    return copy.deepcopy(DRAFT)
