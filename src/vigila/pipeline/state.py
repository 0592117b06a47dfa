"""Per-entity state kept in arrays indexed by entity slot, saved with each commit.

A batch processor keeps its baselines as arrays (structure of arrays), row `slot`
for the entity `batch.entities.names[slot]`. `SlotStates` does the bookkeeping
that makes such state durable: it loads an entity's saved state the first time
the entity shows up, starts the others afresh, and remembers which entities
changed so `export` returns only those.

>>> import numpy as np
>>> from vigila.clock import ManualClock
>>> from vigila.events.envelope import Event
>>> from vigila.pipeline.batch import EntitySlots
>>> from vigila.pipeline.processor import ProcessContext, process_events
>>> class Counts:  # the smallest SlotArrays: one counter per slot
...     def __init__(self): self.n = np.zeros(0, np.int64)
...     def ensure(self, size): self.n = np.resize(self.n, max(size, len(self.n)))
...     def reset(self, slots): self.n[slots] = 0
...     def load(self, slot, state): self.n[slot] = int(state)
...     def state_of(self, slot): return str(self.n[slot]).encode()
>>> class Counter:
...     name, accepts = "counter", None
...     def __init__(self): self.states = SlotStates(Counts())
...     def process_batch(self, batch, ctx):
...         slots = self.states.prepare(batch)
...         np.add.at(self.states.arrays.n, slots, 1)
...         self.states.touched(slots)
...         return []
>>> counter = Counter()
>>> counter.states.restore({"a": b"41"})
>>> events = [Event(source="app", detail_type="Tick", resources=[r], detail={})
...           for r in ("a", "b", "a")]
>>> _ = process_events(counter, events, ProcessContext(ManualClock(0), 0),
...                    entities=EntitySlots())
>>> counter.states.export()
{'a': b'43', 'b': b'1'}
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

from vigila.pipeline.batch import Batch, EntitySlots


class SlotArrays(Protocol):
    """State of many entities, one row per slot."""

    def ensure(self, size: int) -> None:
        """Make room for slots `0 .. size - 1` (rows beyond the old size are reset)."""
        ...

    def reset(self, slots: np.ndarray) -> None:
        """Start `slots` afresh."""
        ...

    def load(self, slot: int, state: bytes) -> None:
        """Set `slot` to a state `state_of` returned (raises on malformed bytes)."""
        ...

    def state_of(self, slot: int) -> bytes: ...


class SlotStates:
    """Loads, tracks and exports the per-entity state of one `SlotArrays`."""

    def __init__(self, arrays: SlotArrays) -> None:
        self.arrays = arrays
        self._entities: EntitySlots | None = None
        self._ready = 0
        """Slots below this hold their entity's state (loaded or fresh)."""
        self._saved: dict[str, bytes] = {}
        """States restored but not loaded yet: their entity has not shown up."""
        self._dirty: set[int] = set()

    def prepare(self, batch: Batch) -> np.ndarray:
        """Set up every slot numbered since the last call, `batch`'s included; returns
        `batch.slots`. A processor's batches all share one entity table."""
        slots = batch.slots  # numbers the batch's new entities first
        self._bind(batch.entities)
        return slots

    def _bind(self, entities: EntitySlots) -> None:
        if self._entities is None:
            self._entities = entities
        elif entities is not self._entities:
            raise ValueError("a processor's state follows one entity table: pass the same "
                             "EntitySlots to every batch")
        size = len(entities)
        if size <= self._ready:
            return
        self.arrays.ensure(size)
        fresh = []
        for slot in range(self._ready, size):
            state = self._saved.pop(entities.names[slot], None)
            if state is None:
                fresh.append(slot)
            else:
                self.arrays.load(slot, state)
        if fresh:
            self.arrays.reset(np.array(fresh, dtype=np.int64))
        self._ready = size

    def touched(self, slots: np.ndarray) -> None:
        """Mark `slots` as changed since the last export."""
        self._dirty.update(slots.tolist())

    def export(self) -> dict[str, bytes]:
        """Entity -> state, for the entities changed since the last export."""
        dirty, self._dirty = self._dirty, set()
        if not dirty or self._entities is None:
            return {}
        names = self._entities.names
        return {names[slot]: self.arrays.state_of(slot) for slot in sorted(dirty)}

    def restore(self, states: dict[str, bytes]) -> None:
        """Replace every entity's state by `states`: the ones not in it start afresh."""
        self._saved = dict(states)
        self._ready = 0
        self._dirty = set()
