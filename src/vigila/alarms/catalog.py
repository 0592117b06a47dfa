"""Where a runtime's alarms come from: built-in self-monitoring, packs, the configuration
file, and the alarms managed over the API (kept in the store for restarts). Every action
must name a target declared under `[targets]`."""

from __future__ import annotations

from collections.abc import Iterable

import msgspec

from vigila.alarms.errors import AlarmValidationError
from vigila.alarms.selfmon import self_monitoring_alarms
from vigila.alarms.service import AlarmDefinition, AlarmService, parse_alarm
from vigila.clock import Clock
from vigila.config.loader import ConfigError
from vigila.config.schema import Config
from vigila.store.base import Store


class AlarmCatalog:
    """Loads every alarm into `service` and keeps the API-managed ones in the store."""

    def __init__(self, config: Config, pack_alarms: Iterable[tuple[AlarmDefinition, str]],
                 store: Store, service: AlarmService, clock: Clock) -> None:
        self._config = config
        self._store = store
        self._service = service
        self._clock = clock
        service.load(self._definitions(list(pack_alarms)))

    def put(self, alarm: AlarmDefinition) -> str:
        """Create or replace an API-managed alarm; returns `created` or `replaced`."""
        self.check_actions(alarm)
        outcome = self._service.put(alarm)
        self._store.put_alarm(alarm.name, msgspec.json.encode(alarm),
                              int(self._clock.now() * 1000))
        return outcome

    def delete(self, name: str) -> None:
        self._service.delete(name)
        self._store.delete_alarm(name)

    def check_actions(self, alarm: AlarmDefinition, origin: str = "api") -> None:
        """Raise `ConfigError` when an action names no target declared under `[targets]`."""
        actions = {*alarm.alarm_actions, *alarm.ok_actions, *alarm.insufficient_data_actions}
        unknown = sorted(actions - set(self._config.targets))
        if unknown:
            raise ConfigError(
                f"alarm {alarm.name!r} ({origin}) names unknown action target(s) {unknown}; "
                f"declared targets: {sorted(self._config.targets) or 'none'}")

    def _definitions(self, pack_alarms: list[tuple[AlarmDefinition, str]]
                     ) -> list[tuple[AlarmDefinition, str]]:
        found: list[tuple[AlarmDefinition, str]] = []
        alerting = self._config.alerting
        if alerting.self_monitoring:
            metric, composite = self_monitoring_alarms(self._config.environment,
                                                       alerting.self_monitoring_actions)
            found += [(a, "builtin") for a in [*metric, *composite]]
        found += pack_alarms
        try:
            found += [(parse_alarm(spec), "config") for spec in self._config.alarms]
        except AlarmValidationError as exc:
            raise ConfigError(f"invalid configuration: alarms: {exc}") from None
        found += [(parse_alarm(msgspec.json.decode(spec)), "api")
                  for spec in self._store.stored_alarms()]
        for alarm, origin in found:
            self.check_actions(alarm, origin)
        return found
