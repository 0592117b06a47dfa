"""Notification channels in a running server: declared in the configuration, fed by alarm
actions and the built-in `critical-insights` rule, measured per channel."""

import json

import pytest

from tests.notify.support import insight_event
from tests.receiver import Receiver
from tests.support import T0, body, drain, make_config
from vigila.clock import ManualClock
from vigila.routing.catalog import RuleConflict
from vigila.routing.model import EmailTarget, Rule
from vigila.runtime import Runtime

HOT = {"name": "hot", "namespace": "Fabric/dev", "metric_name": "Utilization",
       "dimensions": {"Cluster": "cluster-a"}, "statistic": "Maximum", "period": 60,
       "evaluation_periods": 5, "datapoints_to_alarm": 3,
       "comparison_operator": "GreaterThanThreshold", "threshold": 80,
       "alarm_actions": ["mail", "pager", "chat"], "ok_actions": ["mail", "pager", "chat"]}


@pytest.fixture
def channels(tmp_path, receiver, mailserver):
    targets = {
        "mail": {"type": "email", "host": "127.0.0.1", "port": mailserver.port,
                 "security": "none", "from": "vigila@example.com", "to": ["sre@example.com"]},
        "pager": {"type": "webhook", "format": "alertmanager", "url": receiver.url + "/am",
                  "timeout_seconds": 1},
        "chat": {"type": "slack", "url": receiver.url + "/slack",
                 "group": {"by": ["alertname"], "wait_seconds": 30}},
    }
    rt = Runtime(make_config(tmp_path, targets=targets, alarms=[HOT],
                             **{"alerting.critical_insight_targets": ["mail", "chat"]}),
                 clock=ManualClock(T0))
    yield rt
    rt.stop()


def sample(rt, name, **labels):
    return rt.metrics.registry.get_sample_value(name, labels) or 0.0


def paths(receiver):
    return [r.path for r in receiver.received]


def test_alarm_actions_reach_every_channel_and_are_measured(channels, receiver, mailserver):
    rt = channels
    rt.alarms.set_state("hot", "ALARM", "pager drill")
    rt.dispatcher.run_once()
    assert paths(receiver) == ["/am"] and len(mailserver.mail) == 1
    assert mailserver.mail[0].message["Subject"] == "[vigila] [FIRING] hot is ALARM"
    rt.clock.advance(30)
    rt.dispatcher.run_once()  # the chat group waited 30 s
    assert paths(receiver) == ["/am", "/slack"]
    slack = json.loads(receiver.received[1].body)
    assert slack["text"] == "[FIRING] hot is ALARM"
    for channel in ("mail", "pager", "chat"):
        assert sample(rt, "vigila_route_deliveries_total", target=channel,
                      outcome="delivered") == 1
        assert sample(rt, "vigila_route_delivery_seconds_count", target=channel) == 1
    assert sample(rt, "vigila_route_deliveries_total", target="chat", outcome="grouped") == 1


def test_failures_are_counted_per_channel_and_in_self_monitoring(channels, receiver,
                                                                 mailserver):
    rt = channels
    receiver.stop()
    mailserver.stop()
    rt.self_datapoints()  # the baseline
    rt.alarms.set_state("hot", "ALARM", "drill")
    rt.dispatcher.run_once()
    assert sample(rt, "vigila_route_deliveries_total", target="mail", outcome="failed") == 1
    assert sample(rt, "vigila_route_deliveries_total", target="pager", outcome="failed") == 1
    failures = next(p for p in rt.self_datapoints() if p.name == "NotificationFailures")
    assert failures.value == 2


def test_a_critical_insight_goes_to_the_configured_channels(channels, receiver, mailserver):
    rt = channels
    forged = rt.ingest.ingest(body([insight_event(9)]), rt.log.append,
                              rt.store.add_dead_letters)
    assert forged.accepted == 0 and "produced by vigila itself" in forged.rejected[0].error
    rt._publish_events([insight_event(9)])  # as the insight worker publishes it
    drain(rt)
    rt.dispatcher.run_once()
    assert rt.rules.all()["critical-insights"][1] == "builtin"
    (mail,) = mailserver.mail
    assert mail.message["X-Vigila-Dedup-Key"] == "mail/event-9"
    assert "latency_spike on cluster-a/node-17/mlx5_0/1" in mail.message["Subject"]
    rt.clock.advance(30)
    rt.dispatcher.run_once()
    assert paths(receiver) == ["/slack"]


def test_a_server_down_for_ten_minutes_catches_up(tmp_path):
    """The whole server: ten alarm state changes queued while the receiver is down, every
    one delivered within a minute of its return."""
    receiver = Receiver()
    url = receiver.url
    receiver.stop()
    clock = ManualClock(T0)
    rt = Runtime(make_config(tmp_path, targets={"pager": {
        "type": "webhook", "format": "alertmanager", "url": url, "timeout_seconds": 1}},
        alarms=[{**HOT, "alarm_actions": ["pager"], "ok_actions": ["pager"]}]), clock=clock)
    back = None
    try:
        for minute in range(10):
            rt.alarms.set_state("hot", "ALARM" if minute % 2 == 0 else "OK", f"m{minute}")
            for _ in range(12):
                clock.advance(5)
                rt.dispatcher.run_once()
        back = Receiver(port=int(url.rsplit(":", 1)[1]))
        for _ in range(12):
            clock.advance(5)
            rt.dispatcher.run_once()
        statuses = [json.loads(b)["status"] for b in back.bodies()]
        assert len(statuses) == 10 and statuses.count("firing") == 5
    finally:
        rt.stop()
        if back:
            back.stop()


def test_a_rule_over_the_api_cannot_read_secrets(tmp_path):
    rt = Runtime(make_config(tmp_path), clock=ManualClock(T0))
    try:
        rule = Rule(name="exfiltrate", pattern={"source": ["x"]}, targets=[EmailTarget(
            host="smtp.evil.example", sender="a@evil.example", to=["b@evil.example"],
            username="me", password_env="VIGILA_AI_API_KEY")])
        with pytest.raises(RuleConflict, match="cannot read a secret"):
            rt.rules.put(rule)
        assert "exfiltrate" not in rt.rules.all()
    finally:
        rt.stop()


def test_an_alarm_alert_resolves_on_its_channel_without_ok_actions(tmp_path, receiver):
    """`ok_actions` leave the pager out: the OK change still resolves the pager's alert,
    so it is not repeated every `repeat_interval` for ever; a plain webhook among the
    alarm actions hears only what CloudWatch would send it."""
    clock = ManualClock(T0)
    targets = {
        "pager": {"type": "webhook", "format": "alertmanager", "url": receiver.url + "/am",
                  "timeout_seconds": 1, "group": {"wait_seconds": 0, "interval_seconds": 10,
                                                  "repeat_interval_seconds": 60}},
        "hook": {"type": "webhook", "url": receiver.url + "/hook", "timeout_seconds": 1},
    }
    rt = Runtime(make_config(tmp_path, targets=targets, alarms=[
        {**HOT, "alarm_actions": ["pager", "hook"], "ok_actions": []}]), clock=clock)

    def run(seconds: int) -> None:
        for _ in range(seconds // 5):
            clock.advance(5)
            rt.dispatcher.run_once()

    try:
        rt.alarms.set_state("hot", "ALARM", "hot")
        run(30)
        rt.alarms.set_state("hot", "OK", "cool again")
        run(300)  # five repeat intervals
        pages = [json.loads(r.body)["status"] for r in receiver.received if r.path == "/am"]
        assert pages == ["firing", "resolved"]
        assert paths(receiver).count("/hook") == 1  # the ALARM change only
    finally:
        rt.stop()


def test_a_resolve_goes_only_where_the_alarm_alert_went(tmp_path, receiver):
    """Actions disabled on entering ALARM: no alert, so no resolve either; the channels
    alerted are remembered, so a definition changed meanwhile does not matter."""
    clock = ManualClock(T0)
    targets = {"pager": {"type": "webhook", "format": "alertmanager",
                         "url": receiver.url + "/am", "timeout_seconds": 1},
               "chat": {"type": "slack", "url": receiver.url + "/slack"}}
    quiet = {**HOT, "alarm_actions": ["pager"], "ok_actions": [], "actions_enabled": False}
    rt = Runtime(make_config(tmp_path, targets=targets, alarms=[quiet]), clock=clock)
    try:
        rt.alarms.set_state("hot", "ALARM", "hot")
        rt.alarms.set_state("hot", "OK", "cool")
        clock.advance(5)
        rt.dispatcher.run_once()
        assert paths(receiver) == []
    finally:
        rt.stop()
