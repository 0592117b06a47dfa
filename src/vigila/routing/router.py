"""The router: every enabled rule compiled into one `RuleSet`, swapped atomically on change."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import msgspec

from vigila.routing.model import Rule
from vigila.routing.outbox import OutboxEntry
from vigila.routing.transform import payload
from vigila.rules import RuleSet

_encode = msgspec.json.encode


class _Compiled:
    """One rule list, compiled: its `RuleSet`, and per rule what each of its matches writes."""

    def __init__(self, rules: Iterable[Rule], arn: Callable[[str], str]) -> None:
        self.rules = {rule.name: rule for rule in rules}
        self.ruleset = RuleSet()
        for rule in self.rules.values():
            if rule.enabled and rule.targets:
                self.ruleset.add(rule.name, rule.pattern)
        # Per rule: its ARN and, per target, (index, target, the target's JSON spec).
        self.routes = {
            name: (arn(name), tuple((i, t, _encode(t)) for i, t in enumerate(rule.targets)))
            for name, rule in self.rules.items()
        }


class Router:
    """Matches events against the rules and turns each match into outbox entries."""

    def __init__(self, rules: Iterable[Rule] = (), *, region: str = "local",
                 account: str = "000000000000") -> None:
        self._region = region
        self._account = account
        self._compiled = _Compiled(rules, self.rule_arn)

    def replace(self, rules: Iterable[Rule]) -> None:
        """Install a new rule list (compiled first; a bad pattern raises and changes nothing)."""
        self._compiled = _Compiled(rules, self.rule_arn)

    @property
    def rules(self) -> dict[str, Rule]:
        return dict(self._compiled.rules)

    @property
    def active(self) -> bool:
        return len(self._compiled.ruleset) > 0

    def rule_arn(self, name: str) -> str:
        return f"arn:vigila:events:{self._region}:{self._account}:rule/{name}"

    def may_match(self, source: str, detail_type: str) -> bool:
        """False only when no rule can match an event of this source and detail type
        (`RuleSet.may_match`): such an event routes nowhere, whatever else it holds."""
        return self._compiled.ruleset.may_match(source, detail_type)

    def route(self, event: dict[str, Any], now_ms: int) -> list[OutboxEntry]:
        """One outbox entry per (matching rule, target), keyed to stay the same on replay."""
        return self.route_many([event], now_ms)

    def route_many(self, events: list[dict[str, Any]], now_ms: int) -> list[OutboxEntry]:
        """The entries `route` gives each event, in order, with the rules looked up once.

        One rule list serves the whole batch, even if `replace` installs another meanwhile.
        """
        compiled = self._compiled
        matches, routes = compiled.ruleset.matches, compiled.routes
        entries: list[OutboxEntry] = []
        for event in events:
            names = matches(event)
            if not names:
                continue
            event_id = event.get("id", "")
            hops = event.get("vigila-hops", 0)
            for name in names:
                arn, targets = routes[name]
                for index, target, spec in targets:
                    entries.append(OutboxEntry(
                        key=f"{name}/{index}/{event_id}", rule=name, target=spec,
                        event_id=event_id, payload=payload(target, event, rule=name, rule_arn=arn),
                        hops=hops, created_ms=now_ms, due_ms=now_ms))
        return entries
