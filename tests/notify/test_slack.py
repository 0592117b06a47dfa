"""Slack-compatible webhooks to a real local HTTP receiver."""

import json

from tests.notify.support import (
    EXPLANATION,
    RECOMMENDATIONS,
    advance,
    alarm_state,
    insight_event,
    make_dispatcher,
    route,
    run,
)
from tests.receiver import Receiver
from tests.support import T0
from vigila.routing.model import Grouping, SlackTarget


def slack(receiver, **kw):
    return SlackTarget(url=receiver.url + "/services/T000/B000/XXX", name="chat",
                       timeout_seconds=1, **kw)


def test_an_insight_message(store, clock, receiver):
    route(store, slack(receiver, external_url="https://vigila.example.com"),
          insight_event(5), at=T0)
    run(make_dispatcher(store, clock))
    (request,) = receiver.received
    assert request.path == "/services/T000/B000/XXX"
    assert request.headers["content-type"] == "application/json"
    assert request.headers["idempotency-key"] == "chat/event-5"
    message = json.loads(request.body)
    assert message["text"] == "[FIRING] latency_spike on cluster-a/node-17/mlx5_0/1, risk 92"
    header, section, context = message["blocks"]
    assert header == {"type": "header", "text": {"type": "plain_text", "text": message["text"]}}
    text = section["text"]["text"]
    assert section["text"]["type"] == "mrkdwn"
    assert text.splitlines()[0] == ("*CRITICAL · latency_spike* on "
                                    "`cluster-a/node-17/mlx5_0/1` · risk *92*/100 · "
                                    "confidence 0.80")
    assert EXPLANATION in text and "*Recommendations*" in text
    assert all(f"• {r}" in text for r in RECOMMENDATIONS)
    assert "<https://vigila.example.com/v1/insights/insight-5|details>" in text
    assert context["elements"][0]["text"] == "vigila · chat"


def test_an_alarm_message(store, clock, receiver):
    route(store, slack(receiver), alarm_state("hot-cluster-a", "ALARM"), at=T0)
    run(make_dispatcher(store, clock))
    text = json.loads(receiver.bodies()[0])["blocks"][1]["text"]["text"]
    assert text.splitlines()[:2] == [
        "*hot-cluster-a* is *ALARM* (was OK)",
        "Threshold Crossed: 3 of 5 datapoints were greater than the threshold (85.0)"]


def test_event_text_cannot_ping_or_link_and_limits_hold(store, clock, receiver):
    hostile = insight_event(
        1, entity="<!channel> port", explanation="<!here> see <https://evil.example|docs> & "
        + "ß" * 20_000, recommendations=["<@U123> do it", "x" * 5000])
    many = [insight_event(i, entity=f"port-{i}") for i in range(2, 80)]
    route(store, slack(receiver, group=Grouping(by=[])), hostile, *many, at=T0)
    advance(clock, make_dispatcher(store, clock), 30)
    (message,) = [json.loads(b) for b in receiver.bodies()]
    blocks = message["blocks"]
    assert len(blocks) <= 50 and len(blocks[0]["text"]["text"]) <= 150
    assert all(len(b["text"]["text"]) <= 3000 for b in blocks if b["type"] == "section")
    assert blocks[-1]["elements"][0]["text"].startswith("59 more alerts not shown")
    everything = json.dumps(message, ensure_ascii=False)
    assert "<!channel>" not in everything and "<!here>" not in everything
    assert "<@U123>" not in everything and "<https://evil" not in everything
    assert "&lt;!here&gt; see &lt;https://evil.example|docs&gt; &amp; ßß" in everything


def test_a_chat_down_for_ten_minutes_gets_its_messages_when_back(store, clock):
    receiver = Receiver()
    url = receiver.url
    receiver.stop()
    target = SlackTarget(url=url, name="chat", timeout_seconds=1,
                         group=Grouping(by=["entity"], interval_seconds=60))
    d = make_dispatcher(store, clock)
    for minute in range(10):
        route(store, target, insight_event(minute, entity=f"port-{minute % 3}",
                                           kind=f"type-{minute}", at=clock.now()),
              at=clock.now())
        advance(clock, d, 60)
    back = Receiver(port=int(url.rsplit(":", 1)[1]))
    try:
        recovered = clock.now()
        advance(clock, d, 60)
        messages = [json.loads(b) for b in back.bodies()]
        seen = {line.split(" on ")[0] for m in messages for b in m["blocks"][1:-1]
                for line in [b["text"]["text"].splitlines()[0]]}
        assert seen == {f"*CRITICAL · type-{minute}*" for minute in range(10)}
        assert clock.now() - recovered <= 60
    finally:
        back.stop()
