"""Alertmanager-compatible webhooks to a real local HTTP receiver."""

import json
import time

from tests.notify.support import (
    EXPLANATION,
    advance,
    alarm_state,
    insight_event,
    make_dispatcher,
    route,
    run,
)
from tests.support import T0
from vigila.routing.model import Grouping, WebhookTarget

PAYLOAD_KEYS = {"version", "groupKey", "truncatedAlerts", "status", "receiver", "groupLabels",
                "commonLabels", "commonAnnotations", "externalURL", "alerts"}
ALERT_KEYS = {"status", "labels", "annotations", "startsAt", "endsAt", "generatorURL",
              "fingerprint"}


def am(receiver, **kw):
    spec = {"url": receiver.url + "/alerts", "format": "alertmanager", "name": "pager",
            "timeout_seconds": 1, "headers": {"authorization": "Bearer t0k3n"}, **kw}
    return WebhookTarget(**spec)


def test_the_payload_is_alertmanagers(store, clock, receiver):
    route(store, am(receiver, external_url="https://vigila.example.com"), insight_event(2),
          at=T0)
    run(make_dispatcher(store, clock))
    (request,) = receiver.received
    assert request.headers["authorization"] == "Bearer t0k3n"
    assert request.headers["idempotency-key"] == "pager/event-2"
    body = json.loads(request.body)
    assert set(body) == PAYLOAD_KEYS
    assert body["version"] == "4" and body["status"] == "firing"
    assert body["receiver"] == "pager" and body["truncatedAlerts"] == 0
    assert body["externalURL"] == "https://vigila.example.com"
    labels = {"alertname": "latency_spike", "entity": "cluster-a/node-17/mlx5_0/1",
              "prediction_type": "latency_spike", "severity": "critical",
              "source": "vigila.insights", "detail_type": "Critical Insight"}
    assert body["groupLabels"] == labels == body["commonLabels"]
    assert body["groupKey"] == "pager:{" + ",".join(
        f'{k}="{labels[k]}"' for k in sorted(labels)) + "}"
    (alert,) = body["alerts"]
    assert set(alert) == ALERT_KEYS and alert["labels"] == labels
    assert alert["annotations"] == body["commonAnnotations"]
    assert alert["annotations"]["description"] == EXPLANATION
    assert alert["annotations"]["risk_score"] == "92"
    assert alert["startsAt"] == "2026-09-21T14:13:20.000Z"
    assert alert["endsAt"] == "0001-01-01T00:00:00Z"
    assert alert["generatorURL"] == "https://vigila.example.com/v1/insights/insight-2"
    assert len(alert["fingerprint"]) == 16


def test_an_alarm_resolves(store, clock, receiver):
    target = am(receiver)
    route(store, target, alarm_state("hot", "ALARM", at=T0),
          alarm_state("hot", "OK", at=T0 + 300, previous="ALARM", since=T0), at=T0)
    run(make_dispatcher(store, clock))
    firing, resolved = (json.loads(b) for b in receiver.bodies())
    assert firing["status"] == "firing" and resolved["status"] == "resolved"
    assert firing["alerts"][0]["fingerprint"] == resolved["alerts"][0]["fingerprint"]
    assert resolved["alerts"][0]["endsAt"] == "2026-09-21T14:18:20.000Z"
    assert firing["alerts"][0]["labels"] == {
        "alertname": "hot", "source": "vigila.alarms", "detail_type": "Alarm State Change",
        "namespace": "Fabric/dev", "metric_name": "Utilization"}


def test_max_alerts_truncates(store, clock, receiver):
    target = am(receiver, max_alerts=2, group=Grouping(by=["alertname"]))
    route(store, target, *[insight_event(i, entity=f"port-{i}") for i in range(5)], at=T0)
    advance(clock, make_dispatcher(store, clock), 30)
    (body,) = (json.loads(b) for b in receiver.bodies())
    assert len(body["alerts"]) == 2 and body["truncatedAlerts"] == 3
    assert body["commonLabels"]["alertname"] == "latency_spike"
    assert "entity" not in body["commonLabels"]


def test_a_timeout_after_receipt_resends_with_the_same_key(store, clock, receiver):
    """The receiver got it, but answered too late: delivery is at least once, and the
    Idempotency-Key lets the receiver keep one."""
    receiver.delay = 1.5
    route(store, am(receiver, timeout_seconds=0.5, group=Grouping(by=["alertname"])),
          insight_event(1), at=T0)
    d = make_dispatcher(store, clock)
    advance(clock, d, 30)
    receiver.delay = 0
    advance(clock, d, 60)
    deadline = time.monotonic() + 5
    while len(receiver.received) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)  # the receiver is still answering the first copy
    keys = [r.headers["idempotency-key"] for r in receiver.received]
    assert len(keys) == 2 and len(set(keys)) == 1 and keys[0].startswith("notify/pager/")
    assert receiver.bodies()[0] == receiver.bodies()[1]


def test_refusals_and_retry_after(store, clock, receiver):
    receiver.replies.extend([(429, {"Retry-After": "120"}), (422, {})])
    route(store, am(receiver), insight_event(1), insight_event(2, entity="port-2"), at=T0)
    d = make_dispatcher(store, clock)
    run(d)  # 429 on the first; the other waits as long (one failure per target per pass)
    waiting = store.due_outbox(10**15, 10)
    assert [e.due_ms - int(T0 * 1000) for e in waiting] == [120_000, 120_000]
    assert all("HTTP 429" in e.last_error for e in waiting)
    clock.advance(120)
    run(d)  # 422: not retried; the other is then delivered
    (letter,) = store.dead_letters().items
    assert "HTTP 422" in letter.reason
    assert store.outbox_counts() == {"dead": 1, "delivered": 1}


def test_a_hostile_retry_after_falls_back_to_backoff(store, clock, receiver):
    receiver.replies.append((503, {"Retry-After": "1e400"}))
    route(store, am(receiver), insight_event(1), at=T0)
    run(make_dispatcher(store, clock))
    (waiting,) = store.due_outbox(10**15, 10)
    assert 0 < waiting.due_ms - int(T0 * 1000) <= 2000


def test_unsafe_event_ids_make_a_safe_key(store, clock, receiver):
    event = {**insight_event(1), "id": "id with spaces\r\nX-Evil: 1 ✓"}
    route(store, am(receiver), event, at=T0)
    run(make_dispatcher(store, clock))
    (request,) = receiver.received
    assert request.headers["idempotency-key"].startswith("sha256:")
    assert "x-evil" not in request.headers
