"""The event envelope every part of vigila speaks (Amazon EventBridge's structure)."""

from vigila.events.envelope import Event, new_event_id
from vigila.events.schemas import DetailSchemas

__all__ = ["DetailSchemas", "Event", "new_event_id"]
