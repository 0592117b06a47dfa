"""Stores: events, processor outputs, dead letters, checkpoints and API keys."""

from vigila.store.base import (
    ApiKey,
    DeadLetter,
    EventQuery,
    OutputRecord,
    Page,
    ProcessedBatch,
    Store,
    StoredEvent,
)
from vigila.store.sqlite import SqliteStore

__all__ = [
    "ApiKey",
    "DeadLetter",
    "EventQuery",
    "OutputRecord",
    "Page",
    "ProcessedBatch",
    "SqliteStore",
    "Store",
    "StoredEvent",
]
