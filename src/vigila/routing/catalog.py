"""Every rule in force and where it comes from: packs, the configuration file, built-ins,
and the rules managed over the API (kept in the store, shared with the CLI).

Pack, configuration and built-in rules are read-only over the API; changing a rule
rebuilds the router at once, and `reload` picks up what another process wrote.
"""

from __future__ import annotations

from collections.abc import Iterable

import msgspec

from vigila.clock import Clock
from vigila.config.schema import Config
from vigila.routing.model import FileTarget, Rule
from vigila.routing.router import Router
from vigila.store.base import Store, StoredRule

_rule_decoder = msgspec.json.Decoder(Rule)
CRITICAL_INSIGHTS = "critical-insights"


class RuleConflict(ValueError):
    """A pack, config or built-in rule cannot be changed over the API, nor may an API rule
    read a server secret."""


class RuleCatalog:
    """The rules of one runtime, feeding its router."""

    def __init__(self, config: Config, pack_rules: Iterable[tuple[Rule, str]], store: Store,
                 router: Router, clock: Clock) -> None:
        self._config = config
        self._pack_rules = list(pack_rules)
        self._store = store
        self._router = router
        self._clock = clock
        self._version = store.rules_version()
        self._route_all()

    def all(self) -> dict[str, tuple[Rule, str]]:
        """Every rule and its origin: `pack:<name>`, `config`, `builtin` or `api`."""
        found: dict[str, tuple[Rule, str]] = {}
        for rule, origin in self._pack_rules:
            found[rule.name] = (rule, origin)
        for rule in self._config.rules:
            found[rule.name] = (rule, "config")
        critical = self._config.alerting.critical_insight_targets
        if critical:
            found.setdefault(CRITICAL_INSIGHTS, (Rule(
                name=CRITICAL_INSIGHTS,
                description="Critical insights and LLM spend alerts to the targets of "
                            "alerting.critical_insight_targets",
                pattern={"source": ["vigila.insights"],
                         "detail-type": ["Critical Insight", "LLM Spend Alert"]},
                targets=[self._config.targets[name] for name in critical]), "builtin"))
        for stored in self._store.stored_rules():
            found.setdefault(stored.name, (_rule_decoder.decode(stored.spec), "api"))
        return found

    def put(self, rule: Rule) -> str:
        """Create or replace an API-managed rule; returns `created` or `replaced`.

        Raises `RuleConflict` for the name of a pack, config or built-in rule, or a target
        reading a secret; `PatternError` for an invalid pattern (nothing is stored then).
        """
        if any(getattr(target, "password_env", None) for target in rule.targets):
            raise RuleConflict(f"rule {rule.name!r}: a rule over the API cannot read a secret "
                               "(password_env); declare the channel under [targets] in the "
                               "configuration file")
        if any(isinstance(target, FileTarget) for target in rule.targets):
            raise RuleConflict(f"rule {rule.name!r}: a rule over the API cannot write files "
                               "on the server; declare file targets in the configuration file")
        current = self.all()
        self._check_managed(rule.name, current, "changed")
        rules = {name: r for name, (r, _) in current.items()}
        rules[rule.name] = rule
        self._router.replace(rules.values())
        self._store.put_rule(StoredRule(rule.name, msgspec.json.encode(rule),
                                        int(self._clock.now() * 1000)))
        self._version = self._store.rules_version()
        return "replaced" if rule.name in current else "created"

    def delete(self, name: str) -> bool:
        """Delete an API-managed rule; False when there was none of that name."""
        current = self.all()
        self._check_managed(name, current, "deleted")
        deleted = self._store.delete_rule(name)
        self._router.replace(r for n, (r, _) in current.items() if n != name)
        self._version = self._store.rules_version()
        return deleted

    def reload(self) -> bool:
        """Pick up rules another process (the CLI) wrote to the store; True if any changed."""
        version = self._store.rules_version()
        if version == self._version:
            return False
        self._version = version
        self._route_all()
        return True

    def _route_all(self) -> None:
        self._router.replace(rule for rule, _ in self.all().values())

    @staticmethod
    def _check_managed(name: str, current: dict[str, tuple[Rule, str]], verb: str) -> None:
        if name in current and current[name][1] != "api":
            raise RuleConflict(f"rule {name!r} comes from {current[name][1]} and cannot be "
                               f"{verb} over the API")
