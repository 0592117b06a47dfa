"""Routing: rules (EventBridge patterns) send matching events to targets via a durable outbox."""

from vigila.routing.model import (
    BusTarget,
    FileTarget,
    InputTransformer,
    Rule,
    StoreTarget,
    Target,
    WebhookTarget,
)

__all__ = [
    "BusTarget",
    "FileTarget",
    "InputTransformer",
    "Rule",
    "StoreTarget",
    "Target",
    "WebhookTarget",
]
