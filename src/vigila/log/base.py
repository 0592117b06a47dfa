"""The log port: append durably, read by partition and offset, seek by time, trim by age."""

from __future__ import annotations

import zlib
from typing import Protocol

import msgspec


class LogEntry(msgspec.Struct, frozen=True, gc=False):
    """An event about to be appended: its partition key, its id and its canonical bytes.

    `data` is one line of JSON (no raw newline), as msgspec encodes it.
    """

    key: str
    id: str
    data: bytes


class IdRange(msgspec.Struct, frozen=True, gc=False):
    """Ids minted for one batch: `first` to `last`, one prefix and consecutive counters.

    Vigila's UUIDv7 ids (see `EventIdSource`) share their first 24 characters within a
    run and end in a fixed-width hex counter, so the run is exactly the ids of that
    layout between `first` and `last`. The log records the run instead of each id.
    """

    first: str
    last: str


class RecordBatch(msgspec.Struct, frozen=True, gc=False):
    """`count` events of one partition as the log stores them: lines of JSON, joined by
    newlines. The log trusts the count (counting lines would cost as much as writing)."""

    partition: int
    count: int
    data: bytes


class MintedBatch(msgspec.Struct, frozen=True, gc=False):
    """Events whose ids vigila minted in one run, already grouped by partition, the way
    a Kafka producer hands its broker one record batch per partition. No id of `run`
    can be in the log yet, so the log checks none of them."""

    run: IdRange
    partitions: int
    """The partition count `records` were grouped for."""
    records: list[RecordBatch]


Appendable = list[LogEntry] | MintedBatch
"""What an append takes: entries, whose ids the log checks, or a minted batch."""


def event_count(batch: Appendable) -> int:
    """How many events `batch` holds."""
    if isinstance(batch, MintedBatch):
        return sum(record.count for record in batch.records)
    return len(batch)


class LogRecord(msgspec.Struct, frozen=True, array_like=True, gc=False):
    """An appended event: where it lives, when it was appended (ms), and its bytes."""

    partition: int
    offset: int
    appended_ms: int
    data: bytes


class AppendResult(msgspec.Struct):
    appended: int
    duplicates: int
    """Entries whose id was already in the log (or earlier in the same append)."""
    bytes_by_partition: dict[int, int]
    records_by_partition: dict[int, int]


class PartitionState(msgspec.Struct, frozen=True):
    """Offsets of one partition: `[first, next)` are readable; `last_appended_ms` of `next - 1`."""

    partition: int
    first: int
    next: int
    last_appended_ms: int | None


def partition_for(key: str, partitions: int) -> int:
    """Stable across processes and machines (unlike `hash`)."""
    return zlib.crc32(key.encode()) % partitions


class Partitioner(dict[str, int]):
    """`partitioner[key]` is `partition_for(key, partitions)`, worked out once per key (of
    the last 100,000) and then a dict lookup."""

    _MAX_KEYS = 100_000

    def __init__(self, partitions: int) -> None:
        super().__init__()
        self.partitions = partitions

    def __missing__(self, key: str) -> int:
        if len(self) >= self._MAX_KEYS:
            self.clear()
        part = self[key] = partition_for(key, self.partitions)
        return part


class EventLog(Protocol):
    """A durable log. `append` returns only once the entries are committed."""

    partitions: int

    def append(self, batch: Appendable, *, dedup: bool = True) -> AppendResult:
        """Append durably. With `dedup`, entries whose id is already in the log are skipped
        (a minted batch has none)."""
        ...

    def append_many(self, batches: list[Appendable], *, dedup: bool = True
                    ) -> list[AppendResult]:
        """Several batches in one transaction (group commit); one result per batch."""
        ...

    def read(self, partition: int, offset: int, limit: int) -> list[LogRecord]: ...

    def states(self) -> list[PartitionState]: ...

    def offset_at(self, partition: int, appended_ms: int) -> int:
        """The first offset appended at or after `appended_ms` (`next` if none)."""
        ...

    def appended_ms_at(self, partition: int, offset: int) -> int | None: ...

    def trim(self, before_ms: int) -> int:
        """Delete records appended before `before_ms`; returns how many."""
        ...

    def close(self) -> None: ...
