"""Errors of alarm definitions, composite rules and the alarm registry.

Each says what was wrong and where: the field and what it allows, the rule's
column, the limit crossed, the cycle found.

>>> str(RuleSyntaxError(14, "expected AND, OR or ')', found 'ALARM(b)'"))
"rule, column 14: expected AND, OR or ')', found 'ALARM(b)'"
"""

from __future__ import annotations

from vigila.metrics.errors import InvalidField


class AlarmValidationError(InvalidField):
    """An alarm definition field outside what CloudWatch allows."""

    kind = "alarm"


class RuleSyntaxError(ValueError):
    """A composite alarm rule that does not parse; `column` is 1-based."""

    def __init__(self, column: int, reason: str) -> None:
        self.column = column
        self.reason = reason
        super().__init__(f"rule, column {column}: {reason}")


class RuleLimitError(ValueError):
    """A composite alarm rule over one of CloudWatch's limits."""

    def __init__(self, what: str, limit: int, actual: int) -> None:
        self.what = what
        self.limit = limit
        self.actual = actual
        super().__init__(f"rule has {actual} {what}; the limit is {limit}")


class AlarmCycleError(ValueError):
    """Composite alarms that would depend on themselves; `path` ends where it starts."""

    def __init__(self, path: list[str]) -> None:
        self.path = path
        super().__init__(f"composite alarms would form a cycle: {' -> '.join(path)}")


class AlarmInUseError(ValueError):
    """An alarm that composite alarms still reference cannot be deleted."""

    def __init__(self, name: str, users: list[str]) -> None:
        self.name = name
        self.users = users
        super().__init__(f"alarm {name!r} is referenced by composite alarms: {', '.join(users)}")
