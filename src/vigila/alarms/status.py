"""An alarm's current state and its history, as DescribeAlarms and DescribeAlarmHistory show them.

>>> history = History(limit=2)
>>> for t, (old, new) in enumerate([("INSUFFICIENT_DATA", "OK"), ("OK", "ALARM"), ("ALARM", "OK")]):
...     entry = HistoryItem.state_update("cpu", "MetricAlarm", t, (old, "", None), (new, "", None))
...     history.append(entry)
>>> [item.summary for item in history.items(now=2.0)]
['Alarm updated from OK to ALARM', 'Alarm updated from ALARM to OK']
"""

from __future__ import annotations

import json
from collections import deque
from typing import Literal

import msgspec

from vigila.alarms.model import AlarmState

HISTORY_SECONDS = 14 * 86400
"""How long history is kept, as CloudWatch (two weeks)."""

AlarmType = Literal["MetricAlarm", "CompositeAlarm"]
StateTriple = tuple[str, str, str | None]
"""(state value, reason, reason data)."""


class AlarmStatus(msgspec.Struct, frozen=True, kw_only=True):
    """An alarm's state: value, reason, reason data, and when it was last updated."""

    name: str
    arn: str
    alarm_type: AlarmType
    value: AlarmState
    reason: str
    reason_data: str | None
    updated: float
    """When the state value was last set (StateUpdatedTimestamp)."""
    actions_suppressed_by: str | None = None


class HistoryItem(msgspec.Struct, frozen=True, kw_only=True):
    """One entry of an alarm's history; `data` renders CloudWatch's `HistoryData` JSON."""

    alarm_name: str
    alarm_type: AlarmType
    timestamp: float
    item_type: Literal["ConfigurationUpdate", "StateUpdate"]
    summary: str
    old: StateTriple | None = None
    new: StateTriple | None = None
    definition: str | None = None
    """The alarm definition as JSON, for a configuration update."""

    @classmethod
    def state_update(
        cls, name: str, alarm_type: AlarmType, timestamp: float, old: StateTriple, new: StateTriple
    ) -> HistoryItem:
        """The entry for a state change; `old` and `new` are (value, reason, reason data)."""
        return cls(
            alarm_name=name,
            alarm_type=alarm_type,
            timestamp=timestamp,
            item_type="StateUpdate",
            summary=f"Alarm updated from {old[0]} to {new[0]}",
            old=old,
            new=new,
        )

    @classmethod
    def configuration_update(
        cls, alarm_type: AlarmType, timestamp: float, definition: msgspec.Struct, created: bool
    ) -> HistoryItem:
        """The entry for an alarm created or updated; `definition` has a `name`."""
        name = definition.name
        return cls(
            alarm_name=name,
            alarm_type=alarm_type,
            timestamp=timestamp,
            item_type="ConfigurationUpdate",
            summary=f'Alarm "{name}" {"created" if created else "updated"}',
            definition=msgspec.json.encode(definition).decode(),
        )

    @property
    def data(self) -> str:
        """CloudWatch's `HistoryData`: the old and new state, or the new configuration."""
        if self.old is None or self.new is None:
            return json.dumps({"version": "1.0", "alarm": json.loads(self.definition or "{}")})
        states = {"oldState": _state(self.old), "newState": _state(self.new)}
        return json.dumps({"version": "1.0", **states})


class History:
    """The newest `limit` entries of one alarm, no older than two weeks."""

    __slots__ = ("_items",)

    def __init__(self, limit: int) -> None:
        self._items: deque[HistoryItem] = deque(maxlen=limit)

    def append(self, item: HistoryItem) -> None:
        """Record `item`."""
        self._items.append(item)

    def items(self, now: float) -> list[HistoryItem]:
        """Entries of the last two weeks, oldest first."""
        while self._items and self._items[0].timestamp < now - HISTORY_SECONDS:
            self._items.popleft()
        return list(self._items)


def _state(state: StateTriple) -> dict[str, object]:
    value, reason, data = state
    out: dict[str, object] = {"stateValue": value, "stateReason": reason}
    if data is not None:
        out["stateReasonData"] = json.loads(data)
    return out
