"""The embedded log: one SQLite file in WAL mode, dense offsets per partition.

Events are stored in chunks, as Kafka stores record batches: one row holds up
to `CHUNK_EVENTS` consecutive events of one partition and the ids among them that
the `ids` table remembers, both LZ4-compressed. An append
is one `BEGIN IMMEDIATE` transaction, so several processes may append safely,
and it returns only after `COMMIT`: an acknowledged event is durable to the
degree the `synchronous` mode promises (FULL survives power loss).
Idempotency: an `ids` table remembers every id a client gave that is still in
the log, and a `minted` table each run of ids vigila minted for a batch (one row
per run, not per id); retention forgets both with the chunks it deletes.

>>> import tempfile, pathlib
>>> log = SqliteLog(pathlib.Path(tempfile.mkdtemp()) / "log.db", partitions=2)
>>> result = log.append([LogEntry("a", "1", b"{}"), LogEntry("a", "1", b"{}")])
>>> result.appended, result.duplicates
(1, 1)
>>> [(r.partition, r.offset, r.data) for r in log.read(1, 0, 10)]
[(1, 0, b'{}')]
"""

from __future__ import annotations

import itertools
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import lz4.frame
import msgspec

from vigila.clock import Clock, SystemClock
from vigila.log.base import (
    Appendable,
    AppendResult,
    LogEntry,
    LogRecord,
    MintedBatch,
    Partitioner,
    PartitionState,
    event_count,
)
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
CREATE TABLE IF NOT EXISTS minted (
    prefix TEXT NOT NULL, first TEXT NOT NULL, last TEXT NOT NULL, at INTEGER NOT NULL,
    PRIMARY KEY (prefix, first)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS minted_at ON minted (at);
"""
_MINTED_AMONG = """
SELECT j.value FROM json_each(?) j WHERE length(j.value) = 36
  AND substr(j.value, 25) GLOB '""" + "[0-9a-f]" * 12 + """'
  AND EXISTS (SELECT 1 FROM minted m WHERE m.prefix = substr(j.value, 1, 24)
              AND m.first <= j.value AND j.value <= m.last)
"""
_encode_json = msgspec.json.Encoder().encode
_LZ4_MAGIC = b"\x04\x22\x4d\x18"


def _ids_json(column: bytes) -> bytes:
    """A chunk's ids as a JSON array: LZ4-compressed, or plain JSON in logs written before."""
    return lz4.frame.decompress(column) if column.startswith(_LZ4_MAGIC) else column


class _Piece(NamedTuple):
    """Consecutive events of one partition: lines joined by newlines, and their ids when
    they came as entries (one per line; none for a minted batch's)."""

    events: int
    data: bytes
    ids: list[str]


def _minted_result(batch: MintedBatch, pieces: dict[int, list[_Piece]]) -> AppendResult:
    """A minted batch's result; its record batches join `pieces`."""
    for record in batch.records:
        pieces.setdefault(record.partition, []).append(_Piece(record.count, record.data, []))
    return AppendResult(
        appended=event_count(batch), duplicates=0,
        bytes_by_partition={r.partition: len(r.data) - r.count + 1 for r in batch.records},
        records_by_partition={r.partition: r.count for r in batch.records})


def _chunks(pieces: list[_Piece]) -> Iterator[_Piece]:
    """Consecutive pieces as chunks of `CHUNK_EVENTS` events (the last may hold fewer): a
    piece that crosses a chunk's end is cut there, at a line end."""
    held: list[_Piece] = []
    held_events = 0
    for piece in pieces:
        for part in _fitted(piece, CHUNK_EVENTS - held_events):
            held.append(part)
            held_events += part.events
            if held_events == CHUNK_EVENTS:
                yield _joined(held)
                held, held_events = [], 0
    if held:
        yield _joined(held)


def _fitted(piece: _Piece, room: int) -> list[_Piece]:
    """`piece` whole when it fits in `room` events, else cut at line ends into `room`
    events and then chunks' worth (its lines split once for every cut)."""
    if piece.events <= room:
        return [piece]
    lines = piece.data.split(b"\n")
    cuts = [0, *range(room, piece.events, CHUNK_EVENTS), piece.events]
    return [_Piece(end - start, b"\n".join(lines[start:end]), piece.ids[start:end])
            for start, end in itertools.pairwise(cuts)]


def _joined(pieces: list[_Piece]) -> _Piece:
    return _Piece(sum(p.events for p in pieces), b"\n".join([p.data for p in pieces]),
                  [i for p in pieces for i in p.ids])


class PartitionCountMismatch(ValueError):
    """The log was created with another partition count; keys would change partition."""


class SqliteLog:
    """The `EventLog` port on SQLite."""

    def __init__(self, path: str | Path, *, partitions: int, synchronous: str = "NORMAL",
                 clock: Clock | None = None) -> None:
        self.partitions = partitions
        self._clock = clock or SystemClock()
        self._partitioner = Partitioner(partitions)
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

    def append(self, batch: Appendable, *, dedup: bool = True) -> AppendResult:
        """Append in one transaction; with `dedup`, entries whose id is already in the log
        are skipped (a minted batch's ids need no check)."""
        return self.append_many([batch], dedup=dedup)[0]

    def append_many(self, batches: list[Appendable], *, dedup: bool = True
                    ) -> list[AppendResult]:
        """Append several batches in one transaction; duplicates count where they occur."""
        now_ms = int(self._clock.now() * 1000)
        minted = [batch for batch in batches if isinstance(batch, MintedBatch)]
        for batch in minted:
            self._check_grouping(batch)
        with self._db.write() as conn:
            if minted:  # at no earlier than any chunk of this append (see _write_chunks)
                run_at = max(now_ms, conn.execute("SELECT max(last_at) FROM heads"
                                                  ).fetchone()[0] or 0)
                conn.executemany("INSERT OR IGNORE INTO minted VALUES (?, ?, ?, ?)",
                                 [(b.run.first[:24], b.run.first, b.run.last, run_at)
                                  for b in minted])
            fresh = None
            if dedup:
                fresh = self._claim_ids(conn, [entry.id for batch in batches
                                               if not isinstance(batch, MintedBatch)
                                               for entry in batch])
            pieces: dict[int, list[_Piece]] = {}
            results = []
            position = 0
            for batch in batches:
                if isinstance(batch, MintedBatch):
                    results.append(_minted_result(batch, pieces))
                    continue
                kept = batch
                if fresh is not None:
                    flags = fresh[position : position + len(batch)]
                    kept = [e for e, new in zip(batch, flags, strict=True) if new]
                    position += len(batch)
                groups = self._group_by_partition(kept)
                results.append(AppendResult(
                    appended=len(kept), duplicates=len(batch) - len(kept),
                    bytes_by_partition={p: sum(map(len, [e.data for e in g]))
                                        for p, g in groups.items()},
                    records_by_partition={p: len(g) for p, g in groups.items()}))
                for part, group in groups.items():
                    pieces.setdefault(part, []).append(
                        _Piece(len(group), b"\n".join([e.data for e in group]),
                               [e.id for e in group]))
            for part, part_pieces in pieces.items():
                self._write_chunks(conn, part, part_pieces, now_ms)
        return results

    def _check_grouping(self, batch: MintedBatch) -> None:
        """Refuse a minted batch grouped for another log (its data is trusted as counted)."""
        if batch.partitions != self.partitions:
            raise PartitionCountMismatch(f"a batch grouped for {batch.partitions} partitions, "
                                         f"not this log's {self.partitions}")
        for record in batch.records:
            if not 0 <= record.partition < self.partitions or record.count < 1:
                raise ValueError(f"a record batch of {record.count} events for partition "
                                 f"{record.partition}, of {self.partitions}")

    def _group_by_partition(self, entries: list[LogEntry]) -> dict[int, list[LogEntry]]:
        partition = self._partitioner
        groups: dict[int, list[LogEntry]] = {}
        for entry in entries:
            groups.setdefault(partition[entry.key], []).append(entry)
        return groups

    @staticmethod
    def _claim_ids(conn: sqlite3.Connection, ids: list[str]) -> list[bool] | None:
        """Record every new id. None when all are new (the usual case), else a flag per id:
        True where the entry is the first holder of its id. An id inside a minted run is
        known: a client sent back an event vigila gave an id."""
        if not ids:
            return None
        payload = _encode_json(ids)
        conn.execute("SAVEPOINT claim")
        before = conn.total_changes
        conn.execute("INSERT OR IGNORE INTO ids SELECT value FROM json_each(?)", (payload,))
        inserted = conn.total_changes - before
        minted = {row[0] for row in conn.execute(_MINTED_AMONG, (payload,))}
        if inserted == len(ids) and not minted:
            conn.execute("RELEASE claim")
            return None
        conn.execute("ROLLBACK TO claim")
        conn.execute("RELEASE claim")
        known = minted | {
            row[0] for row in conn.execute(
                "SELECT id FROM ids WHERE id IN (SELECT value FROM json_each(?))", (payload,))
        }
        fresh = []
        for id_ in ids:
            fresh.append(id_ not in known)
            known.add(id_)
        conn.execute("INSERT INTO ids SELECT value FROM json_each(?)",
                     (_encode_json([i for i, new in zip(ids, fresh, strict=True) if new]),))
        return fresh

    @staticmethod
    def _write_chunks(conn: sqlite3.Connection, part: int, pieces: list[_Piece],
                      now_ms: int) -> None:
        """`pieces`, in order, as chunks of up to `CHUNK_EVENTS` events, each with the ids
        of its entries, the ones in `ids` rows that trim must forget (a minted batch's ids
        are in no row: their run covers them)."""
        next_off, last_at = conn.execute(
            "SELECT next, last_at FROM heads WHERE part=?", (part,)).fetchone()
        at = max(now_ms, last_at or 0)  # append times never go back within a partition
        rows = []
        for count, data, ids in _chunks(pieces):
            rows.append((part, next_off, count, at,
                         lz4.frame.compress(_encode_json(ids)) if ids else b"[]",
                         lz4.frame.compress(data)))
            next_off += count
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
                events = lz4.frame.decompress(data).split(b"\n")
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
        """Delete chunks appended before `before_ms`, and forget their ids and minted runs
        (a run's time is never before its chunks')."""
        deleted = 0
        while True:
            with self._db.write() as conn:
                rows = conn.execute(
                    "SELECT rowid, count, ids FROM chunks WHERE at<? LIMIT 50",
                    (before_ms,)).fetchall()
                for rowid, count, ids in rows:
                    if ids != b"[]":
                        conn.execute(
                            "DELETE FROM ids WHERE id IN (SELECT value FROM json_each(?))",
                            (_ids_json(ids),))
                    conn.execute("DELETE FROM chunks WHERE rowid=?", (rowid,))
                    deleted += count
            if len(rows) < 50:
                break
        with self._db.write() as conn:
            conn.execute("DELETE FROM minted WHERE at<?", (before_ms,))
        return deleted

    def close(self) -> None:
        self._db.close()
