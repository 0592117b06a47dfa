"""A log batch as processors see it: events of one type, columns, entity slots.

The runner reads a batch of one partition and decodes each record's envelope once
(`Event[msgspec.Raw]`). Records of one `(source, detail-type)` form a `Group`,
in log order; a processor is handed `Batch`es, ranges of a group. Everything
else is worked out on first use and shared by every processor that reads the
group: the typed details (`rows()`), the numpy columns a pack declares with a
`ColumnSpec`, the entity slots and the times.

>>> import msgspec
>>> from vigila.events.schemas import DetailSchemas
>>> line = (b'{"id": "e1", "source": "app", "detail-type": "Tick", "resources": ["r1"],'
...         b' "time": "2026-01-01T00:00:00Z", "detail": {"v": 2.5}}')
>>> group = Group(("app", "Tick"), DetailSchemas(), ColumnSpec(numeric=("v",)),
...               EntitySlots())
>>> group.add(0, msgspec.json.decode(line, type=Event[msgspec.Raw]), 0)
>>> batch = Batch(group, 0, 1)
>>> batch.column("v"), batch.slots, batch.entities.names
(array([2.5]), array([0]), ['r1'])
"""

from __future__ import annotations

import functools
import math
from datetime import UTC, datetime
from typing import Any

import msgspec
import numpy as np

from vigila.events.envelope import Event
from vigila.events.schemas import DetailSchemas
from vigila.metrics.declare import number_or_nan

Kind = tuple[str, str]
"""`(source, detail-type)`."""


class ColumnSpec(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """What a pack declares for one `(source, detail-type)`: the detail fields its
    processors read as float64 columns, the field naming the entity (default: the
    event's first resource, else its source) and the field holding the sample time
    (default: the event's `time`, else when it was appended)."""

    numeric: tuple[str, ...] = ()
    entity: str | None = None
    time: str | None = None


class EntitySlots:
    """Entity names numbered densely from 0, for state kept in arrays indexed by slot.

    A slot is never reused: the numbering lives as long as the runner that owns it.

    >>> slots = EntitySlots()
    >>> slots.of(["a", "b", "a"]).tolist(), slots.names
    ([0, 1, 0], ['a', 'b'])
    """

    def __init__(self) -> None:
        self._slots: dict[str, int] = {}
        self.names: list[str] = []

    def __len__(self) -> int:
        return len(self.names)

    def slot(self, name: str) -> int:
        slot = self._slots.get(name)
        if slot is None:
            slot = self._slots[name] = len(self.names)
            self.names.append(name)
        return slot

    def of(self, names: list[str]) -> np.ndarray:
        """The slot of each name, numbering new ones."""
        known = self._slots
        return np.fromiter((known[n] if n in known else self.slot(n) for n in names),
                           dtype=np.int64, count=len(names))


class Group:
    """The records of one kind in a log batch, in log order, decoded as far as asked."""

    def __init__(self, kind: Kind, schemas: DetailSchemas, spec: ColumnSpec | None,
                 entities: EntitySlots) -> None:
        self.kind = kind
        self.spec = spec
        self.entities = entities
        self._decoder = schemas.decoder(*kind)
        self.positions: list[int] = []
        """Each record's index in the log batch."""
        self.heads: list[Event[Any]] = []
        self.appended_ms: list[int] = []
        self.errors: dict[int, str] = {}
        """Rows whose detail did not decode with the registered struct, and why."""
        self._rows: list[Event[Any] | None] | None = None
        self._columns: dict[str, np.ndarray] = {}
        self._slots: np.ndarray | None = None
        self._times: np.ndarray | None = None
        self._dicts: list[dict[str, Any]] | None = None

    @classmethod
    def of_events(cls, events: list[Event[Any]], spec: ColumnSpec | None,
                  entities: EntitySlots) -> Group:
        """A group of events already decoded, all of one kind (replay, evaluation)."""
        kinds = {(e.source, e.detail_type) for e in events}
        if len(kinds) != 1:
            raise ValueError(f"a group holds events of one kind, got {sorted(kinds)}")
        group = cls(kinds.pop(), DetailSchemas(), spec, entities)
        for position, event in enumerate(events):
            group.add(position, event, 0)
        group._rows = list(events)
        return group

    def add(self, position: int, head: Event[Any], appended_ms: int) -> None:
        self.positions.append(position)
        self.heads.append(head)
        self.appended_ms.append(appended_ms)

    def __len__(self) -> int:
        return len(self.heads)

    def rows(self) -> list[Event[Any] | None]:
        """The events with typed details; None for a row whose detail does not decode
        (the runner dead-letters it)."""
        if self._rows is None:
            decode = self._decoder.decode
            rows: list[Event[Any] | None] = []
            for index, head in enumerate(self.heads):
                try:
                    head.detail = decode(head.detail)  # the head becomes the row
                    rows.append(head)
                except (msgspec.ValidationError, msgspec.DecodeError) as exc:
                    self.errors[index] = str(exc)
                    rows.append(None)
            self._rows = rows
        return self._rows

    def column(self, name: str) -> np.ndarray:
        """The detail field `name` of every row as float64; NaN where a row lacks a number."""
        column = self._columns.get(name)
        if column is None:
            column = self._columns[name] = np.array(
                [number_or_nan(_field(r.detail, name)) if r is not None else math.nan
                 for r in self.rows()], dtype=np.float64)
        return column

    @property
    def slots(self) -> np.ndarray:
        """Each row's entity slot."""
        if self._slots is None:
            names = [h.resources[0] if h.resources else h.source for h in self.heads]
            field = self.spec.entity if self.spec else None
            if field is not None:  # the declared field, where a row has it
                names = [name if r is None or (value := _field(r.detail, field)) is None
                         else str(value) for name, r in zip(names, self.rows(), strict=True)]
            self._slots = self.entities.of(names)
        return self._slots

    @property
    def times(self) -> np.ndarray:
        """Each row's sample time in seconds since the epoch."""
        if self._times is None:
            field = self.spec.time if self.spec else None
            stamps: list[Any] = ([_field(r.detail, field) if r is not None else None
                                  for r in self.rows()] if field else [None] * len(self))
            self._times = np.array(
                [_seconds(s) or (h.time.timestamp() if h.time is not None else at / 1000)
                 for s, h, at in zip(stamps, self.heads, self.appended_ms, strict=True)],
                dtype=np.float64)
        return self._times

    def values(self, path: str) -> list[Any]:
        """The value at `path` (`detail.stream_id`, JSON names) of every row; None where
        absent, as in the JSON object (metric declarations read events so)."""
        first, *rest = path.split(".")
        if first == "detail":
            found: list[Any] = [r.detail if r is not None else None for r in self.rows()]
        else:
            attr = _ENVELOPE_FIELDS.get(first)
            if attr is None:
                return [None] * len(self)
            found = [_plain(getattr(h, attr)) for h in self.heads]
        for key in rest:
            found = _step(found, key)
        return found

    def event_times(self) -> list[float | None]:
        """Each row's envelope `time` in seconds, None when it has none."""
        return [h.time.timestamp() if h.time is not None else None for h in self.heads]

    def dicts(self, lines: list[bytes]) -> list[dict[str, Any]]:
        """Each row as the plain JSON object it is (for rules), from the batch's `lines`."""
        if self._dicts is None:
            self._dicts = [_decode_object(lines[p]) for p in self.positions]
        return self._dicts


class Batch:
    """Rows `[start, stop)` of a group: what one `process_batch` call receives.

    Indexes a processor uses (an output's `row`) count from the batch's first row.
    """

    __slots__ = ("group", "start", "stop")

    def __init__(self, group: Group, start: int, stop: int) -> None:
        self.group = group
        self.start = start
        self.stop = stop

    def __len__(self) -> int:
        return self.stop - self.start

    @property
    def source(self) -> str:
        return self.group.kind[0]

    @property
    def detail_type(self) -> str:
        return self.group.kind[1]

    @property
    def ids(self) -> list[str]:
        return [h.id for h in self.group.heads[self.start : self.stop]]

    @property
    def entities(self) -> EntitySlots:
        """Slot -> entity name (`entities.names[slot]`), shared by the runner's batches."""
        return self.group.entities

    @property
    def slots(self) -> np.ndarray:
        return self.group.slots[self.start : self.stop]

    @property
    def times(self) -> np.ndarray:
        return self.group.times[self.start : self.stop]

    def column(self, name: str) -> np.ndarray:
        """A declared numeric detail field, float64, NaN where absent."""
        return self.group.column(name)[self.start : self.stop]

    def rows(self) -> list[Event[Any] | None]:
        """The typed events (decoded on first use); None for a row that did not decode."""
        return self.group.rows()[self.start : self.stop]


_decode_object = msgspec.json.Decoder(dict[str, Any]).decode
_ENVELOPE_FIELDS = {f.encode_name: f.name for f in msgspec.structs.fields(Event)}


@functools.cache
def _attribute(cls: type, key: str) -> str | None:
    """The attribute of struct `cls` that JSON key `key` decodes into."""
    return next((f.name for f in msgspec.structs.fields(cls) if f.encode_name == key), None)


def _seconds(stamp: Any) -> float | None:
    """A declared time field as seconds: a time, or RFC 3339 text (UTC when it names no
    zone); None for anything else."""
    if isinstance(stamp, str):
        try:
            stamp = datetime.fromisoformat(stamp)
        except ValueError:
            return None
    if not isinstance(stamp, datetime):
        return None
    return (stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)).timestamp()


def _field(detail: Any, name: str) -> Any:
    """A typed detail's attribute, or a plain detail's member; None when absent."""
    return detail.get(name) if detail.__class__ is dict else getattr(detail, name, None)


def _step(values: list[Any], key: str) -> list[Any]:
    """`value[key]` of each value: an object's member or a struct's field, else None."""
    first = values[0] if values else None
    if isinstance(first, msgspec.Struct) and all(v.__class__ is first.__class__
                                                 for v in values):
        attr = _attribute(first.__class__, key)  # one typed detail class: the common case
        if attr is None:
            return [None] * len(values)
        got = [getattr(v, attr) for v in values]
        if any(v is msgspec.UNSET or v.__class__ is datetime for v in got):
            return [_plain(v) for v in got]
        return got
    out = []
    for value in values:
        if value.__class__ is dict:
            out.append(value.get(key))
        elif isinstance(value, msgspec.Struct):
            attr = _attribute(value.__class__, key)
            out.append(None if attr is None else _plain(getattr(value, attr)))
        else:
            out.append(None)
    return out


def _plain(value: Any) -> Any:
    """A struct field as its JSON object would hold it: unset is absent, a time is text."""
    if value is msgspec.UNSET:
        return None
    if isinstance(value, datetime):
        return value.isoformat()
    return value


