"""Tiers: how much LLM an interval is worth, read from the analyst's risk.

Below `llm_from_risk` the analyst's reading stands (false triggers and small
blips, the bulk of triggered intervals); below `full_from_risk` the short
prompt is enough; from it, the full prompt with the fault catalogue.

>>> tiers = Tiers(llm_from_risk=40, full_from_risk=50)
>>> [tiers.choose(r) for r in (10, 45, 90)]
['analyst', 'short', 'full']
"""

from __future__ import annotations

from typing import Literal

import msgspec

Tier = Literal["analyst", "short", "full"]


class Tiers(msgspec.Struct, frozen=True):
    llm_from_risk: int
    full_from_risk: int

    def choose(self, analyst_risk: int) -> Tier:
        if analyst_risk < self.llm_from_risk:
            return "analyst"
        return "full" if analyst_risk >= self.full_from_risk else "short"
