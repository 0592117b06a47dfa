"""Events into alerts: insights, alarm state changes, anything else, and hostile fields."""

import pytest

from tests.notify.support import alarm_state, insight_event
from tests.support import T0
from vigila.notify.alert import ANNOTATION_CHARS, LABEL_CHARS, alert_from_event, fingerprint
from vigila.routing.model import STANDARD_LABELS


def test_an_insight():
    alert = alert_from_event(insight_event(3, risk=64), now_ms=0,
                             external_url="https://v.example.com/")
    assert alert.kind == "insight" and alert.status == "firing"
    assert alert.labels == {"alertname": "latency_spike", "entity": "cluster-a/node-17/mlx5_0/1",
                            "prediction_type": "latency_spike", "severity": "warning",
                            "source": "vigila.insights", "detail_type": "Insight"}
    assert alert.annotations["risk_score"] == "64" and alert.annotations["author"] == "analyst"
    assert alert.annotations["recommendations"].count("\n") == 1
    assert alert.starts_ms == int(T0 * 1000) and alert.event_id == "event-3"
    assert alert.link == "https://v.example.com/v1/insights/insight-3"


def test_alarm_states():
    firing = alert_from_event(alarm_state("hot", "ALARM", at=T0), now_ms=0)
    assert firing.status == "firing" and firing.starts_ms == int(T0 * 1000)
    ok = alert_from_event(alarm_state("hot", "OK", at=T0 + 60, previous="ALARM", since=T0),
                          now_ms=0)
    assert ok.status == "resolved" and ok.ends_ms == int((T0 + 60) * 1000)
    assert ok.starts_ms == int(T0 * 1000) and ok.fingerprint == firing.fingerprint
    missing = alert_from_event(alarm_state("hot", "INSUFFICIENT_DATA"), now_ms=0)
    assert missing.resolved and missing.annotations["summary"] == "hot is INSUFFICIENT_DATA"


def test_any_other_event():
    event = {"id": "e1", "source": "app.orders", "detail-type": "Order Placed",
             "resources": ["order-1"], "detail": {"amount": 42.5}, "time": "nonsense"}
    alert = alert_from_event(event, now_ms=123)
    assert alert.kind == "event" and alert.starts_ms == 123
    assert alert.labels == {"alertname": "Order Placed", "resource": "order-1",
                            "source": "app.orders", "detail_type": "Order Placed"}
    assert alert.annotations == {"summary": "Order Placed from app.orders (order-1)",
                                 "description": '{"amount":42.5}'}


@pytest.mark.parametrize("event", [
    None, 5, "text", [], {}, {"source": "vigila.insights", "detail": "not an object"},
    {"source": "vigila.insights", "detail": {"risk_score": "high", "recommendations": "x",
                                             "created_at": 7, "confidence": None}},
    {"source": "vigila.alarms", "detail": {"state": "ALARM", "configuration": [1]}},
    {"source": "vigila.alarms", "detail": {"alarmName": 5, "state": {"timestamp": "x" * 999},
                                           "configuration": {"metrics": [{"metricStat": 3}]}}},
])
def test_malformed_events_still_make_an_alert(event):
    alert = alert_from_event(event, now_ms=1)
    assert alert.fingerprint and alert.labels.keys() <= set(STANDARD_LABELS)


def test_hostile_text_is_bounded_and_printable():
    huge = insight_event(1, entity="a\r\nb\x00c\u2028d" + "e" * 100_000,
                         explanation="line one\r\nline\x07two\u0085" + "z" * 1_000_000,
                         recommendations=["r" * 50_000] * 4)
    alert = alert_from_event(huge, now_ms=0)
    for value in alert.labels.values():
        assert len(value) <= LABEL_CHARS and value.isprintable()
    assert alert.labels["entity"].startswith("a  b c d")
    for value in alert.annotations.values():
        assert len(value) <= ANNOTATION_CHARS
        assert all(line.isprintable() for line in value.split("\n"))
    assert alert.annotations["description"].startswith("line one\nline two")


def test_extra_labels_from_paths():
    event = insight_event(1, evidence={"cluster": "cluster-b", "hca": {"fw": 20}})
    alert = alert_from_event(event, now_ms=0, labels={
        "cluster": "$.detail.evidence.cluster", "fw": "$.detail.evidence.hca.fw",
        "absent": "$.detail.nope"})
    assert alert.labels["cluster"] == "cluster-b" and alert.labels["fw"] == "20"
    assert "absent" not in alert.labels


def test_fingerprints_depend_on_labels_only():
    assert fingerprint({"a": "1", "b": "2"}) == fingerprint({"b": "2", "a": "1"})
    assert fingerprint({"a": "1b"}) != fingerprint({"a": "1", "b": ""})
    one = alert_from_event(insight_event(1, risk=90), now_ms=0)
    two = alert_from_event(insight_event(2, risk=95, explanation="other"), now_ms=0)
    assert one.fingerprint == two.fingerprint
