"""The durable, partitioned event log (SQLite embedded; JetStream and Kinesis later)."""

from vigila.log.base import AppendResult, EventLog, LogEntry, LogRecord, PartitionState
from vigila.log.sqlite import SqliteLog

__all__ = ["AppendResult", "EventLog", "LogEntry", "LogRecord", "PartitionState", "SqliteLog"]
