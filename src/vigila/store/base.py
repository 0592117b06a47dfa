"""The store port: small typed records and the operations the engine needs.

A `ProcessedBatch` is committed atomically: where its events are in the log (its
`EventSpan`), the processor outputs, the dead letters and the consumer checkpoint
land together or not at all, so a crash replays the batch and idempotent writes
(keyed by id, spans by partition and offset) make it harmless. The store does not
copy events: `vigila.store.events.EventReader` reads them from the log where the
spans say they are.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, Protocol

import msgspec


class StoredEvent(msgspec.Struct, frozen=True):
    """A processed event, where the log holds it; `data` is its canonical JSON."""

    id: str
    time_ms: int
    source: str
    detail_type: str
    resources: list[str]
    partition: int
    offset: int
    data: bytes


class OutputRecord(msgspec.Struct, frozen=True):
    """A processor output, unique by `(kind, key)`; writing it twice keeps one."""

    kind: str
    key: str
    entity: str
    time_ms: int
    data: bytes


class DeadLetter(msgspec.Struct):
    """An item that could not be ingested or processed, with the reason and (capped) bytes."""

    stage: str
    reason: str
    raw: bytes
    raw_size: int
    at_ms: int
    event_id: str = ""
    id: int = 0
    replayed_at_ms: int | None = None
    replay_result: str = ""


class ApiKey(msgspec.Struct, frozen=True):
    name: str
    prefix: str
    scopes: list[str]
    created_ms: int
    revoked_ms: int | None = None


class EventQuery(msgspec.Struct, frozen=True):
    source: str | None = None
    detail_type: str | None = None
    resource: str | None = None
    start_ms: int | None = None
    end_ms: int | None = None
    limit: int = 100
    cursor: str | None = None
    """`next_cursor` of the previous page."""


class Page(msgspec.Struct, frozen=True):
    items: list
    next_cursor: int | str | None


class EventSpan(msgspec.Struct, frozen=True):
    """What one processed batch of one partition holds, for finding its events again in
    the log: offsets `[first, first + count)`, the event and append time ranges (ms), and
    the distinct `(source, detail-type)` pairs, resources and ids of its decoded events."""

    partition: int
    first: int
    count: int
    min_time_ms: int
    max_time_ms: int
    min_appended_ms: int
    max_appended_ms: int
    kinds: list[tuple[str, str]]
    resources: list[str]
    ids: list[str]


class StoredSpan(msgspec.Struct, frozen=True):
    """A span as the store keeps it: offsets `[first, first + count)` of `partition`,
    `events` of them events (None: not known without reading them), and, when the range
    also holds dead letters, `members`: the ids of its events (None: every record in the
    range is an event). Its events have times within `[min_ms, max_ms]`; those before
    `min_ms` were trimmed by retention."""

    id: int
    partition: int
    first: int
    count: int
    events: int | None
    min_ms: int
    max_ms: int
    members: frozenset[str] | None = None


class SpanFilter(msgspec.Struct, frozen=True):
    """Spans that may hold an event of this source, detail type and resource with an
    event time in `[min_ms, max_ms]` (None: any)."""

    source: str | None = None
    detail_type: str | None = None
    resource: str | None = None
    min_ms: int | None = None
    max_ms: int | None = None


class SpanTotals(msgspec.Struct, frozen=True):
    """What `Store.span_totals` knows: `events` counted from the spans, and the spans
    whose events only the log can count."""

    events: int
    pending: list[StoredSpan]


class ProcessedBatch(msgspec.Struct):
    group: str
    partition: int
    next_offset: int
    events: list[StoredEvent]
    """No longer stored (the span says where they are); kept until runners stop filling it."""
    outputs: list[OutputRecord]
    dead_letters: list[DeadLetter]
    outbox: list[Any] = []
    """Routed payloads (`routing.outbox.OutboxEntry`), delivered after the commit."""
    span: EventSpan | None = None
    """Where the batch's events are in the log (None when none decoded)."""


class StoredRule(msgspec.Struct, frozen=True):
    """A rule managed over the API: its spec as JSON, and when it last changed."""

    name: str
    spec: bytes
    updated_ms: int


class Store(Protocol):
    """Everything the engine persists outside the log."""

    def commit(self, batch: ProcessedBatch) -> None: ...

    def checkpoints(self, group: str) -> dict[int, int]: ...

    def set_checkpoints(self, group: str, positions: dict[int, int]) -> None: ...

    def spans(self, where: SpanFilter) -> Iterator[StoredSpan]:
        """Spans that may hold events `where` matches, highest `max_ms` first; close the
        iterator when done with it early."""
        ...

    def spans_with_id(self, event_id: str) -> list[StoredSpan]:
        """Spans that may hold the event `event_id`, in commit order."""
        ...

    def span_totals(self, kept_from: Mapping[int, int]) -> SpanTotals:
        """Count the events of the spans, given the first offset the log keeps per
        partition (a span reaching below it, or one of unknown count, is pending)."""
        ...

    def forget_spans_past(self, heads: Mapping[int, int]) -> None:
        """Forget where events were at or past each partition's head (`heads`): a log
        restored from an older copy gives those offsets to new events."""
        ...

    def outputs(self, kind: str, *, entity: str | None = None, limit: int = 100
                ) -> list[OutputRecord]: ...

    def add_dead_letters(self, letters: list[DeadLetter]) -> list[int]: ...

    def dead_letters(self, *, stage: str | None = None, include_replayed: bool = False,
                     limit: int = 100, cursor: int | None = None) -> Page: ...

    def get_dead_letters(self, ids: list[int]) -> list[DeadLetter]: ...

    def mark_replayed(self, letter_id: int, at_ms: int, result: str, *, succeeded: bool
                      ) -> None: ...

    def count_dead_letters(self) -> int: ...

    def outbox_requeue(self, letter: DeadLetter, now_ms: int) -> int:
        """Queue again, from `now_ms`, the outbox delivery that `letter` (a `route:` dead
        letter) recorded; returns how many rows went back (0: the row is gone)."""
        ...

    def add_api_key(self, key: ApiKey, key_hash: str) -> None: ...

    def api_key_by_hash(self, key_hash: str) -> ApiKey | None: ...

    def api_keys(self) -> list[ApiKey]: ...

    def revoke_api_key(self, name: str, at_ms: int) -> bool: ...

    def put_outputs(self, outputs: list[OutputRecord]) -> None: ...

    def output_values(self, kind: str) -> dict[str, bytes]: ...

    def recent_outputs(self, kind: str, *, since_ms: int | None = None,
                       entity: str | None = None, equals: dict[str, Any] | None = None,
                       at_least: dict[str, float] | None = None, limit: int = 100,
                       oldest_first: bool = False) -> list[OutputRecord]: ...

    def get_output(self, kind: str, key: str) -> OutputRecord | None: ...

    def delete_outputs(self, kind: str, keys: list[str]) -> None: ...

    def put_rule(self, rule: StoredRule) -> None: ...

    def delete_rule(self, name: str) -> bool: ...

    def stored_rules(self) -> list[StoredRule]: ...

    def rules_version(self) -> int: ...

    def trim(self, before_ms: int) -> int: ...

    def trim_outputs(self, kind: str, before_ms: int) -> int: ...

    def close(self) -> None: ...
