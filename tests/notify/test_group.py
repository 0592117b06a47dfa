"""Grouping in Alertmanager's manner, every timing rule on a manual clock, against a real
SQLite store and a real HTTP receiver (Alertmanager-format webhook)."""

import json

import pytest

from tests.notify.support import advance, alarm_state, insight_event, make_dispatcher, route, run
from tests.receiver import Receiver
from tests.support import T0
from vigila.routing.model import Grouping, WebhookTarget
from vigila.store.sqlite import SqliteStore


def am_target(url, **grouping):
    return WebhookTarget(url=url, format="alertmanager", name="am", timeout_seconds=1,
                         group=Grouping(**{"by": ["alertname"], **grouping}))


def messages(receiver):
    return [json.loads(b) for b in receiver.bodies()]


def entities(message):
    return sorted(a["labels"].get("entity", a["labels"]["alertname"]) for a in message["alerts"])


def test_group_wait_collects_alerts_into_one_message(store, clock, receiver):
    target = am_target(receiver.url)
    d = make_dispatcher(store, clock)
    for i in range(3):  # three ports, one type, ten seconds apart
        clock.set(T0 + 10 * i)
        route(store, target, insight_event(i, entity=f"port-{i}", at=clock.now()),
              at=clock.now())
        run(d)
        assert receiver.received == []
    clock.set(T0 + 29.999)
    run(d)
    assert receiver.received == []
    clock.set(T0 + 30)
    run(d)
    (message,) = messages(receiver)
    assert entities(message) == ["port-0", "port-1", "port-2"]
    assert message["groupLabels"] == {"alertname": "latency_spike"}
    assert message["status"] == "firing" and message["receiver"] == "am"
    assert store.outbox_counts() == {"grouped": 3, "delivered": 1}


def test_each_group_is_its_own_message(store, clock, receiver):
    target = am_target(receiver.url)
    route(store, target, insight_event(1, kind="latency_spike"),
          insight_event(2, kind="packet_loss_detected"),
          insight_event(3, kind="latency_spike", entity="port-9"), at=T0)
    d = make_dispatcher(store, clock)
    advance(clock, d, 30)
    by_group = {m["groupLabels"]["alertname"]: len(m["alerts"]) for m in messages(receiver)}
    assert by_group == {"latency_spike": 2, "packet_loss_detected": 1}


def test_group_interval_holds_changes_back(store, clock, receiver):
    target = am_target(receiver.url, interval_seconds=300)
    d = make_dispatcher(store, clock)
    route(store, target, insight_event(0, entity="port-0"), at=T0)
    advance(clock, d, 30)
    assert len(receiver.received) == 1
    clock.set(T0 + 40)
    route(store, target, insight_event(1, entity="port-1", at=T0 + 40), at=T0 + 40)
    advance(clock, d, 289)  # until T0 + 329
    assert len(receiver.received) == 1
    advance(clock, d, 1)  # T0 + 330: the group interval after the first message
    second = messages(receiver)[1]
    assert entities(second) == ["port-0", "port-1"]


def test_a_repeated_alert_is_not_news(store, clock, receiver):
    target = am_target(receiver.url, interval_seconds=60)
    d = make_dispatcher(store, clock)
    route(store, target, insight_event(0), at=T0)
    advance(clock, d, 30)
    for i in range(1, 5):  # the same port and type reported again: the same fingerprint
        route(store, target, insight_event(i, at=clock.now()), at=clock.now())
        advance(clock, d, 120)
    assert len(receiver.received) == 1


def test_an_unchanged_group_repeats_after_the_repeat_interval(store, clock, receiver):
    target = am_target(receiver.url, interval_seconds=300, repeat_interval_seconds=3600)
    d = make_dispatcher(store, clock)
    route(store, target, alarm_state("hot", "ALARM"), at=T0)
    advance(clock, d, 30)
    advance(clock, d, 3599)  # T0 + 3629: flushes at +330, +630 ... +3330 send nothing
    assert len(receiver.received) == 1
    advance(clock, d, 1)  # T0 + 3630: the first flush an hour after the first message
    assert len(receiver.received) == 2
    assert messages(receiver)[1]["alerts"] == messages(receiver)[0]["alerts"]


def test_a_resolved_alarm_is_sent_resolved_then_forgotten(store, clock, receiver):
    target = am_target(receiver.url, interval_seconds=60)
    d = make_dispatcher(store, clock)
    route(store, target, alarm_state("hot", "ALARM", at=T0), at=T0)
    advance(clock, d, 30)
    route(store, target, alarm_state("hot", "OK", at=T0 + 45, previous="ALARM", since=T0),
          at=T0 + 45)
    advance(clock, d, 60)  # T0 + 90
    firing, resolved = messages(receiver)
    assert firing["status"] == "firing" and resolved["status"] == "resolved"
    (alert,) = resolved["alerts"]
    assert alert["status"] == "resolved" and alert["endsAt"] == "2026-09-21T14:14:05.000Z"
    assert alert["startsAt"] == firing["alerts"][0]["startsAt"] == "2026-09-21T14:13:20.000Z"
    advance(clock, d, 120)
    assert len(receiver.received) == 2
    assert store.notify.notify_counts() == {"groups": 0, "alerts": 0}


def test_fired_and_resolved_within_the_wait_sends_nothing(store, clock, receiver):
    target = am_target(receiver.url)
    d = make_dispatcher(store, clock)
    route(store, target, alarm_state("blip", "ALARM"), at=T0)
    clock.advance(10)
    route(store, target, alarm_state("blip", "OK", at=T0 + 10, previous="ALARM", since=T0),
          at=T0 + 10)
    advance(clock, d, 600)
    assert receiver.received == []
    assert store.notify.notify_counts() == {"groups": 0, "alerts": 0}


def test_an_insight_leaves_silently_after_the_resolve_timeout(store, clock, receiver):
    target = am_target(receiver.url, interval_seconds=60, resolve_timeout_seconds=600)
    d = make_dispatcher(store, clock)
    route(store, target, insight_event(0), at=T0)
    advance(clock, d, 30)
    advance(clock, d, 600)  # expired at T0 + 600, forgotten at the next look
    assert len(receiver.received) == 1
    assert store.notify.notify_counts() == {"groups": 0, "alerts": 0}
    route(store, target, insight_event(1, at=clock.now()), at=clock.now())  # back: news
    advance(clock, d, 30)
    assert len(receiver.received) == 2


def test_an_old_alert_does_not_wait(store, clock, receiver):
    target = am_target(receiver.url, wait_seconds=30)
    clock.set(T0 + 600)  # routed ten minutes ago, delivered now (a backlog)
    route(store, target, insight_event(0, at=T0), at=T0)
    run(make_dispatcher(store, clock))
    assert len(receiver.received) == 1


def test_every_label_or_one_group(store, clock, receiver):
    d = make_dispatcher(store, clock)
    each = WebhookTarget(url=receiver.url + "/each", format="alertmanager", name="each",
                         group=Grouping(by=["..."]))
    one = WebhookTarget(url=receiver.url + "/one", format="alertmanager", name="one",
                        group=Grouping(by=[]))
    events = [insight_event(i, entity=f"port-{i}", kind=k)
              for i, k in enumerate(["latency_spike", "latency_spike", "rdma_timeout"])]
    route(store, each, *events, at=T0, rule="each")
    route(store, one, *events, at=T0, rule="one")
    advance(clock, d, 30)
    by_path = {}
    for r in receiver.received:
        by_path.setdefault(r.path, []).append(len(json.loads(r.body)["alerts"]))
    assert by_path == {"/each": [1, 1, 1], "/one": [3]}
    one_message = next(json.loads(r.body) for r in receiver.received if r.path == "/one")
    assert one_message["groupLabels"] == {}
    assert one_message["commonLabels"] == {"source": "vigila.insights",
                                           "detail_type": "Critical Insight",
                                           "severity": "critical"}


def test_labels_from_event_fields_make_groups(store, clock, receiver):
    target = WebhookTarget(url=receiver.url, format="alertmanager", name="am",
                           labels={"cluster": "$.detail.evidence.cluster"},
                           group=Grouping(by=["cluster"]))
    events = [insight_event(i, entity=f"{c}/node-{i}", evidence={"cluster": c})
              for i, c in enumerate(["cluster-a", "cluster-b", "cluster-a"])]
    route(store, target, *events, at=T0)
    advance(clock, make_dispatcher(store, clock), 30)
    groups = sorted((m["groupLabels"]["cluster"], len(m["alerts"])) for m in messages(receiver))
    assert groups == [("cluster-a", 2), ("cluster-b", 1)]


def test_groups_survive_a_restart_without_loss_or_duplicates(tmp_path, clock, receiver):
    target = am_target(receiver.url)
    path = tmp_path / "store.db"
    first = SqliteStore(path)
    route(first, target, insight_event(0, entity="port-0"), insight_event(1, entity="port-1"),
          at=T0)
    run(make_dispatcher(first, clock))  # absorbed, not yet sent
    first.close()
    clock.advance(30)
    second = SqliteStore(path)  # a restart: the groups are in the store
    run(make_dispatcher(second, clock))
    second.close()
    third = SqliteStore(path)
    advance(clock, make_dispatcher(third, clock), 3600)
    third.close()
    (message,) = messages(receiver)
    assert entities(message) == ["port-0", "port-1"]


def test_a_restart_between_flush_and_delivery_sends_once(tmp_path, clock, receiver):
    target = am_target(receiver.url)
    path = tmp_path / "store.db"
    first = SqliteStore(path)
    route(first, target, insight_event(0), at=T0)
    d = make_dispatcher(first, clock)
    run(d)
    clock.advance(30)
    assert first.notify.notify_due(int(clock.now() * 1000), 10)
    receiver.replies.append((503, {}))  # the notification is queued, its first send fails
    d.run_once()
    first.close()
    second = SqliteStore(path)
    advance(clock, make_dispatcher(second, clock), 600)
    second.close()
    assert len(receiver.received) == 1


@pytest.mark.parametrize("down_for", [0, 600])
def test_a_group_has_one_notification_in_flight_so_order_holds(store, clock, down_for):
    receiver = Receiver()
    url = receiver.url
    target = am_target(url, interval_seconds=60)
    d = make_dispatcher(store, clock)
    receiver.stop()
    route(store, target, alarm_state("hot", "ALARM"), at=T0)
    advance(clock, d, 30)  # the firing message fails: the receiver is down
    route(store, target, alarm_state("hot", "OK", at=clock.now(), previous="ALARM", since=T0),
          at=clock.now())
    advance(clock, d, 60 + down_for)
    assert store.outbox_counts()["pending"] == 1  # the resolved one waits for the firing one
    back = Receiver(port=int(url.rsplit(":", 1)[1]))
    try:
        advance(clock, d, 130)
        assert [m["status"] for m in messages(back)] == ["firing", "resolved"]
    finally:
        back.stop()


def test_alerts_held_through_an_outage_longer_than_the_resolve_timeout_are_sent(
        store, clock):
    receiver = Receiver()
    url = receiver.url
    target = am_target(url, resolve_timeout_seconds=120)
    d = make_dispatcher(store, clock)
    route(store, target, insight_event(1, entity="port-1"), at=T0)
    advance(clock, d, 30)
    receiver.stop()
    route(store, target, insight_event(2, entity="port-2", at=clock.now()), at=clock.now())
    advance(clock, d, 600)  # ten minutes down, far past the resolve timeout
    back = Receiver(port=int(url.rsplit(":", 1)[1]))
    try:
        advance(clock, d, 120)
        assert "port-2" in {e for m in messages(back) for e in entities(m)}
    finally:
        back.stop()


def test_line_breaks_in_event_text_never_reach_a_grouped_message_header(store, clock,
                                                                        mailserver):
    from tests.notify.test_email import mail_target

    target = mail_target(mailserver, group=Grouping(by=["source"]))
    evil = [insight_event(i, entity=f"port-{i}") for i in range(2)]
    for event in evil:
        event["source"] = "vigila.insights\r\nBcc: victim@example.com"
    route(store, target, *evil, at=T0)
    d = make_dispatcher(store, clock)
    advance(clock, d, 60)
    (mail,) = mailserver.mail
    assert "\n" not in mail.message["Subject"] and mail.message["Bcc"] is None


def test_after_a_long_outage_the_held_message_is_not_followed_by_a_repeat(store, clock):
    receiver = Receiver()
    url = receiver.url
    target = am_target(url, interval_seconds=60, repeat_interval_seconds=3600)
    d = make_dispatcher(store, clock)
    receiver.stop()
    route(store, target, alarm_state("hot", "ALARM"), at=T0)
    advance(clock, d, 2 * 3600, step=30)  # two hours down: past the repeat interval
    back = Receiver(port=int(url.rsplit(":", 1)[1]))
    try:
        advance(clock, d, 600, step=30)
        assert len(back.received) == 1, "sent once when back, no repeat right after"
        advance(clock, d, 3600, step=60)
        assert len(back.received) == 2, "and repeated an hour after it was delivered"
    finally:
        back.stop()


def test_a_huge_group_is_one_bounded_message_that_counts_the_rest(store, clock, receiver):
    from vigila.notify.message import MAX_ALERTS

    target = am_target(receiver.url, by=[])
    events = [insight_event(i, entity=f"port-{i}") for i in range(MAX_ALERTS + 100)]
    route(store, target, *events, at=T0)
    d = make_dispatcher(store, clock)
    advance(clock, d, 30)
    (message,) = messages(receiver)
    assert len(message["alerts"]) == MAX_ALERTS
    assert message["truncatedAlerts"] == 100 and message["status"] == "firing"
    row = max(len(r.body) for r in receiver.received)
    assert row < 2_000_000, "the stored and sent message does not grow with the group"
