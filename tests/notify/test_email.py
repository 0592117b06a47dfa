"""Email through a real local SMTP server (aiosmtpd): content, TLS, login, retries, dedup by
Message-ID, hostile input, and a server that is down for ten minutes."""

import msgspec
import pytest

from tests.mailserver import MailServer
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
from tests.support import T0
from vigila.routing.model import EmailTarget, Grouping


def mail_target(server, **kw):
    spec = {"host": "127.0.0.1", "port": server.port, "security": "none", "name": "mail",
            "sender": "vigila@example.com", "to": ["oncall@example.com", "sre@example.com"],
            "timeout_seconds": 2, **kw}
    return EmailTarget(**spec)


def test_an_insight_email(store, clock, mailserver):
    route(store, mail_target(mailserver), insight_event(7), at=T0)
    run(make_dispatcher(store, clock))
    (mail,) = mailserver.mail
    msg = mail.message
    assert mail.sender == "vigila@example.com"
    assert mail.recipients == ["oncall@example.com", "sre@example.com"]
    assert msg["Subject"] == ("[vigila] [FIRING] latency_spike on cluster-a/node-17/mlx5_0/1, "
                              "risk 92")
    assert msg["To"] == "oncall@example.com, sre@example.com"
    assert msg["Date"] == "Mon, 21 Sep 2026 14:13:20 +0000"
    assert msg["X-Vigila-Dedup-Key"] == "mail/event-7"
    assert msg["Message-ID"].endswith(".vigila@example.com>")
    text = msg.get_content()
    assert EXPLANATION in text and "risk 92/100, confidence 0.80, by analyst" in text
    assert all(f"  - {r}" in text for r in RECOMMENDATIONS)
    assert "entity=cluster-a/node-17/mlx5_0/1" in text and "severity=critical" in text


def test_an_alarm_email(store, clock, mailserver):
    route(store, mail_target(mailserver, external_url="https://vigila.example.com"),
          alarm_state("hot-cluster-a", "ALARM"), at=T0)
    run(make_dispatcher(store, clock))
    msg = mailserver.mail[0].message
    assert msg["Subject"] == "[vigila] [FIRING] hot-cluster-a is ALARM"
    text = msg.get_content()
    assert "State ALARM, was OK" in text and "Threshold Crossed: 3 of 5" in text
    assert "https://vigila.example.com/v1/alarms/hot-cluster-a" in text


def test_grouped_insights_are_one_email(store, clock, mailserver):
    target = mail_target(mailserver, group=Grouping(by=["prediction_type"]))
    route(store, target, *[insight_event(i, entity=f"port-{i}") for i in range(3)], at=T0)
    advance(clock, make_dispatcher(store, clock), 30)
    (mail,) = mailserver.mail
    assert mail.message["Subject"] == "[vigila] [FIRING:3] prediction_type=latency_spike"
    text = mail.message.get_content()
    assert text.startswith("vigila: 3 firing, 0 resolved")
    assert all(f"on port-{i}, risk 92" in text for i in range(3))


@pytest.fixture
def starttls(certificate):
    """A relay that wants STARTTLS and a login, and a target for it (password in
    SMTP_PASSWORD)."""
    context, cert = certificate
    server = MailServer(tls=context, users={"vigila": "s3cret"})
    yield server, mail_target(server, security="starttls", ca_file=str(cert),
                              username="vigila", password_env="SMTP_PASSWORD")
    server.stop()


def test_starttls_and_login_with_the_password_from_the_environment(store, clock, starttls):
    server, target = starttls
    route(store, target, insight_event(1), at=T0)
    run(make_dispatcher(store, clock, env={"SMTP_PASSWORD": "s3cret"}))
    assert server.logins == ["vigila"] and len(server.mail) == 1


def test_a_wrong_password_is_dead_lettered_and_a_missing_variable_named(store, clock,
                                                                        starttls):
    server, target = starttls
    route(store, target, insight_event(1), at=T0)
    run(make_dispatcher(store, clock))
    (entry,) = store.due_outbox(10**15, 10)
    assert "environment variable SMTP_PASSWORD (password_env of target mail) is not set" \
        in entry.last_error
    clock.set(entry.due_ms / 1000)
    run(make_dispatcher(store, clock, env={"SMTP_PASSWORD": "wrong"}))
    (letter,) = store.dead_letters().items
    assert "SMTP 535" in letter.reason and store.outbox_counts() == {"dead": 1}
    assert server.mail == []


def test_an_untrusted_certificate_is_refused_and_retried(store, clock, starttls):
    server, target = starttls
    route(store, msgspec.structs.replace(target, ca_file=""), insight_event(1), at=T0)
    run(make_dispatcher(store, clock, env={"SMTP_PASSWORD": "s3cret"}))
    (entry,) = store.due_outbox(10**15, 10)
    assert "CERTIFICATE_VERIFY_FAILED" in entry.last_error and server.mail == []


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_implicit_tls(store, clock, certificate):
    context, cert = certificate
    server = MailServer(tls=context, implicit_tls=True, users={"vigila": "s3cret"})
    try:
        target = mail_target(server, security="ssl", ca_file=str(cert), username="vigila",
                             password_env="SMTP_PASSWORD")
        route(store, target, insight_event(1), at=T0)
        run(make_dispatcher(store, clock, env={"SMTP_PASSWORD": "s3cret"}))
        assert len(server.mail) == 1
    finally:
        server.stop()


def test_4xx_is_retried_5xx_is_dead_lettered(store, clock, mailserver):
    results = []
    mailserver.replies.extend(["451 4.3.0 try again later", "550 5.1.1 mailbox unavailable"])
    route(store, mail_target(mailserver), insight_event(1), insight_event(2), at=T0)
    d = make_dispatcher(store, clock, results=results)
    run(d)  # 451 on the first; the second waits (one failure per target per pass)
    clock.advance(60)
    run(d)  # 550 on the next one tried; the other is delivered
    assert sorted(o for _, o, _ in results) == ["dead", "deferred", "delivered", "failed"]
    (letter,) = store.dead_letters().items
    assert "SMTP 550 5.1.1 mailbox unavailable" in letter.reason
    assert len(mailserver.mail) == 1


def test_a_retry_after_a_timeout_is_the_same_message(store, clock, mailserver):
    """The relay accepts the mail but answers after we gave up waiting: the copy we send
    again has the same Message-ID, so a receiver that dedups shows one."""
    mailserver.delay = 1.5
    route(store, mail_target(mailserver, timeout_seconds=0.5), insight_event(3), at=T0)
    d = make_dispatcher(store, clock)
    run(d)
    assert store.outbox_counts() == {"pending": 1}
    mailserver.delay = 0
    clock.advance(60)
    run(d)
    assert store.outbox_counts() == {"delivered": 1}
    ids = mailserver.message_ids()
    assert len(ids) == 2 and len(set(ids)) == 1
    assert len({m.raw.split(b"\r\n\r\n", 1)[1] for m in mailserver.mail}) == 1  # same body


def test_hostile_fields_cannot_inject_headers(store, clock, mailserver):
    evil = insight_event(
        4, entity="port-1\r\nBcc: thief@evil.example\r\nX-Injected: 1",
        kind="latency_spike\nSubject: pwned",
        explanation="ок ✓ 数据\r\n.\r\nMAIL FROM:<thief@evil.example>\r\n" + "x" * 1_000_000,
        recommendations=["\x1b[31mred\x1b[0m", "é" * 10_000])
    route(store, mail_target(mailserver), evil, alarm_state("a\r\nBcc: x@evil.example", "ALARM"),
          at=T0)
    run(make_dispatcher(store, clock))
    assert len(mailserver.mail) == 2
    for mail in mailserver.mail:
        msg = mail.message
        assert mail.recipients == ["oncall@example.com", "sre@example.com"]
        assert msg["Bcc"] is None and msg["X-Injected"] is None
        assert "\n" not in msg["Subject"] and len(msg["Subject"]) <= 220
        assert len(mail.raw) < 40_000
    insight = next(m.message for m in mailserver.mail if "port-1" in m.message["Subject"])
    text = insight.get_content().replace("\r\n", "\n")
    assert "ок ✓ 数据" in text and "\n  .\n  MAIL FROM" in text
    assert "\x1b" not in text and "[31mred" in text


def test_a_server_down_for_ten_minutes_gets_everything_within_a_minute_of_return(store, clock):
    server = MailServer()
    port = server.port
    server.stop()
    target = mail_target(server)
    d = make_dispatcher(store, clock)
    for i in range(5):  # one event a minute... then the outage lasts ten
        route(store, target, insight_event(i, entity=f"port-{i}", at=clock.now()),
              at=clock.now())
        advance(clock, d, 60, step=5)
    advance(clock, d, 300, step=5)
    assert store.outbox_counts() == {"pending": 5}
    back = MailServer(port=port)
    try:
        recovered = clock.now()
        while len(back.mail) < 5 and clock.now() < recovered + 120:
            advance(clock, d, 5)
        assert len(back.mail) == 5 and clock.now() - recovered <= 60
        assert len(set(back.message_ids())) == 5
        assert store.outbox_counts() == {"delivered": 5}
    finally:
        back.stop()


def test_counts_in_a_capped_message_cover_every_alert_of_the_group():
    from vigila.notify.alert import Alert
    from vigila.notify.message import MAX_ALERTS, Notification
    from vigila.notify.text import body, headline

    alerts = [Alert(fingerprint=f"f{i}", labels={"alertname": "x", "entity": f"p{i}"},
                    annotations={"summary": f"x on p{i}"}, kind="event", starts_ms=0)
              for i in range(MAX_ALERTS + 7)]
    n = Notification.of_group(alerts, channel="c", key="k", group_key="g",
                              group_labels={"alertname": "x"}, at_ms=0)
    assert len(n.alerts) == MAX_ALERTS and n.omitted_firing == 7
    assert headline(n).startswith(f"[FIRING:{MAX_ALERTS + 7}]")
    assert f"{MAX_ALERTS + 7} firing" in body(n) and "more alerts" in body(n)
