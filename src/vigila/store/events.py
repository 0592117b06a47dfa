"""Processed events, read back from the log where the store's spans say they are.

The store indexes each processed batch (a span: offsets, times, kinds, resources,
ids), not each event. A query takes the spans that may hold matches, highest
event time first, reads their records from the log and decodes the envelope of each
line that may match, keeping the best `limit + 1`; it stops at the first span whose
latest event is older than all of those. Order: event time, then partition, then
offset, newest first. A span whose records include dead letters lists its events'
ids, so the others are skipped.
"""

from __future__ import annotations

import heapq
import re
from collections.abc import Iterator, Sequence
from contextlib import closing
from datetime import datetime
from operator import itemgetter

import msgspec

from vigila.log.base import EventLog, LogRecord
from vigila.store.base import EventQuery, Page, SpanFilter, Store, StoredEvent, StoredSpan

READ_BEHIND = 2000
"""Records read before a span when the query walks back through adjacent spans: the
spans before it come from the same chunks of the log, decompressed once."""
_CURSOR = re.compile(r"(-?[0-9]{1,19})\.([0-9]{1,19})\.([0-9]{1,19})")
_INT64 = 2**63


class _Head(msgspec.Struct, rename={"detail_type": "detail-type"}, gc=False):
    """The envelope fields a query reads; msgspec skips the rest of a line."""

    source: str
    detail_type: str
    id: str = ""
    time: datetime | None = None
    resources: list[str] = []


_decode_head = msgspec.json.Decoder(_Head).decode
_encode = msgspec.json.encode
_KEY = itemgetter(0)


_Found = tuple[tuple[int, int, int], LogRecord, _Head]
"""An event of a span: its sort key `(time_ms, partition, offset)`, record and head."""


def _stored(found: _Found) -> StoredEvent:
    (time_ms, partition, offset), record, head = found
    return StoredEvent(head.id, time_ms, head.source, head.detail_type, head.resources,
                       partition, offset, record.data)


class EventReader:
    """Queries, lookups and counts of the events the pipeline processed."""

    def __init__(self, store: Store, log: EventLog) -> None:
        self._store = store
        self._log = log

    def query(self, query: EventQuery) -> Page:
        """Newest event time first; `next_cursor` continues where this page stopped.
        Start times are inclusive, end times exclusive.

        Raises ValueError for a cursor this reader did not hand out, or a limit under 1
        (a large one holds no more than the events that match).
        """
        if query.limit < 1:
            raise ValueError(f"limit {query.limit} is under 1")
        after = None if query.cursor is None else _parse_cursor(query.cursor)
        high = None if query.end_ms is None else query.end_ms - 1
        if after is not None:
            high = after[0] if high is None else min(high, after[0])
        needles = [_encode(value) for value in (query.source, query.detail_type, query.resource)
                   if value is not None]  # as the envelope writes them
        best: list[_Found] = []
        records = _Records(self._log)
        where = SpanFilter(query.source, query.detail_type, query.resource, query.start_ms, high)
        with closing(self._store.spans(where)) as spans:
            for span in spans:
                if len(best) > query.limit and best[0][0][0] > span.max_ms:
                    break  # no later span holds an event as new as those kept
                for found in _events(span, records.read(span), needles):
                    key, _, head = found
                    if len(best) > query.limit and key < best[0][0]:
                        continue  # older than all kept: no need to look closer
                    if not (_within(key[0], query.start_ms, high)
                            and (after is None or key < after)
                            and (query.source is None or head.source == query.source)
                            and (query.detail_type is None
                                 or head.detail_type == query.detail_type)
                            and (query.resource is None or query.resource in head.resources)):
                        continue
                    if len(best) <= query.limit:
                        heapq.heappush(best, found)
                    else:
                        heapq.heapreplace(best, found)
        ordered = sorted(best, key=_KEY, reverse=True)
        page = ordered[: query.limit]
        cursor = _cursor(page[-1][0]) if len(ordered) > query.limit else None
        return Page(items=[_stored(found) for found in page], next_cursor=cursor)

    def get(self, event_id: str) -> StoredEvent | None:
        """The event `event_id`; where the log holds it twice, the one processed first."""
        needle = _encode(event_id)
        for span in self._store.spans_with_id(event_id):
            for found in _events(span, _read(self._log, span), [needle]):
                if found[2].id == event_id:
                    return _stored(found)
        return None

    def count(self) -> int:
        """How many events a query could return."""
        kept = {state.partition: state.first for state in self._log.states()}
        totals = self._store.span_totals(kept)
        pending = sum(1 for span in totals.pending for _ in _events(span, _read(self._log, span)))
        return totals.events + pending


class _Records:
    """The log's records for the spans of one query. Walking back through adjacent spans
    of a partition, it reads `READ_BEHIND` records more, so the spans before come from
    what was read; a span elsewhere is read alone."""

    def __init__(self, log: EventLog) -> None:
        self._log = log
        self._held: dict[int, tuple[int, list[LogRecord]]] = {}
        """Per partition, the first offset of the last read and its records."""

    def read(self, span: StoredSpan) -> list[LogRecord]:
        end = span.first + span.count
        start, held = self._held.get(span.partition, (0, []))
        if held and start <= span.first and end <= held[-1].offset + 1:
            return _slice(held, span.first, end)
        first = span.first
        if held and end == start:  # the span just before the last read
            first = max(0, span.first - READ_BEHIND)
        held = self._log.read(span.partition, first, end - first)
        self._held[span.partition] = (first, held)
        return _slice(held, span.first, end)


def _read(log: EventLog, span: StoredSpan) -> list[LogRecord]:
    return _slice(log.read(span.partition, span.first, span.count), span.first,
                  span.first + span.count)


def _slice(records: list[LogRecord], first: int, end: int) -> list[LogRecord]:
    """The records of offsets `[first, end)` among `records` (consecutive offsets, the
    first ones possibly trimmed from the log, the last ones past `end`)."""
    if not records:
        return []
    base = records[0].offset
    return records[max(0, first - base) : max(0, end - base)]


def _events(span: StoredSpan, records: list[LogRecord], needles: Sequence[bytes] = ()
            ) -> Iterator[_Found]:
    """The events among `records` of `span` whose lines hold every needle; dead letters
    and events that retention trimmed are left out."""
    members, floor = span.members, span.min_ms
    for record in records:
        data = record.data
        if needles and not all(map(data.__contains__, needles)):
            continue
        try:
            head = _decode_head(data)
        except msgspec.DecodeError:  # a dead letter: not JSON, or not an envelope
            continue
        if members is not None and head.id not in members:
            continue
        time_ms = int(head.time.timestamp() * 1000) if head.time else record.appended_ms
        if time_ms >= floor:
            yield (time_ms, record.partition, record.offset), record, head


def _within(time_ms: int, low: int | None, high: int | None) -> bool:
    return (low is None or time_ms >= low) and (high is None or time_ms <= high)


def _cursor(key: tuple[int, int, int]) -> str:
    return ".".join(map(str, key))


def _parse_cursor(cursor: str) -> tuple[int, int, int]:
    match = _CURSOR.fullmatch(cursor)
    key = tuple(map(int, match.groups())) if match else ()
    if not key or not all(-_INT64 <= part < _INT64 for part in key):
        raise ValueError(f"cursor {cursor[:40]!r} is not one this API returned")
    return key  # type: ignore[return-value]
