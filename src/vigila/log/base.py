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


class EventLog(Protocol):
    """A durable log. `append` returns only once the entries are committed."""

    partitions: int

    def append(self, entries: list[LogEntry], *, dedup: bool = True,
               minted: IdRange | None = None) -> AppendResult:
        """Append durably. With `dedup`, ids already in the log are skipped; `minted` says
        that every entry's id was just minted in that run, so none can be a duplicate."""
        ...

    def append_many(self, batches: list[list[LogEntry]], *, dedup: bool = True,
                    minted: list[IdRange | None] | None = None) -> list[AppendResult]:
        """Several batches in one transaction (group commit); one result per batch.
        `minted`, when given, holds each batch's run (or None) as in `append`."""
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
