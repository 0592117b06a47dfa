"""Stores of earlier releases: their copy of every event becomes spans of the log.

Those releases kept each processed event in an `events` table (and its resources in
`event_resources`). Opening such a store indexes those events as spans, each a run
of consecutive offsets of one partition, and drops both tables, in one transaction:
the events stay queryable for as long as the log holds them. The append times of
their records were not kept, so only event-time retention trims these spans.
"""

from __future__ import annotations

import sqlite3

import msgspec

from vigila.store.base import EventSpan
from vigila.store.sqlite_spans import SpanIndex

SPAN_EVENTS = 5000
"""Events per span built, the pipeline's default batch size."""
_UNKNOWN_AT = 2**63 - 1
"""The append time given where it is unknown: after any cut-off, so only event-time
retention trims the span."""
_decode_strings = msgspec.json.Decoder(list[str]).decode


class _Run:
    """Consecutive offsets of one partition, growing into a span."""

    def __init__(self, part: int, first: int) -> None:
        self.part = part
        self.first = first
        self.times: list[int] = []
        self.kinds: set[tuple[str, str]] = set()
        self.resources: set[str] = set()
        self.ids: list[str] = []

    def span(self) -> EventSpan:
        return EventSpan(self.part, self.first, len(self.ids), min(self.times),
                         max(self.times), 0, _UNKNOWN_AT, sorted(self.kinds),
                         sorted(self.resources), self.ids)


def has_event_copies(conn: sqlite3.Connection) -> bool:
    return conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type='table' AND name='events'").fetchone() is not None


def index_event_copies(conn: sqlite3.Connection, spans: SpanIndex) -> None:
    """Spans for the rows of `events`, in the order they were committed, then drop it.

    A partition's rows follow its offsets but where a record was dead-lettered, skipped
    or processed again: a run ends at any such gap, so every record of a span built here
    is an event."""
    runs: dict[int, _Run] = {}
    for event_id, time_ms, source, detail_type, resources, part, off in conn.execute(
            "SELECT id, time_ms, source, detail_type, resources, part, off FROM events"
            " ORDER BY seq"):
        run = runs.get(part)
        if run is not None and (off != run.first + len(run.ids) or len(run.ids) == SPAN_EVENTS):
            spans.add(conn, run.span())
            run = None
        if run is None:
            run = runs[part] = _Run(part, off)
        run.times.append(time_ms)
        run.kinds.add((source, detail_type))
        run.resources.update(_decode_strings(resources))
        run.ids.append(event_id)
    for run in runs.values():
        spans.add(conn, run.span())
    conn.execute("DROP TABLE event_resources")
    conn.execute("DROP TABLE events")
