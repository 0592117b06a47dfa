from fastapi.testclient import TestClient
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from tests.support import body, drain, make_config, plain_event
from vigila.api.app import create_app
from vigila.runtime import Runtime


def run_ingest(tmp_path, clock, **overrides):
    exporter = InMemorySpanExporter()
    rt = Runtime(make_config(tmp_path, **overrides), clock=clock, span_exporter=exporter)
    rt.start(pipeline=False)
    try:
        with TestClient(create_app(rt)) as client:
            for _ in range(20):
                client.post("/v1/events", content=body([plain_event(1)]))
        drain(rt)
    finally:
        rt.stop()
    return exporter.get_finished_spans()


def test_every_request_is_traced_by_default(tmp_path, clock):
    spans = run_ingest(tmp_path, clock)
    names = [s.name for s in spans]
    assert names.count("ingest") == 20 and names.count("append") == 20
    assert names.count("decode") == 20 and names.count("process") >= 1
    ingest = next(s for s in spans if s.name == "ingest")
    append = next(s for s in spans if s.name == "append")
    assert append.parent.span_id == ingest.context.span_id
    assert ingest.resource.attributes["service.name"] == "vigila-dev-local"
    assert ingest.attributes["vigila.accepted"] == 1


def test_sampling_ratio_zero_records_nothing(tmp_path, clock):
    assert run_ingest(tmp_path, clock, **{"tracing.sample_ratio": 0.0}) == ()
