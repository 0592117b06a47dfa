"""Alarm events in the EventBridge envelope, with CloudWatch's `detail` shape.

A state change is `detail-type: "Alarm State Change"`. Actions that a composite
alarm held back and takes later are `detail-type: "Alarm Actions Released"`,
with the same `detail` less `previousState`. Beside the envelope's own fields,
`actions` lists the action targets that fire (empty when none do). Event ids
derive from the alarm, the time and the states, so re-emitting is idempotent.

>>> event = alarm_event(
...     "Alarm State Change", arn="arn:vigila:alarms:local:000000000000:alarm:cpu",
...     region="local", account="000000000000", now=1570035880.0,
...     detail={"alarmName": "cpu", "state": {"value": "ALARM"}}, actions=["oncall"],
... )
>>> event["source"], event["detail-type"], event["actions"]
('vigila.alarms', 'Alarm State Change', ['oncall'])
>>> event["resources"]
['arn:vigila:alarms:local:000000000000:alarm:cpu']
"""

from __future__ import annotations

import hashlib
import uuid

from vigila.alarms.formats import iso_ms, iso_seconds

SOURCE = "vigila.alarms"
STATE_CHANGE = "Alarm State Change"
ACTIONS_RELEASED = "Alarm Actions Released"


def alarm_arn(region: str, account: str, name: str) -> str:
    """The alarm's ARN-like id, `arn:vigila:alarms:{region}:{account}:alarm:{name}`."""
    return f"{arn_prefix(region, account)}{name}"


def arn_prefix(region: str, account: str) -> str:
    """What every alarm ARN of this region and account starts with."""
    return f"arn:vigila:alarms:{region}:{account}:alarm:"


def state_dict(
    value: str, reason: str, reason_data: str | None, timestamp: float
) -> dict[str, object]:
    """`state` / `previousState` of the event detail."""
    state: dict[str, object] = {"value": value, "reason": reason}
    if reason_data is not None:
        state["reasonData"] = reason_data
    state["timestamp"] = iso_ms(timestamp)
    return state


def alarm_event(
    detail_type: str,
    *,
    arn: str,
    region: str,
    account: str,
    now: float,
    detail: dict[str, object],
    actions: list[str],
) -> dict[str, object]:
    """The EventBridge envelope around `detail`."""
    return {
        "version": "0",
        "id": _event_id(detail_type, arn, now, detail),
        "detail-type": detail_type,
        "source": SOURCE,
        "account": account,
        "time": iso_seconds(now),
        "region": region,
        "resources": [arn],
        "detail": detail,
        "actions": actions,
    }


def _event_id(detail_type: str, arn: str, now: float, detail: dict) -> str:
    """A UUID (version 5) of what the event says happened: the same event, the same id."""
    previous = detail.get("previousState")
    change = f"{previous['value'] if previous else ''}>{detail['state']['value']}"
    digest = hashlib.sha1(f"{detail_type}|{arn}|{now}|{change}".encode()).digest()
    return str(uuid.UUID(bytes=digest[:16], version=5))
