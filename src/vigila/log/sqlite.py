"""The embedded log: one SQLite file in WAL mode, dense offsets per partition.

Events are stored in chunks, as Kafka stores record batches: one row holds up
to `CHUNK_EVENTS` consecutive events of one partition, zlib-compressed. An
append is one `BEGIN IMMEDIATE` transaction, so several processes may append
safely, and it returns only after `COMMIT`: an acknowledged event is durable to
the degree the `synchronous` mode promises (FULL survives power loss).
Idempotency: an `ids` table remembers every id still in the log.

>>> import tempfile, pathlib
>>> log = SqliteLog(pathlib.Path(tempfile.mkdtemp()) / "log.db", partitions=2)
>>> result = log.append([LogEntry("a", "1", b"{}"), LogEntry("a", "1", b"{}")])
>>> result.appended, result.duplicates
(1, 1)
>>> [(r.partition, r.offset, r.data) for r in log.read(1, 0, 10)]
[(1, 0, b'{}')]
"""

from __future__ import annotations

import sqlite3
import zlib
from pathlib import Path

import msgspec

from vigila.clock import Clock, SystemClock
from vigila.log.base import AppendResult, LogEntry, LogRecord, PartitionState, partition_for
from vigila.sqlitedb import Database

CHUNK_EVENTS = 2000
_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS heads (
    part INTEGER PRIMARY KEY, next INTEGER NOT NULL, last_at INTEGER
);
CREATE TABLE IF NOT EXISTS chunks (
    part INTEGER NOT NULL, base INTEGER NOT NULL, count INTEGER NOT NULL,
    at INTEGER NOT NULL, ids BLOB NOT NULL, data BLOB NOT NULL,
    PRIMARY KEY (part, base)
);
CREATE TABLE IF NOT EXISTS ids (id TEXT PRIMARY KEY) WITHOUT ROWID;
"""
_encode_json = msgspec.json.Encoder().encode


class PartitionCountMismatch(ValueError):
    """The log was created with another partition count; keys would change partition."""


class SqliteLog:
    """The `EventLog` port on SQLite."""

    def __init__(self, path: str | Path, *, partitions: int, synchronous: str = "NORMAL",
                 clock: Clock | None = None) -> None:
        self.partitions = partitions
        self._clock = clock or SystemClock()
        self._db = Database(path, synchronous=synchronous, page_size=16384)
        self._db.create(_SCHEMA)
        with self._db.write() as conn:
            row = conn.execute("SELECT value FROM meta WHERE key='partitions'").fetchone()
            if row is None:
                conn.execute("INSERT INTO meta VALUES ('partitions', ?)", (str(partitions),))
                conn.executemany(
                    "INSERT INTO heads VALUES (?, 0, NULL)", ((p,) for p in range(partitions))
                )
            elif int(row[0]) != partitions:
                raise PartitionCountMismatch(
                    f"the log at {path} has {row[0]} partitions but {partitions} were configured;"
                    f" keep log.partitions = {row[0]} or start with a new data directory"
                )

    def append(self, entries: list[LogEntry], *, dedup: bool = True) -> AppendResult:
        """Append in one transaction; with `dedup`, ids already in the log are skipped."""
        return self.append_many([entries], dedup=dedup)[0]

    def append_many(self, batches: list[list[LogEntry]], *, dedup: bool = True
                    ) -> list[AppendResult]:
        """Append several batches in one transaction; duplicates count where they occur."""
        now_ms = int(self._clock.now() * 1000)
        with self._db.write() as conn:
            entries = [e for batch in batches for e in batch]
            fresh = self._claim_ids(conn, entries) if dedup else None
            by_part: dict[int, list[LogEntry]] = {}
            results = []
            position = 0
            for batch in batches:
                result = AppendResult(0, 0, {}, {})
                for entry in batch:
                    if fresh is not None and not fresh[position]:
                        result.duplicates += 1
                    else:
                        part = partition_for(entry.key, self.partitions)
                        by_part.setdefault(part, []).append(entry)
                        result.appended += 1
                        result.records_by_partition[part] = (
                            result.records_by_partition.get(part, 0) + 1)
                        result.bytes_by_partition[part] = (
                            result.bytes_by_partition.get(part, 0) + len(entry.data))
                    position += 1
                results.append(result)
            for part, part_entries in by_part.items():
                self._write_chunks(conn, part, part_entries, now_ms)
        return results

    @staticmethod
    def _claim_ids(conn: sqlite3.Connection, entries: list[LogEntry]) -> list[bool]:
        """Record every new id; True where the entry is the first holder of its id."""
        ids = [e.id for e in entries]
        conn.execute("SAVEPOINT claim")
        before = conn.total_changes
        conn.execute("INSERT OR IGNORE INTO ids SELECT value FROM json_each(?)",
                     (_encode_json(ids),))
        if conn.total_changes - before == len(ids):  # the usual case: all new
            conn.execute("RELEASE claim")
            return [True] * len(ids)
        conn.execute("ROLLBACK TO claim")
        conn.execute("RELEASE claim")
        known = {
            row[0] for row in conn.execute(
                "SELECT id FROM ids WHERE id IN (SELECT value FROM json_each(?))",
                (_encode_json(ids),))
        }
        fresh = []
        for id_ in ids:
            fresh.append(id_ not in known)
            known.add(id_)
        conn.execute("INSERT INTO ids SELECT value FROM json_each(?)",
                     (_encode_json([i for i, new in zip(ids, fresh, strict=True) if new]),))
        return fresh

    @staticmethod
    def _write_chunks(conn: sqlite3.Connection, part: int, entries: list[LogEntry],
                      now_ms: int) -> None:
        next_off, last_at = conn.execute(
            "SELECT next, last_at FROM heads WHERE part=?", (part,)).fetchone()
        at = max(now_ms, last_at or 0)  # append times never go back within a partition
        rows = []
        for start in range(0, len(entries), CHUNK_EVENTS):
            chunk = entries[start : start + CHUNK_EVENTS]
            rows.append((
                part, next_off, len(chunk), at,
                zlib.compress("\n".join(e.id for e in chunk).encode(), 1),
                zlib.compress(b"\n".join(e.data for e in chunk), 1),
            ))
            next_off += len(chunk)
        conn.executemany("INSERT INTO chunks VALUES (?, ?, ?, ?, ?, ?)", rows)
        conn.execute("UPDATE heads SET next=?, last_at=? WHERE part=?", (next_off, at, part))

    def read(self, partition: int, offset: int, limit: int) -> list[LogRecord]:
        """Up to `limit` records of `partition` from `offset` on, in offset order.

        An offset already trimmed by retention reads from the oldest record kept.
        """
        conn = self._db.reader
        rows = conn.execute(
            "SELECT base, at, data FROM chunks WHERE part=? AND base<=? "
            "ORDER BY base DESC LIMIT 1", (partition, offset)).fetchall()
        out: list[LogRecord] = []
        while True:
            for base, at, data in rows:
                events = zlib.decompress(data).split(b"\n")
                for i in range(max(0, offset - base), len(events)):
                    if len(out) == limit:
                        return out
                    out.append(LogRecord(partition, base + i, at, events[i]))
            after = out[-1].offset if out else offset - 1
            rows = conn.execute(
                "SELECT base, at, data FROM chunks WHERE part=? AND base>? ORDER BY base LIMIT 8",
                (partition, after)).fetchall()
            if not rows:
                return out

    def states(self) -> list[PartitionState]:
        conn = self._db.reader
        rows = conn.execute(
            "SELECT h.part, h.next, h.last_at, (SELECT min(base) FROM chunks c WHERE c.part=h.part)"
            " FROM heads h ORDER BY h.part").fetchall()
        return [PartitionState(part, next_off if first is None else first, next_off, last_at)
                for part, next_off, last_at, first in rows]

    def appended_ms_at(self, partition: int, offset: int) -> int | None:
        row = self._db.reader.execute(
            "SELECT at, base + count > ? FROM chunks WHERE part=? AND base<=? "
            "ORDER BY base DESC LIMIT 1", (offset, partition, offset)).fetchone()
        if row and row[1]:
            return row[0]
        row = self._db.reader.execute(
            "SELECT at FROM chunks WHERE part=? AND base>? ORDER BY base LIMIT 1",
            (partition, offset)).fetchone()
        return row[0] if row else None

    def offset_at(self, partition: int, appended_ms: int) -> int:
        """The first offset appended at or after `appended_ms` (the head if none)."""
        row = self._db.reader.execute(
            "SELECT base FROM chunks WHERE part=? AND at>=? ORDER BY base LIMIT 1",
            (partition, appended_ms)).fetchone()
        if row:
            return row[0]
        return self._db.reader.execute(
            "SELECT next FROM heads WHERE part=?", (partition,)).fetchone()[0]

    def trim(self, before_ms: int) -> int:
        """Delete chunks appended before `before_ms`, and forget their ids."""
        deleted = 0
        while True:
            with self._db.write() as conn:
                rows = conn.execute(
                    "SELECT rowid, count, ids FROM chunks WHERE at<? LIMIT 50",
                    (before_ms,)).fetchall()
                for rowid, count, ids in rows:
                    conn.execute("DELETE FROM ids WHERE id IN (SELECT value FROM json_each(?))",
                                 (_encode_json(zlib.decompress(ids).decode().split("\n")),))
                    conn.execute("DELETE FROM chunks WHERE rowid=?", (rowid,))
                    deleted += count
            if len(rows) < 50:
                return deleted

    def close(self) -> None:
        self._db.close()
