"""The event index on SQLite: where each processed batch's events are in the log.

One row per span (a processed batch of one partition), not per event, as Loki keeps
an index per chunk: the span's offsets and event times, its kinds in `span_kinds`
(by a dictionary id), its ids (see `idindex`) as one range per run of minted ids in
`span_ids` and a hash per other id in `span_hashes`, and in `span_filters` its
resources (LZ4-compressed JSON, scanned by a query for a resource), the ids of its
events when dead letters sit among them, and the keys retention deletes its rows by.

`span_hashes` is the only index with a row per event, and only for ids vigila did not
mint. Its rows are grouped by partition and epoch (`EPOCH_BITS` of offsets) before the
hash, so a commit writes into the few pages of one epoch rather than all over the
table; a lookup seeks once per epoch.

The spans of a partition never overlap: a batch processed again (a replay, a seek
back) adds only the offsets no span covers yet, so nothing is indexed twice.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Mapping

import lz4.block
import msgspec

from vigila.sqlitedb import Database
from vigila.store.base import EventSpan, SpanFilter, SpanTotals, StoredSpan
from vigila.store.idindex import id_hashes, id_key, split_ids

SCHEMA = """
CREATE TABLE IF NOT EXISTS event_spans (
    id INTEGER PRIMARY KEY, part INTEGER NOT NULL, first INTEGER NOT NULL,
    count INTEGER NOT NULL, events INTEGER, min_ms INTEGER NOT NULL, max_ms INTEGER NOT NULL,
    max_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS event_spans_offsets ON event_spans (part, first);
CREATE INDEX IF NOT EXISTS event_spans_time ON event_spans (max_ms);
CREATE TABLE IF NOT EXISTS event_kinds (
    id INTEGER PRIMARY KEY, source TEXT NOT NULL, detail_type TEXT NOT NULL,
    UNIQUE (source, detail_type)
);
CREATE TABLE IF NOT EXISTS span_kinds (
    kind INTEGER NOT NULL, span INTEGER NOT NULL, PRIMARY KEY (kind, span)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS span_ids (
    low TEXT NOT NULL, high TEXT NOT NULL, span INTEGER NOT NULL, PRIMARY KEY (low, span)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS span_hashes (
    part INTEGER NOT NULL, epoch INTEGER NOT NULL, hash INTEGER NOT NULL,
    span INTEGER NOT NULL, PRIMARY KEY (part, epoch, hash, span)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS span_filters (
    span INTEGER PRIMARY KEY, members BLOB, keys BLOB NOT NULL, resources BLOB NOT NULL
);
"""
"""`events` is NULL where only the log can count them; `min_ms` is raised by retention
(the span's events before it are trimmed); `max_at` is the last append time of its
records. `span_filters` puts the large `resources` last, so reading the other columns
skips its pages."""

EPOCH_BITS = 15
"""An epoch of `span_hashes`: 32,768 offsets of a partition, about 500 KiB of rows."""
_SPAN_COLUMNS = "s.id, s.part, s.first, s.count, s.events, s.min_ms, s.max_ms"
_encode = msgspec.json.encode
_decode_ids = msgspec.json.Decoder(list[str]).decode
_LOWEST = -(2**63)
_HIGHEST = 2**63 - 1


class _Keys(msgspec.Struct, array_like=True):
    """What retention deletes a span's rows by: its kind ids and its id ranges' lows."""

    kinds: list[int]
    lows: list[str]


_decode_keys = msgspec.json.Decoder(_Keys).decode


def _pack(value: object) -> bytes:
    return lz4.block.compress(_encode(value))


def _unpack(blob: bytes) -> bytes:
    return lz4.block.decompress(blob)


class SpanIndex:
    """The spans of a store's database; `add` and `trim` run in the store's transactions."""

    def __init__(self, db: Database) -> None:
        self._db = db
        db.create(SCHEMA)

    # -- writing, inside the commit's transaction ---------------------------------------

    def add(self, conn: sqlite3.Connection, span: EventSpan) -> None:
        """Index the offsets of `span` that no span covers yet (all of them, but when a
        batch is processed again)."""
        end = span.first + span.count
        pieces = _uncovered(conn, span.partition, span.first, end)
        if not pieces:
            return
        exact = len(span.ids) == span.count  # no dead letter among the records
        kinds = _kind_ids(conn, span.kinds)
        ranges, others = split_ids(span.ids)
        hashes = _encode(id_hashes(others))
        filters = (None if exact else _pack(span.ids),
                   _encode(_Keys(kinds, [low for low, _ in ranges])), _pack(span.resources))
        whole = pieces == [(span.first, end)]
        for first, stop in pieces:
            events = len(span.ids) if whole else stop - first if exact else None
            span_id = conn.execute(
                "INSERT INTO event_spans (part, first, count, events, min_ms, max_ms, max_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (span.partition, first, stop - first, events, span.min_time_ms,
                 span.max_time_ms, span.max_appended_ms)).lastrowid
            conn.executemany("INSERT INTO span_kinds VALUES (?, ?)",
                             [(kind, span_id) for kind in kinds])
            conn.executemany("INSERT INTO span_ids VALUES (?, ?, ?)",
                             [(low, high, span_id) for low, high in ranges])
            if others:  # OR IGNORE: ids of one hash in a span need one row
                conn.execute("INSERT OR IGNORE INTO span_hashes SELECT ?, ?, value, ?"
                             " FROM json_each(?)",
                             (span.partition, first >> EPOCH_BITS, span_id, hashes))
            conn.execute("INSERT INTO span_filters VALUES (?, ?, ?, ?)", (span_id, *filters))

    def trim(self, conn: sqlite3.Connection, before_ms: int) -> int:
        """Delete the spans whose events are all older than `before_ms`, or whose records
        the log (trimmed to the same time) no longer holds; returns how many events they
        held. A span kept with older events has its `min_ms` raised to `before_ms`, which
        hides them, and its count forgotten."""
        deleted = _delete(conn, "s.max_ms<? OR s.max_at<?", (before_ms, before_ms))
        conn.execute("UPDATE event_spans SET min_ms=?, events=NULL WHERE min_ms<?",
                     (before_ms, before_ms))
        return deleted

    def cut(self, conn: sqlite3.Connection, heads: Mapping[int, int]) -> None:
        """Forget the offsets of each partition from its head in `heads` on: a log
        restored from an older copy than the store will give them to new events. A span
        across a head ends there, its count forgotten."""
        for part, head in heads.items():
            _delete(conn, "s.part=? AND s.first>=?", (part, head))
            conn.execute("UPDATE event_spans SET count=?-first, events=NULL"
                         " WHERE part=? AND first<? AND first+count>?", (head, part, head, head))

    # -- reading ------------------------------------------------------------------------

    def spans(self, where: SpanFilter) -> Iterator[StoredSpan]:
        """Highest `max_ms` first (then the latest committed): a span's kinds narrow the
        search in SQL, its resources as it is read."""
        conn = self._db.reader
        sql = f"SELECT {_SPAN_COLUMNS} FROM event_spans s"
        conditions = ["s.max_ms>=?", "s.min_ms<=?"]
        args: list[object] = [_bounded(where.min_ms, _LOWEST), _bounded(where.max_ms, _HIGHEST)]
        if where.source is not None or where.detail_type is not None:
            kinds = self._kinds(where.source, where.detail_type)
            if not kinds:
                return
            conditions.append(f"s.id IN (SELECT span FROM span_kinds WHERE kind IN"
                              f" ({', '.join('?' * len(kinds))}))")
            args += kinds
        needle = None
        if where.resource is not None:
            sql = f"SELECT {_SPAN_COLUMNS}, f.resources FROM event_spans s" \
                  " JOIN span_filters f ON f.span = s.id"
            needle = _encode(where.resource)  # as it is written in the JSON list
        rows = conn.execute(f"{sql} WHERE {' AND '.join(conditions)}"
                            " ORDER BY s.max_ms DESC, s.id DESC", args)
        try:
            for row in rows:
                if needle is not None and needle not in _unpack(row[-1]):
                    continue
                yield self._stored(row[:7])
        finally:
            rows.close()

    def spans_with_id(self, event_id: str) -> list[StoredSpan]:
        """The spans with a range that holds `event_id`, or with its hash."""
        conn = self._db.reader
        spans = {row[0] for row in conn.execute(
            "SELECT span FROM span_ids WHERE low BETWEEN ? AND ? AND high>=?",
            (id_key(event_id), event_id, event_id))}
        (hashed,) = id_hashes([event_id])
        for part, first, last in self._epochs():
            spans.update(row[0] for row in conn.execute(
                "WITH RECURSIVE e(n) AS (SELECT ? UNION ALL SELECT n + 1 FROM e WHERE n<?)"
                " SELECT h.span FROM e JOIN span_hashes h ON h.part=? AND h.epoch=e.n"
                " AND h.hash=?", (first, last, part, hashed)))
        rows = conn.execute(
            f"SELECT {_SPAN_COLUMNS} FROM event_spans s WHERE s.id IN"
            " (SELECT value FROM json_each(?)) ORDER BY s.id", (_encode(sorted(spans)),))
        return [self._stored(row) for row in rows.fetchall()]

    def _epochs(self) -> list[tuple[int, int, int]]:
        """Per partition holding spans, its first and last epoch of `span_hashes`."""
        epochs = []
        for part in self._parts():
            low, high = self._db.reader.execute(
                "SELECT min(first), max(first) FROM event_spans WHERE part=?",
                (part,)).fetchone()
            epochs.append((part, low >> EPOCH_BITS, high >> EPOCH_BITS))
        return epochs

    def _parts(self) -> Iterator[int]:
        """The partitions holding spans, each found in one seek of the index."""
        part = -1
        while True:
            row = self._db.reader.execute(
                "SELECT part FROM event_spans WHERE part>? ORDER BY part LIMIT 1",
                (part,)).fetchone()
            if row is None:
                return
            part = row[0]
            yield part

    def totals(self, kept_from: Mapping[int, int]) -> SpanTotals:
        """Spans wholly kept by the log and by retention count as stored; the others are
        pending: one reaching below the log's first offset, one of unknown count."""
        conn = self._db.reader
        events, pending = 0, []
        for part in self._parts():
            kept = kept_from.get(part, 0)
            events += conn.execute(
                "SELECT coalesce(sum(events), 0) FROM event_spans WHERE part=? AND first>=?",
                (part, kept)).fetchone()[0]
            rows = conn.execute(
                f"SELECT {_SPAN_COLUMNS} FROM event_spans s WHERE part=? AND first+count>?"
                " AND (first<? OR events IS NULL) ORDER BY first", (part, kept, kept)).fetchall()
            pending += [self._stored(row) for row in rows]
        return SpanTotals(events, pending)

    def _kinds(self, source: str | None, detail_type: str | None) -> list[int]:
        conditions, args = [], []
        for column, value in (("source", source), ("detail_type", detail_type)):
            if value is not None:
                conditions.append(f"{column}=?")
                args.append(value)
        rows = self._db.reader.execute(
            f"SELECT id FROM event_kinds WHERE {' AND '.join(conditions)}", args)
        return [row[0] for row in rows]

    def _stored(self, row: tuple) -> StoredSpan:
        span_id, part, first, count, events, min_ms, max_ms = row
        members = None
        if events != count:  # dead letters among the records, or a count not known
            (blob,) = self._db.reader.execute(
                "SELECT members FROM span_filters WHERE span=?", (span_id,)).fetchone()
            members = None if blob is None else frozenset(_decode_ids(_unpack(blob)))
        return StoredSpan(span_id, part, first, count, events, min_ms, max_ms, members)


def _uncovered(conn: sqlite3.Connection, part: int, first: int, end: int
               ) -> list[tuple[int, int]]:
    """The pieces of `[first, end)` that no span of `part` covers. Spans of a partition
    do not overlap, so ends grow with starts: the walk back stops at the first span
    that ends before `first` (usually the first row, the previous batch)."""
    covered = []
    for start, stop in conn.execute(
            "SELECT first, first+count FROM event_spans WHERE part=? AND first<?"
            " ORDER BY first DESC", (part, end)):
        if stop <= first:
            break
        covered.append((start, stop))
    pieces, at = [], first
    for start, stop in reversed(covered):
        if start > at:
            pieces.append((at, start))
        at = max(at, stop)
    if at < end:
        pieces.append((at, end))
    return pieces


def _delete(conn: sqlite3.Connection, where: str, args: tuple) -> int:
    """Delete the spans `where` (on `event_spans s`) picks, and their rows of the other
    tables; returns how many events they held."""
    doomed = conn.execute(
        "SELECT s.id, s.part, s.first, coalesce(s.events, s.count), f.keys"
        f" FROM event_spans s JOIN span_filters f ON f.span = s.id WHERE {where}",
        args).fetchall()
    for span_id, part, first, _, keys in doomed:
        held = _decode_keys(keys)
        conn.executemany("DELETE FROM span_kinds WHERE kind=? AND span=?",
                         [(kind, span_id) for kind in held.kinds])
        conn.executemany("DELETE FROM span_ids WHERE low=? AND span=?",
                         [(low, span_id) for low in held.lows])
        conn.execute("DELETE FROM span_hashes WHERE part=? AND epoch=? AND span=?",
                     (part, first >> EPOCH_BITS, span_id))  # one epoch's rows, scanned
    ids = _encode([row[0] for row in doomed])
    for table, column in (("span_filters", "span"), ("event_spans", "id")):
        conn.execute(f"DELETE FROM {table} WHERE {column} IN (SELECT value FROM json_each(?))",
                     (ids,))
    return sum(row[3] for row in doomed)


def _kind_ids(conn: sqlite3.Connection, kinds: list[tuple[str, str]]) -> list[int]:
    """Dictionary ids of `kinds`, added where new (a handful per batch)."""
    conn.executemany("INSERT OR IGNORE INTO event_kinds (source, detail_type) VALUES (?, ?)",
                     kinds)
    return [conn.execute("SELECT id FROM event_kinds WHERE source=? AND detail_type=?",
                         kind).fetchone()[0] for kind in kinds]


def _bounded(value: int | None, default: int) -> int:
    """`value` within SQLite's integers (`default` for None): bounds from a caller may
    lie beyond them."""
    if value is None:
        return default
    return min(max(value, _LOWEST), _HIGHEST)
