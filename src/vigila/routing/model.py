"""Rules and targets, declared as data (pack files, `vigila.toml`, the HTTP API).

>>> rule = msgspec.convert({
...     "name": "hot-ports",
...     "pattern": {"source": ["vigila.fabric"],
...                 "detail": {"utilization": [{"numeric": [">", 80]}]}},
...     "targets": [{"type": "webhook", "url": "http://127.0.0.1:9000/hook"}],
... }, Rule)
>>> rule.targets[0].retry_for_seconds
86400.0
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from msgspec import Meta

RuleName = Annotated[str, Meta(pattern=r"^[A-Za-z0-9._-]{1,64}$")]
JsonPath = Annotated[str, Meta(pattern=r"^\$(\.[A-Za-z0-9_@:/-]+|\[\d+\])*$", max_length=256)]


class InputTransformer(msgspec.Struct, forbid_unknown_fields=True):
    """EventBridge's InputTransformer: variables from JSON paths, filled into a template."""

    template: Annotated[str, Meta(min_length=1, max_length=8192)]
    paths: Annotated[dict[str, JsonPath], Meta(max_length=100)] = {}


class _TargetBase(msgspec.Struct, forbid_unknown_fields=True, tag_field="type", kw_only=True):
    input: Any = None
    """A constant JSON payload sent instead of the event (EventBridge `Input`)."""
    input_path: JsonPath | None = None
    """Send only this part of the event (EventBridge `InputPath`), e.g. `$.detail`."""
    input_transformer: InputTransformer | None = None
    retry_for_seconds: Annotated[float, Meta(ge=0, le=7 * 86_400)] = 86_400.0
    """How long delivery is retried before the payload is dead-lettered."""


class StoreTarget(_TargetBase, tag="store"):
    """Keep the payload in the store, under `collection`, keyed by event id."""

    collection: Annotated[str, Meta(pattern=r"^[a-z0-9_-]{1,64}$")]


class FileTarget(_TargetBase, tag="file"):
    """Append the payload as one line to a local file."""

    path: Annotated[str, Meta(min_length=1, max_length=4096)]


class WebhookTarget(_TargetBase, tag="webhook"):
    """POST the payload; the outbox key goes in `Idempotency-Key` so receivers can dedup."""

    url: Annotated[str, Meta(pattern=r"^https?://", max_length=2048)]
    headers: dict[str, str] = {}
    timeout_seconds: Annotated[float, Meta(gt=0, le=60)] = 10.0


class BusTarget(_TargetBase, tag="bus"):
    """Put the payload back on the bus as a new event; the hop count stops loops."""

    source: Annotated[str, Meta(min_length=1, max_length=256)]
    detail_type: Annotated[str, Meta(min_length=1, max_length=256)] = "Routed Event"


Target = StoreTarget | FileTarget | WebhookTarget | BusTarget


class Rule(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A named pattern and what to do with the events it matches."""

    name: RuleName
    pattern: dict[str, Any]
    targets: Annotated[list[Target], Meta(max_length=5)] = []
    enabled: bool = True
    description: Annotated[str, Meta(max_length=512)] = ""
