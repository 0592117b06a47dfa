"""The runnable examples in the metrics package's docstrings run and hold."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import vigila.metrics

MODULES = [m.name for m in pkgutil.iter_modules(vigila.metrics.__path__, "vigila.metrics.")]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name))
    assert result.failed == 0
