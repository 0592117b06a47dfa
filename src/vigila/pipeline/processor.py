"""What a pack's processor is: a pure function of a batch of events and a clock.

A processor receives a `Batch` (events of one `(source, detail-type)` in log
order, with numpy columns, entity slots and times) and returns its outputs in
bulk; each output names the batch row it comes from. A processor written one
event at a time subclasses `PerEvent`, which meets the same contract:

>>> class Hot(PerEvent):
...     name = "hot"
...     accepts = frozenset({("vigila.fabric", "Port Metrics")})
...     def process(self, event, ctx):
...         if event.detail.utilization > 80:
...             yield Record(kind="hot", key=event.id, entity=event.resources[0], value=1)

The same test over a whole batch, with the columns:

>>> import numpy as np
>>> class HotColumns:
...     name = "hot"
...     accepts = frozenset({("vigila.fabric", "Port Metrics")})
...     def process_batch(self, batch, ctx):
...         ids, names = batch.ids, batch.entities.names
...         return [Record(kind="hot", key=ids[row], entity=names[batch.slots[row]],
...                        value=1, row=row)
...                 for row in np.flatnonzero(batch.column("utilization") > 80).tolist()]
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol

import msgspec

from vigila.clock import Clock
from vigila.events.envelope import Event
from vigila.pipeline.batch import Batch, ColumnSpec, EntitySlots, Group


class Record(msgspec.Struct, frozen=True):
    """A stored output, unique by `(kind, key)`: reprocessing the event rewrites the same row."""

    kind: str
    key: str
    entity: str
    value: Any
    time: float | None = None
    """Seconds since the epoch; defaults to the event's time."""
    row: int = 0
    """The batch row the output comes from (`PerEvent` fills it in)."""


class Emit(msgspec.Struct, frozen=True):
    """A new event to put on the bus. Its id is derived from the source event's id, the
    processor and `key`, so reprocessing emits the same id and the log drops the copy."""

    source: str
    detail_type: str
    detail: Any
    key: str = ""
    resources: list[str] = []
    row: int = 0
    """The batch row the event derives from (`PerEvent` fills it in)."""


Output = Record | Emit


class ProcessContext(msgspec.Struct):
    """What a processor may know besides the events: the time, from an injected clock."""

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
    (None: every event). Outputs of one batch may come in any order; a row's emitted
    events keep theirs."""

    name: str
    accepts: frozenset[tuple[str, str]] | None

    def process_batch(self, batch: Batch, ctx: ProcessContext) -> Iterable[Output]: ...


class PerEvent:
    """Base of a processor written one event at a time: define `process(event, ctx)`.

    Rows whose detail did not decode are skipped (the runner dead-letters them).
    """

    def process(self, event: Event[Any], ctx: ProcessContext) -> Iterable[Output]:
        raise NotImplementedError

    def process_batch(self, batch: Batch, ctx: ProcessContext) -> list[Output]:
        out: list[Output] = []
        for row, event in enumerate(batch.rows()):
            if event is not None:
                out.extend(o if o.row == row else msgspec.structs.replace(o, row=row)
                           for o in self.process(event, ctx))
        return out


def process_events(processor: Processor, events: list[Event[Any]], ctx: ProcessContext, *,
                   entities: EntitySlots, columns: ColumnSpec | None = None) -> list[Output]:
    """Run `processor` over decoded events of one kind as one batch, outside a runner
    (replay, evaluation, tests). Every call for one processor passes the same `entities`,
    as a runner's batches share its table."""
    group = Group.of_events(events, columns, entities)
    return list(processor.process_batch(Batch(group, 0, len(group)), ctx))
