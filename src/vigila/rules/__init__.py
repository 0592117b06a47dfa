"""EventBridge-compatible event patterns: validate, match, and route at scale.

A rule tested here behaves as it would on Amazon EventBridge (event-ruler's
semantics, including array consistency and its numeric comparison). `Pattern`
matches one pattern; `RuleSet` compiles many into an index whose cost grows
far slower than the number of rules.

>>> rules = RuleSet()
>>> rules.add("big-payments", {"detail": {"amount": [{"numeric": [">=", 1000]}]}})
>>> rules.add("eu", {"detail": {"country": ["DE", "FR"]}})
>>> rules.matches({"detail": {"amount": 1500, "country": "FR"}})
['big-payments', 'eu']
"""

from __future__ import annotations

from vigila.rules.errors import PatternError
from vigila.rules.pattern import Pattern
from vigila.rules.ruleset import RuleSet

__all__ = ["Pattern", "PatternError", "RuleSet"]
