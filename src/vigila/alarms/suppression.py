"""Actions suppression of a composite alarm, with CloudWatch's WaitPeriod and ExtensionPeriod.

* When the composite changes state while its suppressor is in ALARM, its
  actions are suppressed by `Alarm`.
* Otherwise a WaitPeriod starts: the actions wait for the suppressor to go into
  ALARM (then they are suppressed by `Alarm`). A new state change restarts it,
  and also ends a running ExtensionPeriod.
* When the suppressor leaves ALARM, an ExtensionPeriod starts.
* When a WaitPeriod or ExtensionPeriod runs out, the composite takes the actions
  of the state it is in then, if a state change's actions were held back.

>>> s = Suppression(wait=120, extension=180, suppressor_in_alarm=False)
>>> s.on_transition(now=0.0)
'WaitPeriod'
>>> s.observe(suppressor_in_alarm=True, now=60.0)  # suppressor alarms within the wait
False
>>> s.suppressed_by
'Alarm'
>>> s.observe(suppressor_in_alarm=False, now=600.0), s.suppressed_by, s.until
(False, 'ExtensionPeriod', 780.0)
>>> s.expire(now=780.0)  # the held-back actions are taken now
True
"""

from __future__ import annotations

from typing import Literal

SuppressedBy = Literal["WaitPeriod", "ExtensionPeriod", "Alarm"]


class Suppression:
    """The suppression state of one composite alarm; time comes in as `now`."""

    __slots__ = ("extension", "in_alarm", "mode", "pending", "until", "wait")

    def __init__(self, wait: int, extension: int, suppressor_in_alarm: bool) -> None:
        self.wait = wait
        self.extension = extension
        self.in_alarm = suppressor_in_alarm
        self.mode: SuppressedBy | None = "Alarm" if suppressor_in_alarm else None
        self.until: float | None = None
        self.pending = False

    @property
    def suppressed_by(self) -> SuppressedBy | None:
        """What holds actions back now (CloudWatch's `ActionsSuppressedBy`)."""
        return self.mode

    def on_transition(self, now: float) -> SuppressedBy | None:
        """The composite changed state: None to take its actions now, else what holds them."""
        if self.in_alarm:
            self.pending = True
            return "Alarm"
        if self.wait == 0:
            self._clear()
            return None
        self.mode, self.until, self.pending = "WaitPeriod", now + self.wait, True
        return "WaitPeriod"

    def observe(self, suppressor_in_alarm: bool, now: float) -> bool:
        """The suppressor's state now; True when held-back actions are to be taken now."""
        was, self.in_alarm = self.in_alarm, suppressor_in_alarm
        if suppressor_in_alarm and not was:
            self.mode, self.until = "Alarm", None
        elif was and not suppressor_in_alarm:
            self.mode, self.until = "ExtensionPeriod", now + self.extension
            return self.expire(now)
        return False

    def expire(self, now: float) -> bool:
        """End a WaitPeriod or ExtensionPeriod that has run out; True to take held-back actions."""
        if self.until is None or now < self.until:
            return False
        release = self.pending
        self._clear()
        return release

    def _clear(self) -> None:
        self.mode, self.until, self.pending = None, None, False
