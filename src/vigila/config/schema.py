"""The configuration schema: every knob, its type, its bounds and its default.

Each field is documented here, once. Profiles (`profiles.toml`) and user files
only override these defaults.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta

from vigila.routing.model import Rule, Target

PositiveInt = Annotated[int, Meta(ge=1)]
Name = Annotated[str, Meta(pattern=r"^[a-z][a-z0-9-]{0,30}$")]
TargetName = Annotated[str, Meta(pattern=r"^[A-Za-z0-9._-]{1,64}$")]


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
    workers: Annotated[int, Meta(ge=0, le=64)] = 0
    """Processes that decode and append `POST /v1/events` bodies beside the server's
    interpreter (0: the server does it); about one per core the pipeline leaves free."""


class PipelineConfig(msgspec.Struct, forbid_unknown_fields=True):
    batch_size: Annotated[int, Meta(ge=1, le=100_000)] = 5_000
    """Most records read from one partition per processing batch."""
    workers: Annotated[int, Meta(ge=1, le=64)] = 1
    """Pipeline worker threads (partitions are shared among them)."""
    idle_wait_seconds: Annotated[float, Meta(gt=0, le=60)] = 0.5
    """Longest sleep of an idle worker when no append wakes it."""
    yield_to_ingest: bool = True
    """While requests are being ingested and the backlog is under half of
    `log.max_lag_records`, process in short passes with pauses, so acceptance comes first."""


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


class RoutingConfig(msgspec.Struct, forbid_unknown_fields=True):
    max_hops: Annotated[int, Meta(ge=1, le=32)] = 5
    """Times an event may be re-published by `bus` targets before it is dead-lettered."""
    retry_base_seconds: Annotated[float, Meta(gt=0, le=600)] = 1.0
    """First retry delay of a failed delivery; it doubles per attempt, with jitter."""
    retry_max_seconds: Annotated[float, Meta(gt=0, le=3600)] = 60.0
    """Longest delay between two delivery attempts: a target that was down for any time
    gets its backlog within this long of coming back."""


class MetricsConfig(msgspec.Struct, forbid_unknown_fields=True):
    retention_10s_hours: Annotated[float, Meta(ge=0.01, le=48)] = 3.0
    """How long 10-second buckets are kept."""
    retention_1m_hours: Annotated[float, Meta(ge=0.1, le=24 * 15)] = 26.0
    """How long 1-minute buckets are kept (alarms look back up to a day)."""
    retention_1h_days: Annotated[float, Meta(ge=1, le=455)] = 15.0
    """How long 1-hour buckets are kept."""
    allowed_lateness_seconds: Annotated[float, Meta(ge=0, le=3600)] = 300.0
    """A bucket stays open this long after its end for late datapoints (a lagging
    pipeline's included); later ones are dropped and counted."""
    max_series_per_metric: Annotated[int, Meta(ge=1)] = 1000
    """Distinct dimension sets kept per metric name; more are dropped and counted."""
    max_series: Annotated[int, Meta(ge=1)] = 50_000
    """Series kept in all."""


class AlertingConfig(msgspec.Struct, forbid_unknown_fields=True):
    late_data_delay_seconds: Annotated[float, Meta(ge=0, le=3600)] = 30.0
    """Alarms evaluate a period this long after it closes, so late datapoints count."""
    self_monitoring: bool = True
    """Install vigila's own alarms (ingest errors, lag, dead letters, notifications)."""
    self_monitoring_actions: list[str] = msgspec.field(default_factory=list)
    """Targets (names under `[targets]`) the self-monitoring composites notify."""
    critical_insight_targets: list[str] = msgspec.field(default_factory=list)
    """Targets that every `Critical Insight` and `LLM Spend Alert` go to (the built-in
    `critical-insights` rule)."""


class AiConfig(msgspec.Struct, forbid_unknown_fields=True):
    """The insight engine's LLM and the stages that bound its calls (`VIGILA_AI_*`)."""

    enabled: bool = True
    """`VIGILA_AI_ENABLED`: with false the deterministic analyst writes every insight."""
    provider: Literal["none", "openai", "anthropic", "bedrock"] = "none"
    """`none`: no LLM; `openai` covers every OpenAI-compatible server (vLLM, Ollama, ...)."""
    base_url: str | None = None
    """Server URL (OpenAI-compatible, Anthropic) or Bedrock endpoint override."""
    model: str | None = None
    """Model id; each provider has a default (Bedrock: Claude 3.5 Haiku)."""
    api_key: str | None = None
    """Secret; prefer the `VIGILA_AI_API_KEY` variable to a file. Never printed."""
    temperature: Annotated[float, Meta(ge=0, le=2)] = 0.3
    sample_rate: Annotated[float, Meta(ge=0, le=1)] = 1.0
    """Share of insights offered to the LLM; the rest are the analyst's."""
    cache_ttl_seconds: Annotated[float, Meta(ge=0, le=86_400)] = 900.0
    """An LLM answer is reused for the same quantized evidence this long."""
    cache_entries: Annotated[int, Meta(ge=0, le=1_000_000)] = 10_000
    max_batch: Annotated[int, Meta(ge=1, le=32)] = 8
    """Triggered intervals that arrive together share one prompt, up to this many."""
    llm_from_risk: Annotated[int, Meta(ge=0, le=101)] = 40
    """Analyst risk below which its reading stands without the LLM (false triggers and
    small blips: the bulk of triggered intervals, and not worth a call)."""
    full_prompt_from_risk: Annotated[int, Meta(ge=0, le=101)] = 50
    """Analyst risk from which the full prompt is used; below it, the short one."""
    requests_per_minute: Annotated[float, Meta(gt=0)] = 1800.0
    tokens_per_minute: Annotated[float, Meta(gt=0)] = 400_000.0
    max_wait_seconds: Annotated[float, Meta(ge=0, le=60)] = 1.0
    """Longest wait for the rate limiter before the analyst answers instead."""
    hourly_budget_usd: Annotated[float, Meta(ge=0)] = 20.0
    monthly_budget_usd: Annotated[float, Meta(ge=0)] = 500.0
    spend_alert_usd_per_hour: Annotated[float, Meta(ge=0)] = 10.0
    """Spend in one clock hour that publishes an `LLM Spend Alert` event."""
    timeout_seconds: Annotated[float, Meta(gt=0, le=300)] = 10.0
    attempts: Annotated[int, Meta(ge=1, le=10)] = 3
    retry_base_seconds: Annotated[float, Meta(ge=0, le=60)] = 0.5
    breaker_failures: Annotated[int, Meta(ge=1, le=1000)] = 5
    """Consecutive failed calls that open the circuit breaker."""
    breaker_cooldown_seconds: Annotated[float, Meta(gt=0, le=3600)] = 30.0
    prices: dict[str, tuple[float, float]] = msgspec.field(default_factory=dict)
    """USD per million input and output tokens, for models not in the built-in table."""
    insight_ttl_days: Annotated[float, Meta(gt=0, le=3650)] = 30.0
    """How long insights are kept."""


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
    routing: RoutingConfig = msgspec.field(default_factory=RoutingConfig)
    metrics: MetricsConfig = msgspec.field(default_factory=MetricsConfig)
    alerting: AlertingConfig = msgspec.field(default_factory=AlertingConfig)
    ai: AiConfig = msgspec.field(default_factory=AiConfig)
    alarms: list[dict[str, Any]] = msgspec.field(default_factory=list)
    """Metric and composite alarms (`[[alarms]]` tables, CloudWatch's fields)."""
    targets: dict[TargetName, Target] = msgspec.field(default_factory=dict)
    """Named targets that alarm actions refer to (`[targets.oncall]`); the name is the
    channel's in metrics and notification grouping."""
    rules: list[Rule] = msgspec.field(default_factory=list)
    """Rules declared in the configuration file (`[[rules]]` tables)."""
    pack_settings: dict[str, dict[str, Any]] = msgspec.field(default_factory=dict)
    """Per-pack settings (`[pack_settings.fabric.triggers]`), validated by each pack."""

    def __post_init__(self) -> None:
        self.targets = {name: msgspec.structs.replace(target, name=name)
                        for name, target in self.targets.items()}

    @property
    def resource_name(self) -> str:
        """`{name}-{environment}-{region}`, the name every resource carries."""
        return f"{self.name}-{self.environment}-{self.region}"

    @property
    def resource_tags(self) -> dict[str, str]:
        """The configured tags plus the standard ones."""
        return {"Project": self.name, "Environment": self.environment, **self.tags}


SECTIONS = ("server", "log", "ingest", "pipeline", "auth", "tracing", "routing", "metrics",
            "alerting", "ai")
"""Config fields that are sections: `VIGILA_<SECTION>_<KEY>` sets `<section>.<key>`."""
