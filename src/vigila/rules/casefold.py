"""Case-insensitive text as event-ruler compares it.

event-ruler expands each UTF-16 unit `c` of an `equals-ignore-case` value to
its two spellings, `c.lower()` and `c.upper()`, and compares the event text
with those alternatives as it is, without folding it. So "ß" matches "ß"
and "SS" but not "ss", and a character outside the Basic Multilingual Plane
matches only itself. `IgnoreCase` answers that question exactly, in time
linear in the text, and offers a `key` for indexing: `text.casefold()` of
any matching text starts with, ends with or equals it.

>>> ic = IgnoreCase("Straße")
>>> ic.equals("STRASSE"), ic.equals("strasse"), ic.key
(True, False, 'strasse')
"""

from __future__ import annotations

Spellings = tuple[tuple[str, ...], ...]


class IgnoreCase:
    """One `equals-ignore-case` value, for whole, prefix and suffix matching."""

    __slots__ = ("_backward", "_forward", "_lower", "_upper", "key", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self._forward: Spellings = ()
        self._backward: Spellings = ()
        if text.isascii():  # the usual case, in C: one lower and one upper character each
            self._lower: str | None = text.lower()
            self._upper = text.upper()
            self.key: str | None = self._lower
            return
        spellings = [
            (char,) if ord(char) > 0xFFFF else tuple(sorted({char.lower(), char.upper()}))
            for char in text
        ]
        folds = [{s.casefold() for s in options} for options in spellings]
        self.key = "".join(f.pop() for f in folds) if all(len(f) == 1 for f in folds) else None
        if all(len(s) == 1 for options in spellings for s in options):
            self._lower = "".join(options[0] for options in spellings)
            self._upper = "".join(options[-1] for options in spellings)
            return
        self._lower = None
        self._forward = tuple(spellings)
        self._backward = tuple(tuple(s[::-1] for s in options) for options in reversed(spellings))

    def equals(self, value: str) -> bool:
        """The whole of `value` is a spelling of this text."""
        if self._lower is not None:
            return len(value) == len(self._lower) and self._spells(value)
        return len(value) in _ends(value, self._forward)

    def starts(self, value: str) -> bool:
        """`value` begins with a spelling of this text."""
        if self._lower is not None:
            size = len(self._lower)
            return len(value) >= size and self._spells(value[:size])
        return bool(_ends(value, self._forward))

    def ends(self, value: str) -> bool:
        """`value` ends with a spelling of this text."""
        if self._lower is not None:
            size = len(self._lower)
            return len(value) >= size and self._spells(value[len(value) - size :])
        return bool(_ends(value[::-1], self._backward))

    def _spells(self, value: str) -> bool:
        """Each character of `value` (as long as the text) is one of its two spellings."""
        lower, upper = self._lower, self._upper
        return value in (lower, upper) or all(
            c in (lo, up) for c, lo, up in zip(value, lower or "", upper, strict=True)
        )


def _ends(value: str, spellings: Spellings) -> set[int]:
    """Where in `value` a spelling of the whole sequence, begun at 0, can end."""
    positions = {0}
    for options in spellings:
        positions = {p + len(s) for p in positions for s in options if value.startswith(s, p)}
        if not positions:
            break
    return positions
