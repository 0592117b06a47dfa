"""What a pack's processor is: a pure function of a typed event and a clock.

>>> class Hot:
...     name = "hot"
...     accepts = frozenset({("vigila.fabric", "Port Metrics")})
...     def process(self, event, ctx):
...         if event.detail["utilization"] > 80:
...             yield Record(kind="hot", key=event.id, entity=event.resources[0], value=1)
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol

import msgspec

from vigila.clock import Clock
from vigila.events.envelope import Event


class Record(msgspec.Struct, frozen=True):
    """A stored output, unique by `(kind, key)`: reprocessing the event rewrites the same row."""

    kind: str
    key: str
    entity: str
    value: Any
    time: float | None = None
    """Seconds since the epoch; defaults to the event's time."""


class Emit(msgspec.Struct, frozen=True):
    """A new event to put on the bus. Its id is derived from the source event's id, the
    processor and `key`, so reprocessing emits the same id and the log drops the copy."""

    source: str
    detail_type: str
    detail: Any
    key: str = ""
    resources: list[str] = []


Output = Record | Emit


class ProcessContext(msgspec.Struct):
    """What a processor may know besides the event: the time, from an injected clock."""

    clock: Clock
    partition: int


class StatefulProcessor(Protocol):
    """A processor whose per-entity state is saved with each batch's commit, so a
    restart (or a replayed batch) resumes exactly where the checkpoint is."""

    name: str

    def export_states(self) -> dict[str, bytes]:
        """Entity -> state, for the entities changed since the last export."""
        ...

    def import_states(self, states: dict[str, bytes]) -> None:
        """Replace all state by `states` (every entity not in it starts afresh)."""
        ...


class Processor(Protocol):
    """A pack's processor. `accepts` lists the `(source, detail-type)` pairs it handles
    (None: every event)."""

    name: str
    accepts: frozenset[tuple[str, str]] | None

    def process(self, event: Event[Any], ctx: ProcessContext) -> Iterable[Output]: ...
