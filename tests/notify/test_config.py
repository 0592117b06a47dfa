"""Notification channels in `vigila.toml`: what is accepted, and errors that name the key and
what is allowed."""

import pytest

from vigila.config import ConfigError, load_effective
from vigila.routing.model import EmailTarget, SlackTarget, WebhookTarget

TOML = '''
[targets.mail]
type = "email"
host = "smtp.example.com"
port = 587
username = "vigila"
password_env = "VIGILA_SMTP_PASSWORD"
from = "vigila@example.com"
to = ["oncall@example.com"]
labels = { cluster = "$.detail.evidence.cluster" }

[targets.mail.group]
by = ["alertname", "cluster"]
wait_seconds = 30
interval_seconds = 300
repeat_interval_seconds = 14400

[targets.chat]
type = "slack"
url = "https://hooks.slack.com/services/T000/B000/XXX"

[targets.pager]
type = "webhook"
format = "alertmanager"
url = "http://127.0.0.1:9093/hook"
external_url = "https://vigila.example.com"

[alerting]
critical_insight_targets = ["mail", "chat", "pager"]
'''


def test_channels_declared_in_the_file(tmp_path):
    path = tmp_path / "vigila.toml"
    path.write_text(TOML)
    config = load_effective(config_file=path, env={}).config
    mail, chat, pager = (config.targets[n] for n in ("mail", "chat", "pager"))
    assert isinstance(mail, EmailTarget) and isinstance(chat, SlackTarget)
    assert isinstance(pager, WebhookTarget) and pager.format == "alertmanager"
    assert (mail.name, chat.name, pager.name) == ("mail", "chat", "pager")
    assert mail.group.by == ["alertname", "cluster"] and mail.sender == "vigila@example.com"
    assert config.routing.retry_max_seconds == 60


EMAIL = {"type": "email", "host": "smtp.example.com", "from": "v@example.com",
         "to": ["o@example.com"]}


@pytest.mark.parametrize(("target", "message"), [
    ({"type": "sms"}, "targets.t.type = 'sms' (command line): Invalid value 'sms'; allowed: "
                      "bus, email, file, slack, store, webhook"),
    ({**EMAIL, "password": "hunter2"},
     "unknown configuration key 'targets.t.password' (command line); allowed here: ca_file, "
     "external_url, from, group, host"),
    ({**EMAIL, "security": "tls"},
     "targets.t.security = 'tls' (command line): Invalid enum value 'tls'; allowed: none, "
     "ssl, starttls"),
    ({**EMAIL, "username": "v"}, "username and password_env go together"),
    ({**EMAIL, "password_env": "not a name"}, "targets.t.password_env = 'not a name'"),
    ({**EMAIL, "to": ["o@example.com\r\nBcc: x@evil.example"]}, "targets.t.to[0]"),
    ({**EMAIL, "to": []}, "targets.t.to = []"),
    ({**EMAIL, "subject_prefix": "[v]\r\nBcc: x"}, "targets.t.subject_prefix"),
    ({"type": "slack", "url": "hooks.slack.com"}, "targets.t.url = 'hooks.slack.com'"),
    ({"type": "slack", "url": "http://x", "input_path": "$.detail"},
     "a slack target renders the event itself"),
    ({"type": "slack", "url": "http://x", "group": {"by": ["cluster"]}},
     "group.by names unknown label(s) ['cluster']; allowed: alertname, detail_type, entity"),
    ({"type": "slack", "url": "http://x", "group": {"by": ["...", "entity"]}},
     '"..." (every label) must be alone'),
    ({"type": "slack", "url": "http://x", "group": {"wait": 3}},
     "unknown configuration key 'targets.t.group.wait' (command line); allowed here: by, "
     "interval_seconds, repeat_interval_seconds, resolve_timeout_seconds, wait_seconds"),
    ({"type": "slack", "url": "http://x", "group": {"repeat_interval_seconds": 1}},
     "targets.t.group.repeat_interval_seconds = 1 (command line): Expected `float` >= 60.0"),
    ({"type": "webhook", "url": "http://x", "group": {}},
     'labels, group, external_url and max_alerts need format = "alertmanager"'),
    ({"type": "webhook", "url": "http://x", "format": "prometheus"},
     "allowed: alertmanager, raw"),
])
def test_bad_channels_name_the_key_and_what_is_allowed(target, message):
    with pytest.raises(ConfigError) as info:
        load_effective(env={}, overrides={"targets": {"t": target}})
    assert message in str(info.value)


def test_target_names_are_checked():
    with pytest.raises(ConfigError, match="the name 'on call' is not allowed: Expected `str` "
                                          "matching regex"):
        load_effective(env={}, overrides={"targets": {"on call": {"type": "store",
                                                                   "collection": "x"}}})
