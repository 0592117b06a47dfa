"""Stores: events, processor outputs, dead letters, checkpoints, rules and API keys.

The port lives here; adapters (`vigila.store.sqlite`) are imported by the runtime.
"""

from vigila.store.base import (
    ApiKey,
    DeadLetter,
    EventQuery,
    OutputRecord,
    Page,
    ProcessedBatch,
    Store,
    StoredEvent,
    StoredRule,
)

__all__ = [
    "ApiKey",
    "DeadLetter",
    "EventQuery",
    "OutputRecord",
    "Page",
    "ProcessedBatch",
    "Store",
    "StoredEvent",
    "StoredRule",
]
