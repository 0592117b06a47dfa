"""The runnable examples in the detectors' docstrings."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import vigila.detect

MODULES = sorted(m.name for m in pkgutil.walk_packages(vigila.detect.__path__, "vigila.detect."))
PLUMBING = {"vigila.detect.csvio", "vigila.detect.registry", "vigila.detect.state"}


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name))
    assert result.failed == 0
    assert result.attempted or name in PLUMBING, f"{name} has no example"
