"""Rules and targets, declared as data (pack files, `vigila.toml`, the HTTP API).

>>> rule = msgspec.convert({
...     "name": "hot-ports",
...     "pattern": {"source": ["vigila.fabric"],
...                 "detail": {"utilization": [{"numeric": [">", 80]}]}},
...     "targets": [{"type": "webhook", "url": "http://127.0.0.1:9000/hook"}],
... }, Rule)
>>> rule.targets[0].retry_for_seconds
86400.0

Notification targets (`email`, `slack`, a `webhook` with `format = "alertmanager"`)
render the event themselves, optionally grouped (`notify.group`):

>>> mail = msgspec.convert({"type": "email", "host": "smtp.example.com",
...     "from": "vigila@example.com", "to": ["oncall@example.com"],
...     "group": {"by": ["alertname"]}}, Target)
>>> mail.group.wait_seconds, mail.security
(30.0, 'starttls')
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta

RuleName = Annotated[str, Meta(pattern=r"^[A-Za-z0-9._-]{1,64}$")]
JsonPath = Annotated[str, Meta(pattern=r"^\$(\.[A-Za-z0-9_@:/-]+|\[\d+\])*$", max_length=256)]
ChannelName = Annotated[str, Meta(pattern=r"^[A-Za-z0-9._-]{0,64}$")]
LabelName = Annotated[str, Meta(pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")]
GroupLabel = Annotated[str, Meta(pattern=r"^([A-Za-z_][A-Za-z0-9_]{0,63}|\.\.\.)$")]
EmailAddress = Annotated[str, Meta(pattern=r"^[^@\s<>\"(),;:]{1,64}@[^@\s<>\"(),;:]{1,255}$")]
EnvName = Annotated[str, Meta(pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,127}$")]

STANDARD_LABELS = ("alertname", "source", "detail_type", "resource", "entity",
                   "prediction_type", "severity", "namespace", "metric_name")
"""Labels every notification alert may carry (`notify.alert`); `group.by` names these or
the target's own `labels`."""


class InputTransformer(msgspec.Struct, forbid_unknown_fields=True):
    """EventBridge's InputTransformer: variables from JSON paths, filled into a template."""

    template: Annotated[str, Meta(min_length=1, max_length=8192)]
    paths: Annotated[dict[str, JsonPath], Meta(max_length=100)] = {}


class _TargetBase(msgspec.Struct, forbid_unknown_fields=True, tag_field="type", kw_only=True):
    input: Any = None
    """A constant JSON payload sent instead of the event (EventBridge `Input`)."""
    input_path: JsonPath | None = None
    """Send only this part of the event (EventBridge `InputPath`), e.g. `$.detail`."""
    input_transformer: InputTransformer | None = None
    retry_for_seconds: Annotated[float, Meta(ge=0, le=7 * 86_400)] = 86_400.0
    """How long delivery is retried before the payload is dead-lettered."""
    name: ChannelName = ""
    """The channel's name in metrics and notification grouping. A `[targets.<name>]` table
    gets its key; an unnamed target of a rule is `<rule>/<index>`."""


class StoreTarget(_TargetBase, tag="store"):
    """Keep the payload in the store, under `collection`, keyed by event id."""

    collection: Annotated[str, Meta(pattern=r"^[a-z0-9_-]{1,64}$")]


class FileTarget(_TargetBase, tag="file"):
    """Append the payload as one line to a local file."""

    path: Annotated[str, Meta(min_length=1, max_length=4096)]


class Grouping(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Alertmanager's grouping: alerts of a channel with the same values of the labels `by`
    become one message, sent `wait_seconds` after the group's first alert, then at most
    every `interval_seconds` when it changed, and again every `repeat_interval_seconds`."""

    by: Annotated[list[GroupLabel], Meta(max_length=20)] = []
    """Labels that make a group: `[]` puts every alert of the channel in one group,
    `["..."]` gives each alert its own."""
    wait_seconds: Annotated[float, Meta(ge=0, le=3600)] = 30.0
    """How long a new group collects alerts before its first message (`group_wait`)."""
    interval_seconds: Annotated[float, Meta(ge=1, le=86_400)] = 300.0
    """Least time between two messages of a group that changed (`group_interval`)."""
    repeat_interval_seconds: Annotated[float, Meta(ge=60, le=30 * 86_400)] = 14_400.0
    """A group whose alerts still fire, unchanged, is sent again after this long."""
    resolve_timeout_seconds: Annotated[float, Meta(ge=60, le=30 * 86_400)] = 3600.0
    """An alert that no event resolves (an insight) leaves its group this long after its
    last occurrence, without a message. Longer than an insight's dedup window (300 s),
    so an incident that keeps being reported stays one alert."""


class _NotifyTarget(_TargetBase, kw_only=True):
    labels: Annotated[dict[LabelName, JsonPath], Meta(max_length=20)] = {}
    """Extra alert labels taken from event fields, e.g. `{cluster = "$.detail.cluster"}`."""
    group: Grouping | None = None
    """Group alerts before sending (see `Grouping`); without it each event is one message."""
    external_url: Annotated[str, Meta(pattern=r"^(https?://.*)?$", max_length=512)] = ""
    """This vigila's address: messages link to `/v1/insights/{id}`, `/v1/alarms/{name}`."""

    def _check_notify(self, kind: str) -> None:
        if self.input is not None or self.input_path or self.input_transformer:
            raise ValueError(f"a {kind} renders the event itself: input, input_path and "
                             "input_transformer are not allowed (a plain webhook takes them)")
        by = self.group.by if self.group else []
        if "..." in by and len(by) > 1:
            raise ValueError('group.by: "..." (every label) must be alone')
        allowed = {*STANDARD_LABELS, *self.labels}
        unknown = [label for label in by if label not in allowed and label != "..."]
        if unknown:
            raise ValueError(f"group.by names unknown label(s) {unknown}; allowed: "
                             f"{', '.join(sorted(allowed))}, or [\"...\"] for every label")


class WebhookTarget(_NotifyTarget, tag="webhook"):
    """POST the payload; the outbox key goes in `Idempotency-Key` so receivers can dedup.

    With `format = "alertmanager"` the body is Alertmanager's webhook JSON (version 4)."""

    url: Annotated[str, Meta(pattern=r"^https?://", max_length=2048)]
    headers: dict[str, str] = {}
    timeout_seconds: Annotated[float, Meta(gt=0, le=60)] = 10.0
    format: Literal["raw", "alertmanager"] = "raw"
    """`raw`: the payload as routed; `alertmanager`: alerts as Alertmanager's webhook sends."""
    max_alerts: Annotated[int, Meta(ge=0, le=10_000)] = 0
    """Alertmanager format: most alerts in one message (0: all); `truncatedAlerts` counts
    the rest."""

    def __post_init__(self) -> None:
        if self.format == "alertmanager":
            self._check_notify('webhook with format = "alertmanager"')
        elif self.labels or self.group or self.external_url or self.max_alerts:
            raise ValueError('labels, group, external_url and max_alerts need '
                             'format = "alertmanager"')


class EmailTarget(_NotifyTarget, tag="email", kw_only=True):
    """Send a plain-text email over SMTP; its Message-ID is derived from the dedup key."""

    host: Annotated[str, Meta(pattern=r"^[A-Za-z0-9.:\[\]-]{1,255}$")]
    port: Annotated[int, Meta(ge=1, le=65535)] = 587
    security: Literal["starttls", "ssl", "none"] = "starttls"
    """`starttls` upgrades a plain connection (port 587), `ssl` is TLS from the start (465),
    `none` sends in clear (a local relay only)."""
    ca_file: Annotated[str, Meta(max_length=4096)] = ""
    """PEM file of the CAs to trust instead of the system's (a private mail relay)."""
    username: Annotated[str, Meta(max_length=256)] = ""
    """Log in as this user; the password comes from the variable `password_env`."""
    password_env: EnvName | None = None
    """Name of the environment variable holding the SMTP password (never the password)."""
    sender: EmailAddress = msgspec.field(name="from")
    to: Annotated[list[EmailAddress], Meta(min_length=1, max_length=50)]
    subject_prefix: Annotated[str, Meta(pattern=r"^[^\x00-\x1f\x7f]{0,64}$")] = "[vigila]"
    timeout_seconds: Annotated[float, Meta(gt=0, le=120)] = 30.0

    def __post_init__(self) -> None:
        self._check_notify("email target")
        if bool(self.username) != bool(self.password_env):
            raise ValueError("username and password_env go together: set both or neither")


class SlackTarget(_NotifyTarget, tag="slack"):
    """POST a Slack incoming-webhook message (`text` and Block Kit `blocks`)."""

    url: Annotated[str, Meta(pattern=r"^https?://", max_length=2048)]
    timeout_seconds: Annotated[float, Meta(gt=0, le=60)] = 10.0

    def __post_init__(self) -> None:
        self._check_notify("slack target")


class BusTarget(_TargetBase, tag="bus"):
    """Put the payload back on the bus as a new event; the hop count stops loops."""

    source: Annotated[str, Meta(min_length=1, max_length=256)]
    detail_type: Annotated[str, Meta(min_length=1, max_length=256)] = "Routed Event"


Target = StoreTarget | FileTarget | WebhookTarget | BusTarget | EmailTarget | SlackTarget
NotifyTarget = WebhookTarget | EmailTarget | SlackTarget


def notifies(target: Target) -> bool:
    """Whether the notify stages render and send for this target (not the plain targets)."""
    return isinstance(target, EmailTarget | SlackTarget) or (
        isinstance(target, WebhookTarget) and target.format == "alertmanager")


class Rule(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """A named pattern and what to do with the events it matches."""

    name: RuleName
    pattern: dict[str, Any]
    targets: Annotated[list[Target], Meta(max_length=5)] = []
    enabled: bool = True
    description: Annotated[str, Meta(max_length=512)] = ""
