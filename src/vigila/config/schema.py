"""The configuration schema: every knob, its type, its bounds and its default.

Each field is documented here, once. Profiles (`profiles.toml`) and user files
only override these defaults.
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from msgspec import Meta

PositiveInt = Annotated[int, Meta(ge=1)]
Name = Annotated[str, Meta(pattern=r"^[a-z][a-z0-9-]{0,30}$")]


class ServerConfig(msgspec.Struct, forbid_unknown_fields=True):
    host: str = "127.0.0.1"
    """Interface the HTTP server binds to."""
    port: Annotated[int, Meta(ge=0, le=65535)] = 8080
    """TCP port of the HTTP server (0 picks a free one)."""


class LogConfig(msgspec.Struct, forbid_unknown_fields=True):
    partitions: Annotated[int, Meta(ge=1, le=1024)] = 4
    """Number of log partitions; events with the same key keep their order."""
    synchronous: Literal["OFF", "NORMAL", "FULL", "EXTRA"] = "NORMAL"
    """SQLite synchronous mode: NORMAL may lose the last commits on power loss, FULL does not."""
    retention_days: Annotated[float, Meta(gt=0)] = 7.0
    """Events older than this are deleted from the log and the stores."""
    append_batch_max: Annotated[int, Meta(ge=1, le=100_000)] = 20_000
    """Most events committed in one group commit of the log writer."""
    max_lag_records: PositiveInt = 200_000
    """Unprocessed records beyond which ingest answers 429 (backpressure)."""


class IngestConfig(msgspec.Struct, forbid_unknown_fields=True):
    max_body_bytes: Annotated[int, Meta(ge=1024)] = 5 * 1024 * 1024
    """Largest request body accepted, as sent (compressed or not): 413 above."""
    max_decompressed_bytes: Annotated[int, Meta(ge=1024)] = 50 * 1024 * 1024
    """Largest body once gunzipped: 413 above (stops gzip bombs)."""
    max_event_bytes: Annotated[int, Meta(ge=256)] = 256 * 1024
    """Largest single event; a larger one is rejected alone."""
    max_batch_events: PositiveInt = 10_000
    """Most events in one request: 413 above."""
    max_depth: Annotated[int, Meta(ge=2, le=256)] = 32
    """Deepest nesting of objects and arrays in one event."""
    deadletter_raw_cap: Annotated[int, Meta(ge=0)] = 64 * 1024
    """Bytes of a rejected item kept in the dead-letter store."""


class PipelineConfig(msgspec.Struct, forbid_unknown_fields=True):
    batch_size: Annotated[int, Meta(ge=1, le=100_000)] = 5_000
    """Most records read from one partition per processing batch."""
    workers: Annotated[int, Meta(ge=1, le=64)] = 1
    """Pipeline worker threads (partitions are shared among them)."""
    idle_wait_seconds: Annotated[float, Meta(gt=0, le=60)] = 0.5
    """Longest sleep of an idle worker when no append wakes it."""


class AuthConfig(msgspec.Struct, forbid_unknown_fields=True):
    required: bool = False
    """Whether the HTTP API needs an API key (create one with `vigila apikeys create`)."""


class TracingConfig(msgspec.Struct, forbid_unknown_fields=True):
    sample_ratio: Annotated[float, Meta(ge=0, le=1)] = 1.0
    """Share of ingest requests traced (1.0 = every one)."""
    exporter: Literal["none", "console", "otlp"] = "none"
    """Where spans go: nowhere, stdout, or an OTLP/HTTP collector."""
    otlp_endpoint: str = "http://127.0.0.1:4318/v1/traces"
    """OTLP/HTTP traces endpoint, used when exporter is `otlp`."""


class Config(msgspec.Struct, forbid_unknown_fields=True):
    """The effective configuration of one vigila deployment."""

    name: Name = "vigila"
    """Deployment name, first part of every resource name."""
    environment: Literal["dev", "staging", "production"] = "dev"
    """The profile in force."""
    region: Name = "local"
    """Region, last part of every resource name."""
    account: Annotated[str, Meta(max_length=64)] = "000000000000"
    """Account id stamped on events that carry none."""
    data_dir: str = ".vigila"
    """Directory of the embedded SQLite databases."""
    packs: list[str] = msgspec.field(default_factory=lambda: ["fabric"])
    """Packs loaded at start-up."""
    tags: dict[str, str] = msgspec.field(default_factory=dict)
    """Tags applied to every resource and telemetry stream."""
    server: ServerConfig = msgspec.field(default_factory=ServerConfig)
    log: LogConfig = msgspec.field(default_factory=LogConfig)
    ingest: IngestConfig = msgspec.field(default_factory=IngestConfig)
    pipeline: PipelineConfig = msgspec.field(default_factory=PipelineConfig)
    auth: AuthConfig = msgspec.field(default_factory=AuthConfig)
    tracing: TracingConfig = msgspec.field(default_factory=TracingConfig)

    @property
    def resource_name(self) -> str:
        """`{name}-{environment}-{region}`, the name every resource carries."""
        return f"{self.name}-{self.environment}-{self.region}"

    @property
    def resource_tags(self) -> dict[str, str]:
        """The configured tags plus the standard ones."""
        return {"Project": self.name, "Environment": self.environment, **self.tags}


SECTIONS = ("server", "log", "ingest", "pipeline", "auth", "tracing")
"""Config fields that are sections: `VIGILA_<SECTION>_<KEY>` sets `<section>.<key>`."""
