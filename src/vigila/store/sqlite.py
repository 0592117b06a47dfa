"""The embedded store: one SQLite file in WAL mode."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import msgspec

from vigila.metrics.export import RollupRow
from vigila.routing.outbox import OutboxEntry
from vigila.sqlitedb import Database
from vigila.store.base import (
    ApiKey,
    DeadLetter,
    OutputRecord,
    Page,
    ProcessedBatch,
    SpanFilter,
    SpanTotals,
    StoredRule,
    StoredSpan,
)
from vigila.store.sqlite_legacy import has_event_copies, index_event_copies
from vigila.store.sqlite_notify import SqliteGroupStore
from vigila.store.sqlite_spans import SpanIndex

KEPT_KINDS = ("insight", "insight-request", "insight-ledger")
"""Outputs that event retention does not trim: insights and the ledger have their own
retention, requests are work still to do. Processor states (`state:*`) are kept too."""

_SCHEMA = """
CREATE TABLE IF NOT EXISTS outputs (
    kind TEXT NOT NULL, key TEXT NOT NULL, entity TEXT NOT NULL, time_ms INTEGER NOT NULL,
    data BLOB NOT NULL, PRIMARY KEY (kind, key)
);
CREATE INDEX IF NOT EXISTS outputs_entity ON outputs (kind, entity, time_ms);
CREATE INDEX IF NOT EXISTS outputs_time ON outputs (kind, time_ms);
CREATE INDEX IF NOT EXISTS outputs_insight_type ON outputs
    (json_extract(data, '$.prediction_type'), time_ms) WHERE kind = 'insight';
CREATE TABLE IF NOT EXISTS dead_letters (
    id INTEGER PRIMARY KEY, at_ms INTEGER NOT NULL, stage TEXT NOT NULL, reason TEXT NOT NULL,
    event_id TEXT NOT NULL, raw BLOB NOT NULL, raw_size INTEGER NOT NULL,
    replayed_at_ms INTEGER, replay_result TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS checkpoints (
    grp TEXT NOT NULL, part INTEGER NOT NULL, position INTEGER NOT NULL,
    PRIMARY KEY (grp, part)
);
CREATE TABLE IF NOT EXISTS outbox (
    key TEXT PRIMARY KEY, rule TEXT NOT NULL, target BLOB NOT NULL, event_id TEXT NOT NULL,
    payload BLOB NOT NULL, hops INTEGER NOT NULL, created_ms INTEGER NOT NULL,
    due_ms INTEGER NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT NOT NULL DEFAULT '', state TEXT NOT NULL DEFAULT 'pending',
    done_ms INTEGER
);
CREATE INDEX IF NOT EXISTS outbox_due ON outbox (due_ms) WHERE state = 'pending';
CREATE INDEX IF NOT EXISTS outbox_dead ON outbox (event_id) WHERE state = 'dead';
CREATE TABLE IF NOT EXISTS rules (
    name TEXT PRIMARY KEY, spec BLOB NOT NULL, updated_ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS alarms (
    name TEXT PRIMARY KEY, spec BLOB NOT NULL, updated_ms INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS rollups (
    resolution INTEGER NOT NULL, start INTEGER NOT NULL, row BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS rollups_start ON rollups (resolution, start);
CREATE TABLE IF NOT EXISTS api_keys (
    name TEXT PRIMARY KEY, prefix TEXT NOT NULL, hash TEXT NOT NULL UNIQUE,
    scopes TEXT NOT NULL, created_ms INTEGER NOT NULL, revoked_ms INTEGER
);
"""
_encode = msgspec.json.encode
_decode_rollup = msgspec.json.Decoder(RollupRow).decode
_DL_COLUMNS = "stage, reason, raw, raw_size, at_ms, event_id, id, replayed_at_ms, replay_result"


class SqliteStore:
    """The `Store` port on SQLite."""

    def __init__(self, path: str | Path, *, synchronous: str = "NORMAL") -> None:
        self._db = Database(path, synchronous=synchronous)
        self._db.create(_SCHEMA)
        self._add_missing_columns()
        self._spans = SpanIndex(self._db)
        with self._db.write() as conn:
            if has_event_copies(conn):
                index_event_copies(conn, self._spans)
        self.notify = SqliteGroupStore(self._db, self._insert_outbox)  # groups beside the outbox

    def _add_missing_columns(self) -> None:
        """Columns added since a store file was created."""
        with self._db.write() as conn:
            columns = {row[1] for row in conn.execute("PRAGMA table_info(outbox)")}
            if "letter" not in columns:  # the dead letter a dead row became
                conn.execute("ALTER TABLE outbox ADD COLUMN letter INTEGER")

    # -- the pipeline's atomic commit ---------------------------------------------------

    def commit(self, batch: ProcessedBatch) -> None:
        """The batch's span, outputs, dead letters and checkpoint, in one transaction."""
        with self._db.write() as conn:
            if batch.span is not None:
                self._spans.add(conn, batch.span)
            conn.executemany(
                "INSERT OR REPLACE INTO outputs VALUES (?, ?, ?, ?, ?)",
                ((o.kind, o.key, o.entity, o.time_ms, o.data) for o in batch.outputs),
            )
            self._insert_dead_letters(conn, batch.dead_letters)
            self._insert_outbox(conn, batch.outbox)
            conn.execute(
                "INSERT OR REPLACE INTO checkpoints VALUES (?, ?, ?)",
                (batch.group, batch.partition, batch.next_offset),
            )

    def checkpoints(self, group: str) -> dict[int, int]:
        rows = self._db.reader.execute(
            "SELECT part, position FROM checkpoints WHERE grp=?", (group,))
        return dict(rows.fetchall())

    def set_checkpoints(self, group: str, positions: dict[int, int]) -> None:
        with self._db.write() as conn:
            conn.executemany("INSERT OR REPLACE INTO checkpoints VALUES (?, ?, ?)",
                             ((group, p, pos) for p, pos in positions.items()))

    # -- where events are in the log ----------------------------------------------------

    def spans(self, where: SpanFilter) -> Iterator[StoredSpan]:
        return self._spans.spans(where)

    def spans_with_id(self, event_id: str) -> list[StoredSpan]:
        return self._spans.spans_with_id(event_id)

    def span_totals(self, kept_from: Mapping[int, int]) -> SpanTotals:
        return self._spans.totals(kept_from)

    def forget_spans_past(self, heads: Mapping[int, int]) -> None:
        with self._db.write() as conn:
            self._spans.cut(conn, heads)

    def outputs(self, kind: str, *, entity: str | None = None, limit: int = 100
                ) -> list[OutputRecord]:
        """The newest outputs of `kind`, optionally of one entity."""
        if entity is None:
            rows = self._db.reader.execute(
                "SELECT kind, key, entity, time_ms, data FROM outputs WHERE kind=?"
                " ORDER BY time_ms DESC LIMIT ?", (kind, limit))
        else:
            rows = self._db.reader.execute(
                "SELECT kind, key, entity, time_ms, data FROM outputs WHERE kind=? AND entity=?"
                " ORDER BY time_ms DESC LIMIT ?", (kind, entity, limit))
        return [OutputRecord(*row) for row in rows]

    def put_outputs(self, outputs: list[OutputRecord]) -> None:
        with self._db.write() as conn:
            conn.executemany("INSERT OR REPLACE INTO outputs VALUES (?, ?, ?, ?, ?)",
                             ((o.kind, o.key, o.entity, o.time_ms, o.data) for o in outputs))

    def recent_outputs(self, kind: str, *, since_ms: int | None = None,
                       entity: str | None = None, equals: dict[str, Any] | None = None,
                       at_least: dict[str, float] | None = None,
                       limit: int = 100, oldest_first: bool = False) -> list[OutputRecord]:
        """Newest first (or oldest first, for following); `equals` / `at_least` filter on
        JSON paths of the data (`$.prediction_type`, `$.risk_score`)."""
        where, args = ["kind=?"], [kind]
        if since_ms is not None:
            where.append("time_ms>?")
            args.append(since_ms)
        if entity is not None:
            where.append("entity=?")
            args.append(entity)
        # Paths go in as literals (checked), so expression indexes such as
        # outputs_insight_type can serve the query.
        for path, value in (equals or {}).items():
            where.append(f"json_extract(data, '{_json_path(path)}')=?")
            args.append(value)
        for path, value in (at_least or {}).items():
            where.append(f"json_extract(data, '{_json_path(path)}')>=?")
            args.append(value)
        rows = self._db.reader.execute(
            f"SELECT kind, key, entity, time_ms, data FROM outputs WHERE {' AND '.join(where)}"
            f" ORDER BY time_ms {'ASC' if oldest_first else 'DESC'}, key LIMIT ?",
            (*args, limit))
        return [OutputRecord(*row) for row in rows]

    def get_output(self, kind: str, key: str) -> OutputRecord | None:
        row = self._db.reader.execute(
            "SELECT kind, key, entity, time_ms, data FROM outputs WHERE kind=? AND key=?",
            (kind, key)).fetchone()
        return OutputRecord(*row) if row else None

    def delete_outputs(self, kind: str, keys: list[str]) -> None:
        with self._db.write() as conn:
            conn.executemany("DELETE FROM outputs WHERE kind=? AND key=?",
                             ((kind, key) for key in keys))

    def output_values(self, kind: str) -> dict[str, bytes]:
        """Every output of `kind`, key -> data (processor states, for instance)."""
        rows = self._db.reader.execute("SELECT key, data FROM outputs WHERE kind=?", (kind,))
        return dict(rows.fetchall())

    # -- alarms managed over the API ------------------------------------------------------

    def put_alarm(self, name: str, spec: bytes, at_ms: int) -> None:
        with self._db.write() as conn:
            conn.execute("INSERT OR REPLACE INTO alarms VALUES (?, ?, ?)", (name, spec, at_ms))

    def delete_alarm(self, name: str) -> None:
        with self._db.write() as conn:
            conn.execute("DELETE FROM alarms WHERE name=?", (name,))

    def stored_alarms(self) -> list[bytes]:
        return [row[0] for row in self._db.reader.execute(
            "SELECT spec FROM alarms ORDER BY updated_ms")]

    def enqueue_outbox(self, entries: list[OutboxEntry]) -> None:
        """Queue deliveries outside a pipeline batch (alarm actions); keyed, so idempotent."""
        with self._db.write() as conn:
            self._insert_outbox(conn, entries)

    @staticmethod
    def _insert_outbox(conn, entries: list[OutboxEntry]) -> None:  # type: ignore[no-untyped-def]
        conn.executemany(
            "INSERT OR IGNORE INTO outbox (key, rule, target, event_id, payload, hops,"
            " created_ms, due_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            ((o.key, o.rule, o.target, o.event_id, o.payload, o.hops, o.created_ms, o.due_ms)
             for o in entries))

    # -- metric rollups ----------------------------------------------------------------

    def write(self, rows: Sequence[RollupRow]) -> None:
        """Keep closed rollup buckets (`metrics.RollupStore`); rows of one bucket add up."""
        with self._db.write() as conn:
            conn.executemany("INSERT INTO rollups VALUES (?, ?, ?)",
                             ((r.resolution, r.start, _encode(r)) for r in rows))

    def read(self, start: float, end: float) -> Iterator[RollupRow]:
        rows = self._db.reader.execute(
            "SELECT row FROM rollups WHERE start>=? AND start<? ORDER BY start",
            (int(start), math.ceil(end)))
        return (_decode_rollup(row) for (row,) in rows)

    def trim_rollups(self, before: dict[int, float]) -> int:
        """Delete buckets older than each resolution's cut-off (seconds)."""
        with self._db.write() as conn:
            return sum(conn.execute("DELETE FROM rollups WHERE resolution=? AND start<?",
                                    (res, int(cut))).rowcount for res, cut in before.items())

    # -- outbox -------------------------------------------------------------------------

    def due_outbox(self, now_ms: int, limit: int) -> list[OutboxEntry]:
        rows = self._db.reader.execute(
            "SELECT key, rule, target, event_id, payload, hops, created_ms, due_ms, attempts,"
            " last_error FROM outbox WHERE state='pending' AND due_ms<=? ORDER BY due_ms"
            " LIMIT ?", (now_ms, limit))
        return [OutboxEntry(*row) for row in rows]

    def outbox_delivered(self, key: str, at_ms: int) -> None:
        with self._db.write() as conn:
            conn.execute("UPDATE outbox SET state='delivered', done_ms=? WHERE key=?",
                         (at_ms, key))

    def outbox_retry(self, key: str, due_ms: int, attempts: int, error: str) -> None:
        with self._db.write() as conn:
            conn.execute("UPDATE outbox SET due_ms=?, attempts=?, last_error=? WHERE key=?",
                         (due_ms, attempts, error, key))

    def outbox_wake(self, target: bytes, now_ms: int) -> int:
        """Make every pending row of `target` due now (it is back); returns how many."""
        with self._db.write() as conn:
            return conn.execute("UPDATE outbox SET due_ms=? WHERE state='pending' AND due_ms>?"
                                " AND target=?", (now_ms, now_ms, target)).rowcount

    def outbox_dead(self, key: str, letter: DeadLetter) -> None:
        """Give up on an entry: it leaves the outbox for the dead-letter store, atomically."""
        with self._db.write() as conn:
            (letter_id,) = self._insert_dead_letters(conn, [letter])
            conn.execute("UPDATE outbox SET state='dead', done_ms=?, last_error=?, letter=?"
                         " WHERE key=?", (letter.at_ms, letter.reason[:500], letter_id, key))

    def outbox_requeue(self, letter: DeadLetter, now_ms: int) -> int:
        """Its attempts and its retry window start over. A row given up before rows knew
        their letter is found by what they share: rule, event, time and payload."""
        with self._db.write() as conn:
            requeue = ("UPDATE outbox SET state='pending', attempts=0, last_error='',"
                       " done_ms=NULL, letter=NULL, created_ms=?, due_ms=? WHERE state='dead'")
            count = conn.execute(f"{requeue} AND event_id=? AND letter=?",
                                 (now_ms, now_ms, letter.event_id, letter.id)).rowcount
            if count:
                return count
            return conn.execute(
                f"{requeue} AND event_id=? AND letter IS NULL AND rule=? AND done_ms=?"
                " AND payload=?", (now_ms, now_ms, letter.event_id,
                                   letter.stage.removeprefix("route:"), letter.at_ms,
                                   letter.raw)).rowcount

    def outbox_counts(self) -> dict[str, int]:
        """Entries per state: pending, delivered, dead."""
        rows = self._db.reader.execute("SELECT state, count(*) FROM outbox GROUP BY state")
        return dict(rows.fetchall())

    # -- rules --------------------------------------------------------------------------

    def put_rule(self, rule: StoredRule) -> None:
        with self._db.write() as conn:
            conn.execute("INSERT OR REPLACE INTO rules VALUES (?, ?, ?)",
                         (rule.name, rule.spec, rule.updated_ms))
            self._bump_rules_version(conn)

    def delete_rule(self, name: str) -> bool:
        with self._db.write() as conn:
            deleted = conn.execute("DELETE FROM rules WHERE name=?", (name,)).rowcount == 1
            self._bump_rules_version(conn)
        return deleted

    @staticmethod
    def _bump_rules_version(conn) -> None:  # type: ignore[no-untyped-def]
        conn.execute("INSERT INTO meta VALUES ('rules_version', 1) ON CONFLICT(key)"
                     " DO UPDATE SET value = value + 1")

    def rules_version(self) -> int:
        """Changes with every rule write, from any process sharing the store."""
        row = self._db.reader.execute(
            "SELECT value FROM meta WHERE key='rules_version'").fetchone()
        return row[0] if row else 0

    def stored_rules(self) -> list[StoredRule]:
        rows = self._db.reader.execute("SELECT name, spec, updated_ms FROM rules ORDER BY name")
        return [StoredRule(*row) for row in rows]

    # -- dead letters -------------------------------------------------------------------

    def add_dead_letters(self, letters: list[DeadLetter]) -> list[int]:
        with self._db.write() as conn:
            return self._insert_dead_letters(conn, letters)

    @staticmethod
    def _insert_dead_letters(conn, letters: list[DeadLetter]) -> list[int]:  # type: ignore[no-untyped-def]
        ids = []
        for letter in letters:
            cur = conn.execute(
                "INSERT INTO dead_letters (at_ms, stage, reason, event_id, raw, raw_size)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (letter.at_ms, letter.stage, letter.reason, letter.event_id, letter.raw,
                 letter.raw_size))
            ids.append(cur.lastrowid)
        return ids

    def dead_letters(self, *, stage: str | None = None, include_replayed: bool = False,
                     limit: int = 100, cursor: int | None = None) -> Page:
        """Newest first."""
        where, args = [], []
        if stage is not None:
            where.append("stage=?")
            args.append(stage)
        if not include_replayed:
            where.append("replayed_at_ms IS NULL")
        if cursor is not None:
            where.append("id<?")
            args.append(cursor)
        sql = f"SELECT {_DL_COLUMNS} FROM dead_letters"
        if where:
            sql += " WHERE " + " AND ".join(where)
        rows = self._db.reader.execute(sql + " ORDER BY id DESC LIMIT ?",
                                       (*args, limit + 1)).fetchall()
        items = [DeadLetter(*row) for row in rows[:limit]]
        return Page(items=items, next_cursor=items[-1].id if len(rows) > limit else None)

    def get_dead_letters(self, ids: list[int]) -> list[DeadLetter]:
        marks = ",".join("?" * len(ids))
        rows = self._db.reader.execute(
            f"SELECT {_DL_COLUMNS} FROM dead_letters WHERE id IN ({marks}) ORDER BY id", ids)
        return [DeadLetter(*row) for row in rows]

    def mark_replayed(self, letter_id: int, at_ms: int, result: str, *, succeeded: bool
                      ) -> None:
        """Record a replay; only a successful one takes the letter off the list."""
        with self._db.write() as conn:
            conn.execute("UPDATE dead_letters SET replayed_at_ms=?, replay_result=? WHERE id=?",
                         (at_ms if succeeded else None, result, letter_id))

    def count_dead_letters(self) -> int:
        return self._db.reader.execute(
            "SELECT count(*) FROM dead_letters WHERE replayed_at_ms IS NULL").fetchone()[0]

    # -- API keys -----------------------------------------------------------------------

    def add_api_key(self, key: ApiKey, key_hash: str) -> None:
        with self._db.write() as conn:
            conn.execute("INSERT INTO api_keys VALUES (?, ?, ?, ?, ?, NULL)",
                         (key.name, key.prefix, key_hash, ",".join(key.scopes), key.created_ms))

    def api_key_by_hash(self, key_hash: str) -> ApiKey | None:
        row = self._db.reader.execute(
            "SELECT name, prefix, scopes, created_ms, revoked_ms FROM api_keys WHERE hash=?",
            (key_hash,)).fetchone()
        return _api_key(row) if row else None

    def api_keys(self) -> list[ApiKey]:
        rows = self._db.reader.execute(
            "SELECT name, prefix, scopes, created_ms, revoked_ms FROM api_keys ORDER BY name")
        return [_api_key(row) for row in rows]

    def revoke_api_key(self, name: str, at_ms: int) -> bool:
        with self._db.write() as conn:
            cur = conn.execute(
                "UPDATE api_keys SET revoked_ms=? WHERE name=? AND revoked_ms IS NULL",
                (at_ms, name))
        return cur.rowcount == 1

    # -- retention ----------------------------------------------------------------------

    def trim(self, before_ms: int) -> int:
        """Delete events (their spans), outputs and dead letters older than `before_ms`."""
        with self._db.write() as conn:
            deleted = self._spans.trim(conn, before_ms)
            deleted += conn.execute(
                f"DELETE FROM outputs WHERE time_ms<? AND kind NOT IN "
                f"({', '.join('?' * len(KEPT_KINDS))}) AND kind NOT LIKE 'state:%'",
                (before_ms, *KEPT_KINDS)).rowcount
            deleted += conn.execute("DELETE FROM dead_letters WHERE at_ms<?",
                                    (before_ms,)).rowcount
            deleted += conn.execute("DELETE FROM outbox WHERE state!='pending' AND done_ms<?",
                                    (before_ms,)).rowcount
        return deleted

    def trim_outputs(self, kind: str, before_ms: int) -> int:
        """Delete outputs of `kind` older than `before_ms` (insights, by their own TTL)."""
        with self._db.write() as conn:
            return conn.execute("DELETE FROM outputs WHERE kind=? AND time_ms<?",
                                (kind, before_ms)).rowcount

    def close(self) -> None:
        self._db.close()


_SIMPLE_PATH = re.compile(r"^\$(\.[A-Za-z_][A-Za-z0-9_]*)+$")


def _json_path(path: str) -> str:
    """`path` if it is a plain `$.a.b` path (safe to inline in SQL), else ValueError.

    >>> _json_path("$.risk_score")
    '$.risk_score'
    >>> _json_path("$.x') OR 1=1 --")
    Traceback (most recent call last):
    ValueError: unsupported JSON path "$.x') OR 1=1 --": expected $.field(.field)*
    """
    if not _SIMPLE_PATH.match(path):
        raise ValueError(f"unsupported JSON path {path!r}: expected $.field(.field)*")
    return path


def _api_key(row: tuple) -> ApiKey:
    name, prefix, scopes, created_ms, revoked_ms = row
    return ApiKey(name, prefix, scopes.split(",") if scopes else [], created_ms, revoked_ms)
