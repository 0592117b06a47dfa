"""The runnable examples in the alarms package's docstrings run and hold."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import vigila.alarms

MODULES = [m.name for m in pkgutil.iter_modules(vigila.alarms.__path__, "vigila.alarms.")]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name))
    assert result.failed == 0
