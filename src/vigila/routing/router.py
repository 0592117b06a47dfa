"""The router: every enabled rule compiled into one `RuleSet`, swapped atomically on change."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import msgspec

from vigila.routing.model import Rule
from vigila.routing.outbox import OutboxEntry
from vigila.routing.transform import payload
from vigila.rules import RuleSet

_encode = msgspec.json.encode


class _Compiled:
    def __init__(self, rules: Iterable[Rule]) -> None:
        self.rules = {rule.name: rule for rule in rules}
        self.ruleset = RuleSet()
        for rule in self.rules.values():
            if rule.enabled and rule.targets:
                self.ruleset.add(rule.name, rule.pattern)
        self.targets = {name: [_encode(t) for t in rule.targets]
                        for name, rule in self.rules.items()}


class Router:
    """Matches events against the rules and turns each match into outbox entries."""

    def __init__(self, rules: Iterable[Rule] = (), *, region: str = "local",
                 account: str = "000000000000") -> None:
        self._region = region
        self._account = account
        self._compiled = _Compiled(rules)

    def replace(self, rules: Iterable[Rule]) -> None:
        """Install a new rule list (compiled first; a bad pattern raises and changes nothing)."""
        self._compiled = _Compiled(rules)

    @property
    def rules(self) -> dict[str, Rule]:
        return dict(self._compiled.rules)

    @property
    def active(self) -> bool:
        return len(self._compiled.ruleset) > 0

    def rule_arn(self, name: str) -> str:
        return f"arn:vigila:events:{self._region}:{self._account}:rule/{name}"

    def route(self, event: dict[str, Any], now_ms: int) -> list[OutboxEntry]:
        """One outbox entry per (matching rule, target), keyed to stay the same on replay."""
        compiled = self._compiled
        entries = []
        event_id = event.get("id", "")
        hops = event.get("vigila-hops", 0)
        for name in compiled.ruleset.matches(event):
            rule = compiled.rules[name]
            for index, target in enumerate(rule.targets):
                entries.append(OutboxEntry(
                    key=f"{name}/{index}/{event_id}", rule=name,
                    target=compiled.targets[name][index], event_id=event_id,
                    payload=payload(target, event, rule=name, rule_arn=self.rule_arn(name)),
                    hops=hops, created_ms=now_ms, due_ms=now_ms))
        return entries
