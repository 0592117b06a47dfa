import json

import pytest

from vigila.routing.model import InputTransformer, StoreTarget
from vigila.routing.transform import MISSING, payload, render, select

EVENT = {
    "version": "0", "id": "7bf73129", "detail-type": "EC2 Instance State-change Notification",
    "source": "aws.ec2", "account": "123456789012", "time": "2015-11-11T21:29:54Z",
    "region": "us-east-1", "resources": ["arn:aws:ec2:us-east-1:123456789012:instance/i-1"],
    "detail": {"instance-id": "i-0123456789", "state": "RUNNING", "n": 3,
               "tags": {"team": "sre"}, "list": [1, {"x": "y"}]},
}
PATHS = {"instance": "$.detail.instance-id", "state": "$.detail.state", "n": "$.detail.n",
         "tags": "$.detail.tags", "first": "$.resources[0]", "x": "$.detail.list[1].x",
         "missing": "$.detail.nope"}


def fill(template):
    return render(InputTransformer(template=template, paths=PATHS), EVENT, rule="example",
                  rule_arn="arn:vigila:events:local:0:rule/example")


# The rows of EventBridge's "Input transform examples" table.
@pytest.mark.parametrize(("template", "expected"), [
    ('"instance <instance> is in <state>"', '"instance i-0123456789 is in RUNNING"'),
    ('{"instance" : <instance>, "state": <state>}',
     '{"instance" : "i-0123456789", "state": "RUNNING"}'),
    ('{"instance" : <instance>, "state": "<state>", '
     '"instanceStatus": "instance \\"<instance>\\" is in <state>"}',
     '{"instance" : "i-0123456789", "state": "RUNNING", '
     '"instanceStatus": "instance \\"i-0123456789\\" is in RUNNING"}'),
    ('{"instance" : <instance>, "state": [ 9, <state>, true ], "Transformed" : "Yes"}',
     '{"instance" : "i-0123456789", "state": [ 9, "RUNNING", true ], "Transformed" : "Yes"}'),
    ('"<aws.events.rule-name> triggered"', '"example triggered"'),
    ("instance <instance> is in <state>", "instance i-0123456789 is in RUNNING"),
])
def test_documented_examples(template, expected):
    assert fill(template).decode() == expected


def test_values_keep_their_json_type_outside_strings_and_become_text_inside():
    out = json.loads(fill('{"n": <n>, "tags": <tags>, "text": "n=<n> tags=<tags>", "x": <x>}'))
    assert out == {"n": 3, "tags": {"team": "sre"}, "text": 'n=3 tags={"team":"sre"}',
                   "x": "y"}


def test_reserved_variables():
    out = json.loads(fill('{"rule": <aws.events.rule-name>, "arn": <aws.events.rule-arn>, '
                          '"event": <aws.events.event>, "full": <aws.events.event.json>, '
                          '"at": <aws.events.event.ingestion-time>}'))
    assert out["rule"] == "example" and out["arn"].endswith("rule/example")
    assert "detail" not in out["event"] and out["event"]["id"] == "7bf73129"
    assert out["full"] == EVENT and out["at"] == EVENT["time"]


def test_missing_paths_produce_no_value_and_valid_json():
    assert json.loads(fill('{"a": <missing>, "b": "[<missing>]", "c": <undeclared>}')) == {
        "a": None, "b": "[]", "c": None}


def test_values_with_quotes_are_escaped_inside_json_strings():
    event = {"detail": {"msg": 'he said "hi"\n'}}
    out = render(InputTransformer(template='{"m": "<m>!"}', paths={"m": "$.detail.msg"}), event,
                 rule="r")
    assert json.loads(out) == {"m": 'he said "hi"\n!'}


def test_select():
    assert select(EVENT, "$") is EVENT
    assert select(EVENT, "$.detail.list[1].x") == "y"
    assert select(EVENT, "$.resources[5]") is MISSING
    assert select(EVENT, "$.detail.state.deeper") is MISSING


def test_target_payload_modes():
    assert json.loads(payload(StoreTarget(collection="c"), EVENT, rule="r")) == EVENT
    assert json.loads(payload(StoreTarget(collection="c", input_path="$.detail.tags"), EVENT,
                              rule="r")) == {"team": "sre"}
    assert json.loads(payload(StoreTarget(collection="c", input={"fixed": 1}), EVENT,
                              rule="r")) == {"fixed": 1}
    assert payload(StoreTarget(collection="c", input_path="$.nope"), EVENT, rule="r") == b"null"
