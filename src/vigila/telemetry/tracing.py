"""OpenTelemetry tracing of vigila itself: ingest -> append -> process spans."""

from __future__ import annotations

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    ConsoleSpanExporter,
    SimpleSpanProcessor,
    SpanExporter,
)
from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased

from vigila import __version__
from vigila.config.schema import Config


def make_tracer_provider(config: Config, exporter: SpanExporter | None = None
                         ) -> TracerProvider:
    """A provider sampling `tracing.sample_ratio` of root spans, exporting as configured.

    Pass `exporter` to send spans somewhere else (tests use an in-memory one).
    """
    resource = Resource.create({
        "service.name": config.resource_name,
        "service.version": __version__,
        "deployment.environment": config.environment,
        "cloud.region": config.region,
        **{f"tag.{k}": v for k, v in config.tags.items()},
    })
    provider = TracerProvider(
        resource=resource, sampler=ParentBased(TraceIdRatioBased(config.tracing.sample_ratio)))
    if exporter is not None:
        provider.add_span_processor(SimpleSpanProcessor(exporter))
    elif config.tracing.exporter == "console":
        provider.add_span_processor(BatchSpanProcessor(ConsoleSpanExporter()))
    elif config.tracing.exporter == "otlp":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(
            BatchSpanProcessor(OTLPSpanExporter(endpoint=config.tracing.otlp_endpoint)))
    return provider


def tracer(provider: TracerProvider) -> trace.Tracer:
    return provider.get_tracer("vigila", __version__)
