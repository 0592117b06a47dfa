"""Notification groups on SQLite (`notify.group.GroupStore`), in the store's database, so a
group changes in the same transaction as the outbox rows it absorbs or creates."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

import msgspec

from vigila.notify.alert import Alert
from vigila.notify.group import GroupState
from vigila.routing.outbox import OutboxEntry
from vigila.sqlitedb import Database

SCHEMA = """
CREATE TABLE IF NOT EXISTS notify_groups (
    channel TEXT NOT NULL, id TEXT NOT NULL, next_flush_ms INTEGER NOT NULL,
    pending_key TEXT NOT NULL, state BLOB NOT NULL, PRIMARY KEY (channel, id)
);
CREATE INDEX IF NOT EXISTS notify_groups_due ON notify_groups (next_flush_ms);
CREATE TABLE IF NOT EXISTS notify_alerts (
    channel TEXT NOT NULL, id TEXT NOT NULL, fingerprint TEXT NOT NULL, alert BLOB NOT NULL,
    PRIMARY KEY (channel, id, fingerprint)
);
"""
_encode = msgspec.json.encode
_group = msgspec.json.Decoder(GroupState).decode
_alert = msgspec.json.Decoder(Alert).decode
InsertOutbox = Callable[[sqlite3.Connection, list[OutboxEntry]], None]


class SqliteGroupStore:
    """`GroupStore` on a `Database` shared with the outbox; `insert_outbox` writes its rows."""

    def __init__(self, db: Database, insert_outbox: InsertOutbox) -> None:
        self._db = db
        self._insert_outbox = insert_outbox
        db.create(SCHEMA)

    def notify_group(self, channel: str, group_id: str) -> GroupState | None:
        row = self._db.reader.execute(
            "SELECT state FROM notify_groups WHERE channel=? AND id=?",
            (channel, group_id)).fetchone()
        return _group(row[0]) if row else None

    def notify_alert(self, channel: str, group_id: str, fingerprint: str) -> Alert | None:
        row = self._db.reader.execute(
            "SELECT alert FROM notify_alerts WHERE channel=? AND id=? AND fingerprint=?",
            (channel, group_id, fingerprint)).fetchone()
        return _alert(row[0]) if row else None

    def notify_alerts(self, channel: str, group_id: str) -> list[Alert]:
        rows = self._db.reader.execute(
            "SELECT alert FROM notify_alerts WHERE channel=? AND id=? ORDER BY fingerprint",
            (channel, group_id))
        return [_alert(alert) for (alert,) in rows]

    def notify_absorb(self, outbox_key: str, group: GroupState, alert: Alert,
                      at_ms: int) -> None:
        with self._db.write() as conn:
            self._put_group(conn, group)
            conn.execute("INSERT OR REPLACE INTO notify_alerts VALUES (?, ?, ?, ?)",
                         (group.channel, group.id, alert.fingerprint, _encode(alert)))
            conn.execute("UPDATE outbox SET state='grouped', done_ms=? WHERE key=?",
                         (at_ms, outbox_key))

    def notify_due(self, now_ms: int, limit: int) -> list[GroupState]:
        rows = self._db.reader.execute(
            "SELECT g.state FROM notify_groups g LEFT JOIN outbox o ON o.key = g.pending_key"
            " WHERE g.next_flush_ms<=? AND (o.state IS NULL OR o.state!='pending')"
            " ORDER BY g.next_flush_ms LIMIT ?", (now_ms, limit))
        return [_group(state) for (state,) in rows]

    def notify_outcome(self, outbox_key: str) -> tuple[str, int | None] | None:
        row = self._db.reader.execute("SELECT state, done_ms FROM outbox WHERE key=?",
                                      (outbox_key,)).fetchone()
        return (row[0], row[1]) if row else None

    def notify_flush(self, group: GroupState, *, keep: bool, drop: list[str],
                     entry: OutboxEntry | None) -> None:
        with self._db.write() as conn:
            if keep:
                self._put_group(conn, group)
                conn.executemany(
                    "DELETE FROM notify_alerts WHERE channel=? AND id=? AND fingerprint=?",
                    ((group.channel, group.id, fp) for fp in drop))
            else:
                conn.execute("DELETE FROM notify_groups WHERE channel=? AND id=?",
                             (group.channel, group.id))
                conn.execute("DELETE FROM notify_alerts WHERE channel=? AND id=?",
                             (group.channel, group.id))
            if entry is not None:
                self._insert_outbox(conn, [entry])

    def notify_counts(self) -> dict[str, int]:
        """Groups and alerts held (for tests and operators)."""
        reader = self._db.reader
        return {"groups": reader.execute("SELECT count(*) FROM notify_groups").fetchone()[0],
                "alerts": reader.execute("SELECT count(*) FROM notify_alerts").fetchone()[0]}

    @staticmethod
    def _put_group(conn: sqlite3.Connection, group: GroupState) -> None:
        conn.execute("INSERT OR REPLACE INTO notify_groups VALUES (?, ?, ?, ?, ?)",
                     (group.channel, group.id, group.next_flush_ms, group.pending_key,
                      _encode(group)))
