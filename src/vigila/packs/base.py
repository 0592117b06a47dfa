"""The `Pack` declaration and the loader."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from typing import Any

from vigila.events.schemas import DetailSchemas
from vigila.metrics.declare import MetricSpec
from vigila.packs.widgets import Dashboard
from vigila.pipeline.batch import ColumnSpec
from vigila.pipeline.processor import Processor
from vigila.routing.model import Rule


@dataclass(frozen=True)
class BareRoute:
    """`POST /v1/packs/<pack>/<name>` takes a bare list of details and wraps each in an
    envelope of `source` / `detail_type`, with the detail's `resource_field` as resource."""

    source: str
    detail_type: str
    resource_field: str


@dataclass(frozen=True)
class Pack:
    """What a pack declares. The engine knows nothing about any domain beyond this."""

    name: str
    description: str
    detail_types: dict[tuple[str, str], type] = field(default_factory=dict)
    """`(source, detail-type)` -> the struct that decodes and validates `detail`."""
    columns: dict[tuple[str, str], ColumnSpec] = field(default_factory=dict)
    """`(source, detail-type)` -> the detail fields its processors read as numpy columns,
    and which fields name the entity and the sample time."""
    processors: Callable[[dict[str, Any]], list[Processor]] = lambda settings: []
    """Builds fresh processor instances from the pack's `pack_settings` (processors may
    hold per-entity state); raises `msgspec.ValidationError` for bad settings."""
    simulator: Callable[..., Iterator[dict[str, Any]]] | None = None
    """Yields events for `vigila simulate <pack>` and the demo."""
    rules: list[Rule] = field(default_factory=list)
    """Routing rules the pack ships (read-only over the API)."""
    alarms: list[Any] = field(default_factory=list)
    """Metric and composite alarms (`vigila.alarms` structs) the pack ships."""
    metrics: list[MetricSpec] = field(default_factory=list)
    """Metrics computed from events (rolled up, queryable, alarmable)."""
    bare_routes: dict[str, BareRoute] = field(default_factory=dict)
    """Ingest routes for senders that post details without envelopes."""
    internal_types: frozenset[tuple[str, str]] = frozenset()
    """`(source, detail-type)` pairs only the pack's processors emit; ingest refuses them."""
    prompts: Any = None
    """The pack's prompt book for the insight engine (`vigila.insights.engine.PromptBook`)."""
    dashboard: Dashboard | None = None
    """The widgets the web UI shows for the pack (`vigila.packs.widgets`)."""


class UnknownPack(ValueError):
    """No pack of that name is shipped or installed."""


def load_packs(names: list[str]) -> list[Pack]:
    """Import the named packs, shipped ones first, then `vigila.packs` entry points."""
    installed = {ep.name: ep for ep in entry_points(group="vigila.packs")}
    packs = []
    for name in names:
        if name in installed:
            packs.append(installed[name].load())
            continue
        try:
            module = importlib.import_module(f"vigila.packs.{name}")
        except ModuleNotFoundError:
            known = sorted({*installed, *shipped_packs()})
            raise UnknownPack(f"unknown pack {name!r}; available: {', '.join(known)}") from None
        packs.append(module.PACK)
    return packs


def shipped_packs() -> list[str]:
    from importlib import resources

    root = resources.files("vigila.packs")
    return sorted(p.name for p in root.iterdir()
                  if p.is_dir() and (p / "__init__.py").is_file())


def register_schemas(packs: list[Pack]) -> DetailSchemas:
    schemas = DetailSchemas()
    for pack in packs:
        for (source, detail_type), struct in pack.detail_types.items():
            schemas.register(source, detail_type, struct)
        for source, detail_type in pack.internal_types:
            schemas.mark_internal(source, detail_type)
    return schemas
