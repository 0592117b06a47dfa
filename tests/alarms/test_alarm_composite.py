"""Composite alarms: evaluation order, reasons, references, limits and cycles."""

from __future__ import annotations

import json

import pytest

from vigila.alarms import AlarmCycleError, AlarmInUseError, AlarmValidationError

ARN = "arn:vigila:alarms:local:000000000000:alarm:"


def names(events: list[dict]) -> list[tuple[str, str]]:
    return [(e["detail"]["alarmName"], e["detail"]["state"]["value"]) for e in events]


def test_composites_follow_their_children_in_one_tick(world):
    world.metric_alarm("errors")
    world.metric_alarm("latency")
    world.composite("service", "ALARM(errors) OR ALARM(latency)", alarm_actions=["page"])
    world.composite("platform", 'ALARM("service") AND NOT OK(latency)')
    first = world.step(errors=0.0, latency=0.0)
    assert names(first) == [
        ("errors", "OK"),
        ("latency", "OK"),
        ("service", "OK"),
        ("platform", "OK"),
    ]
    created = first[2]["detail"]["state"]
    assert created["reason"] == f"{ARN}service was created and its alarm rule evaluates to OK"
    assert [t["arn"] for t in json.loads(created["reasonData"])["triggeringAlarms"]] == [
        f"{ARN}errors",
        f"{ARN}latency",
    ]
    events = world.step(errors=0.0, latency=5.0)
    assert names(events) == [("latency", "ALARM"), ("service", "ALARM"), ("platform", "ALARM")]
    service = events[1]
    assert service["actions"] == ["page"]
    assert service["detail"]["state"]["reason"] == (
        f"{ARN}latency transitioned to ALARM at Monday 21 September, 2026 14:16:00 UTC"
    )
    assert json.loads(service["detail"]["state"]["reasonData"]) == {
        "triggeringAlarms": [
            {
                "arn": f"{ARN}latency",
                "state": {"value": "ALARM", "timestamp": "2026-09-21T14:16:00.000+0000"},
            }
        ]
    }
    assert service["detail"]["configuration"] == {"alarmRule": "ALARM(errors) OR ALARM(latency)"}
    assert world.step(errors=0.0, latency=5.0) == []


def test_nested_composites_resolve_in_dependency_order_whatever_the_update_order(world):
    world.metric_alarm("m")
    world.composite("inner", "ALARM(m)")
    world.composite("outer", "ALARM(inner)")
    world.composite("inner", "ALARM(m) OR FALSE")  # updated after its parent
    assert names(world.step(m=5.0)) == [("m", "ALARM"), ("inner", "ALARM"), ("outer", "ALARM")]


def test_composites_are_insufficient_data_only_until_first_evaluated(world):
    world.metric_alarm("m", evaluation_periods=1)
    world.composite("c", "INSUFFICIENT_DATA(m)")
    assert world.state("c") == "INSUFFICIENT_DATA"
    world.step()
    assert (world.state("m"), world.state("c")) == ("INSUFFICIENT_DATA", "ALARM")


def test_rules_may_reference_alarms_by_arn(world):
    world.metric_alarm("m")
    world.composite("c", f"ALARM({ARN}m)")
    world.step(m=5.0)
    assert world.state("c") == "ALARM"
    with pytest.raises(AlarmValidationError) as err:
        world.composite("d", "ALARM(arn:aws:cloudwatch:us-east-1:123456789012:alarm:m)")
    assert err.value.field == "rule"


@pytest.mark.parametrize(
    ("rule", "extra", "field"),
    [
        ("ALARM(missing)", {}, "rule"),
        (
            "ALARM(m)",
            {
                "actions_suppressor": "missing",
                "actions_suppressor_wait_period": 60,
                "actions_suppressor_extension_period": 60,
            },
            "actions_suppressor",
        ),
    ],
)
def test_references_must_exist(world, rule, extra, field):
    world.metric_alarm("m")
    with pytest.raises(AlarmValidationError) as err:
        world.composite("c", rule, **extra)
    assert err.value.field == field


def test_cycles_are_refused_with_their_path(world):
    world.metric_alarm("m")
    with pytest.raises(AlarmCycleError) as err:
        world.composite("self", "ALARM(self) OR ALARM(m)")
    assert err.value.path == ["self", "self"]
    world.composite("a", "ALARM(m)")
    world.composite("b", "ALARM(a)")
    world.composite("c", "ALARM(b)")
    with pytest.raises(AlarmCycleError) as err:
        world.composite("a", "ALARM(m) OR ALARM(c)")
    assert err.value.path == ["a", "c", "b", "a"]
    assert "a -> c -> b -> a" in str(err.value)
    with pytest.raises(AlarmCycleError):
        world.composite(
            "a",
            "ALARM(m)",
            actions_suppressor="c",
            actions_suppressor_wait_period=0,
            actions_suppressor_extension_period=0,
        )
    world.step(m=5.0)  # the refused updates left everything as it was
    assert (world.state("a"), world.state("b"), world.state("c")) == ("ALARM", "ALARM", "ALARM")


def test_an_alarm_is_referenced_by_at_most_150_composites(world):
    world.metric_alarm("m")
    for i in range(150):
        world.composite(f"c{i}", "ALARM(m)")
    world.composite("c0", "OK(m)")  # updating one of them is fine
    with pytest.raises(AlarmValidationError) as err:
        world.composite("c150", "ALARM(m)")
    assert "150" in err.value.allowed


def test_alarms_in_use_cannot_be_deleted(world):
    world.metric_alarm("m")
    world.metric_alarm("s")
    world.composite(
        "c",
        "ALARM(m)",
        actions_suppressor="s",
        actions_suppressor_wait_period=0,
        actions_suppressor_extension_period=0,
    )
    for name in ("m", "s"):
        with pytest.raises(AlarmInUseError) as err:
            world.alarms.delete_alarm(name)
        assert err.value.users == ["c"]
    world.alarms.delete_alarm("c")
    world.alarms.delete_alarm("m")
    assert [s.name for s in world.alarms.statuses()] == ["s"]


def test_metric_and_composite_alarms_share_one_namespace_of_names(world):
    world.metric_alarm("m")
    with pytest.raises(AlarmValidationError):
        world.composite("m", "TRUE")
    world.composite("c", "TRUE")
    with pytest.raises(AlarmValidationError):
        world.metric_alarm("c")


def test_set_state_on_a_composite_lasts_until_its_next_evaluation(world):
    world.metric_alarm("m")
    world.composite("c", "ALARM(m)", ok_actions=["ok"], alarm_actions=["page"])
    world.step(m=0.0)
    [event] = world.alarms.set_state("c", "ALARM", "drill")
    assert event["actions"] == ["page"]
    assert names(world.alarms.tick()) == [("c", "OK")]


def test_a_small_fleet_evaluates_together(world):
    for i in range(300):
        world.metric_alarm(f"m{i}")
    for j in range(30):
        world.composite(f"c{j}", " OR ".join(f"ALARM(m{i})" for i in range(j * 10, j * 10 + 10)))
    world.composite("all", " AND ".join(f"ALARM(c{j})" for j in range(30)))
    first = world.step(**{f"m{i}": 0.0 for i in range(300)})
    assert len(first) == 331
    events = world.step(**{f"m{i}": 5.0 for i in range(0, 300, 10)})
    assert len(events) == 30 + 30 + 1
    assert world.state("all") == "ALARM"
