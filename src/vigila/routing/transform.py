"""What a target receives: the event, a part of it, a constant, or a filled-in template.

EventBridge's input transformation: `<var>` placeholders take values found at
JSON paths of the event. Inside a JSON string a value goes in as text; as a
JSON value it goes in as JSON. A path that is not in the event gives no value:
an empty string inside a string, `null` elsewhere (so the output stays valid
JSON). Reserved variables: `aws.events.rule-name`, `aws.events.rule-arn`,
`aws.events.event` (the event without `detail`), `aws.events.event.json`
(the whole event) and `aws.events.event.ingestion-time`.

>>> event = {"id": "1", "detail": {"port": "p1", "util": 93.5}}
>>> render(InputTransformer(template='{"port": <port>, "msg": "<port> at <util>%"}',
...                         paths={"port": "$.detail.port", "util": "$.detail.util"}),
...        event, rule="hot")
b'{"port": "p1", "msg": "p1 at 93.5%"}'
"""

from __future__ import annotations

import re
from typing import Any

import msgspec

from vigila.routing.model import InputTransformer, Target

_PLACEHOLDER = re.compile(r"<([A-Za-z0-9_.:-]+)>")
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_STEP = re.compile(r"\.([^.\[]+)|\[(\d+)\]")
_encode = msgspec.json.encode
MISSING = object()


def select(event: Any, path: str) -> Any:
    """The value at a JSON path (`$`, `$.a.b`, `$.resources[0]`), or `MISSING`."""
    value = event
    for key, index in _STEP.findall(path[1:]):
        if key:
            if not isinstance(value, dict) or key not in value:
                return MISSING
            value = value[key]
        else:
            if not isinstance(value, list) or int(index) >= len(value):
                return MISSING
            value = value[int(index)]
    return value


def payload(target: Target, event: dict[str, Any], *, rule: str, rule_arn: str = "",
            ingestion_time: str = "") -> bytes:
    """The bytes delivered to `target` for `event`."""
    if target.input is not None:
        return _encode(target.input)
    if target.input_transformer is not None:
        return render(target.input_transformer, event, rule=rule, rule_arn=rule_arn,
                      ingestion_time=ingestion_time)
    if target.input_path is not None:
        value = select(event, target.input_path)
        return _encode(None if value is MISSING else value)
    return _encode(event)


def render(transformer: InputTransformer, event: dict[str, Any], *, rule: str,
           rule_arn: str = "", ingestion_time: str = "") -> bytes:
    """Fill the template; a JSON template keeps JSON quoting rules."""
    values = {name: select(event, path) for name, path in transformer.paths.items()}
    values.update({
        "aws.events.rule-name": rule,
        "aws.events.rule-arn": rule_arn,
        "aws.events.event.ingestion-time": ingestion_time or event.get("time", ""),
        "aws.events.event": {k: v for k, v in event.items() if k != "detail"},
        "aws.events.event.json": event,
    })
    template = transformer.template
    if template.lstrip()[:1] not in ('{', '[', '"'):
        return _fill(template, values, in_string=True).encode()
    out, last = [], 0
    for match in _STRING.finditer(template):
        out.append(_fill(template[last : match.start()], values, in_string=False))
        out.append(_fill(match.group(0), values, in_string=True, escape=True))
        last = match.end()
    out.append(_fill(template[last:], values, in_string=False))
    return "".join(out).encode()


def _fill(text: str, values: dict[str, Any], *, in_string: bool, escape: bool = False) -> str:
    def one(match: re.Match[str]) -> str:
        value = values.get(match.group(1), MISSING)
        if value is MISSING:
            return "" if in_string else "null"
        if not in_string:
            return _encode(value).decode()
        text = value if isinstance(value, str) else _encode(value).decode()
        return _encode(text).decode()[1:-1] if escape else text

    return _PLACEHOLDER.sub(one, text)
