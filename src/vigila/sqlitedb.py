"""Shared SQLite plumbing: WAL connections, one writer, a reader per thread."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

SYNCHRONOUS_MODES = ("OFF", "NORMAL", "FULL", "EXTRA")
CACHE_KIB = 65_536  # page cache per connection: index pages stay hot under steady ingest


class Database:
    """One SQLite file in WAL mode: a locked write connection, a read connection per thread.

    Readers never block the writer and see only committed data.
    """

    def __init__(self, path: str | Path, *, synchronous: str = "NORMAL",
                 page_size: int = 4096) -> None:
        if synchronous not in SYNCHRONOUS_MODES:
            raise ValueError(f"synchronous={synchronous!r}; allowed: {SYNCHRONOUS_MODES}")
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._synchronous = synchronous
        self._page_size = page_size
        self._lock = threading.Lock()
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._writer = self._connect()

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        conn.execute(f"PRAGMA page_size={self._page_size}")
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute(f"PRAGMA synchronous={self._synchronous}")
        conn.execute("PRAGMA busy_timeout=10000")
        conn.execute("PRAGMA temp_store=MEMORY")
        conn.execute(f"PRAGMA cache_size=-{CACHE_KIB}")
        self._all.append(conn)
        return conn

    def create(self, schema: str) -> None:
        """Run idempotent DDL (`CREATE ... IF NOT EXISTS`)."""
        with self._lock:
            self._writer.executescript(schema)

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """A write transaction (`BEGIN IMMEDIATE`), committed on exit, rolled back on error."""
        with self._lock:
            conn = self._writer
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    @property
    def reader(self) -> sqlite3.Connection:
        """This thread's read connection (autocommit: every statement sees the latest commit)."""
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = self._connect()
        return conn

    def close(self) -> None:
        """Close every connection; a write in progress finishes first."""
        with self._lock:
            for conn in self._all:
                conn.close()
            self._all.clear()
