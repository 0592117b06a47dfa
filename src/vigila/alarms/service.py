"""The alarms of a running node: definitions from packs, config and the API, evaluation on a
timer, state changes published as events, and actions delivered through the outbox.

Every state change becomes an `Alarm State Change` event on the bus (so rules can
route it like any other event); the alarm's own `alarm_actions` / `ok_actions` /
`insufficient_data_actions` name targets declared under `[targets.<name>]`, and
each fires through the durable outbox.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any

import msgspec

from vigila.alarms.errors import AlarmValidationError
from vigila.alarms.evaluator import AlarmEvaluator
from vigila.alarms.model import CompositeAlarm, MetricAlarm
from vigila.alarms.status import AlarmStatus, HistoryItem

AlarmDefinition = MetricAlarm | CompositeAlarm
_encode = msgspec.json.encode


def parse_alarm(spec: dict[str, Any]) -> AlarmDefinition:
    """A metric alarm, or a composite one when `spec` has a `rule`."""
    kind = CompositeAlarm if "rule" in spec else MetricAlarm
    try:
        return msgspec.convert(spec, kind)
    except msgspec.ValidationError as exc:
        raise AlarmValidationError("alarm", spec.get("name"), str(exc)) from None


class AlarmConflict(ValueError):
    """A pack, config or built-in alarm cannot be changed over the API."""


class AlarmService:
    """Owns the evaluator; thread-safe. `publish` puts events on the bus, `act` queues
    deliveries of an event to the named targets."""

    def __init__(self, evaluator: AlarmEvaluator, *, lock: threading.Lock,
                 publish: Callable[[list[dict]], None],
                 act: Callable[[dict, list[str]], None],
                 follows_alerts: Callable[[str], bool] = lambda target: False) -> None:
        """`follows_alerts(target)`: whether a target keeps alerts open until they resolve
        (a notification channel), and so must hear when an alarm leaves ALARM."""
        self._evaluator = evaluator
        self._lock = lock
        self._publish = publish
        self._act = act
        self._follows_alerts = follows_alerts
        self._alerted: dict[str, list[str]] = {}
        """Per alarm in ALARM, the channels its alert went to."""
        self._origins: dict[str, str] = {}
        self._definitions: dict[str, AlarmDefinition] = {}

    def load(self, alarms: Iterable[tuple[AlarmDefinition, str]]) -> None:
        """Install definitions with their origins (`builtin`, `pack:x`, `config`, `api`);
        metric alarms go first, as composites refer to them."""
        ordered = sorted(alarms, key=lambda pair: isinstance(pair[0], CompositeAlarm))
        for alarm, origin in ordered:
            self._install(alarm, origin)

    def put(self, alarm: AlarmDefinition) -> str:
        """Create or replace an API-managed alarm; `created` or `replaced`."""
        origin = self._origins.get(alarm.name)
        if origin not in (None, "api"):
            raise AlarmConflict(f"alarm {alarm.name!r} comes from {origin} and cannot be "
                                "changed over the API")
        self._install(alarm, "api")
        return "created" if origin is None else "replaced"

    def delete(self, name: str) -> None:
        origin = self._origins.get(name)
        if origin is None:
            raise KeyError(name)
        if origin != "api":
            raise AlarmConflict(f"alarm {name!r} comes from {origin} and cannot be deleted "
                                "over the API")
        with self._lock:
            self._evaluator.delete_alarm(name)
        del self._origins[name], self._definitions[name]

    def _install(self, alarm: AlarmDefinition, origin: str) -> None:
        with self._lock:
            if isinstance(alarm, CompositeAlarm):
                self._evaluator.put_composite_alarm(alarm)
            else:
                self._evaluator.put_metric_alarm(alarm)
        self._origins[alarm.name] = origin
        self._definitions[alarm.name] = alarm

    def tick(self) -> list[dict]:
        """Evaluate, publish the state changes, queue their actions."""
        with self._lock:
            events = self._evaluator.tick()
        self._emit(events)
        return events

    def set_state(self, name: str, value: str, reason: str,
                  reason_data: str | None = None) -> list[dict]:
        """SetAlarmState: the change and its actions happen as if evaluated."""
        with self._lock:
            events = self._evaluator.set_state(name, value, reason, reason_data)
        self._emit(events)
        return events

    def _emit(self, events: list[dict]) -> None:
        if not events:
            return
        self._publish(events)
        for event in events:
            targets = [*event.get("actions", []), *self._resolving(event)]
            if targets:
                self._act(event, list(dict.fromkeys(targets)))

    def _resolving(self, event: dict) -> list[str]:
        """The channels an alarm leaving ALARM alerted, even when its new state's actions
        leave them out: without the change their alert would fire, and repeat, forever.
        Before a restart's first ALARM, they are taken from the definition."""
        detail = event.get("detail", {})
        name = detail.get("alarmName", "")
        state = detail.get("state", {}).get("value")
        if state == "ALARM":
            self._alerted[name] = [t for t in event.get("actions", []) if self._follows_alerts(t)]
            return []
        if detail.get("previousState", {}).get("value") != "ALARM":
            return []
        alerted = self._alerted.pop(name, None)
        if alerted is not None:
            return alerted
        alarm = self._definitions.get(name)
        if alarm is None or not alarm.actions_enabled:
            return []
        return [t for t in alarm.alarm_actions if self._follows_alerts(t)]

    # -- reading ----------------------------------------------------------------------

    def definitions(self) -> list[tuple[AlarmDefinition, str, AlarmStatus]]:
        with self._lock:
            return [(alarm, self._origins[name], self._evaluator.status(name))
                    for name, alarm in self._definitions.items()]

    def describe(self, name: str) -> tuple[AlarmDefinition, str, AlarmStatus]:
        if name not in self._definitions:
            raise KeyError(name)
        with self._lock:
            return self._definitions[name], self._origins[name], self._evaluator.status(name)

    def history(self, name: str) -> list[HistoryItem]:
        if name not in self._definitions:
            raise KeyError(name)
        with self._lock:
            return self._evaluator.history(name)
