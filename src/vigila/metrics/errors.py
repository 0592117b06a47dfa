"""Errors that name the field, the offending value and what is allowed.

>>> str(MetricValidationError("value", float("nan"), "a finite number"))
"metric field 'value': nan is not allowed (allowed: a finite number)"
"""

from __future__ import annotations

_SHOWN = 64


def shown(value: object) -> str:
    """The value as an error message shows it: hostile input is cut short."""
    text = repr(value)
    if len(text) <= _SHOWN:
        return text
    return f"{text[:_SHOWN]}... ({len(text)} chars)"


class InvalidField(ValueError):
    """A field's value is outside what is allowed."""

    kind = "field"

    def __init__(self, field: str, value: object, allowed: str) -> None:
        self.field = field
        self.value = value
        self.allowed = allowed
        super().__init__(
            f"{self.kind} field {field!r}: {shown(value)} is not allowed (allowed: {allowed})"
        )


class MetricValidationError(InvalidField):
    """A datapoint, statistic or rollup row that vigila refuses."""

    kind = "metric"
