"""Composite actions suppression: the six documented examples, with a manual clock.

As in the documentation, WaitPeriod is 2 time units and ExtensionPeriod 3; a
time unit is one minute here. Each scenario gives the child's and the
suppressor's state per time unit (`X` ALARM, `0` OK) from t0.
"""

from __future__ import annotations

import pytest

from vigila.alarms.suppression import Suppression

WAIT, EXTENSION = 120, 180


def run(world, child: str, suppressor: str) -> dict[int, list[tuple]]:
    """What the composite did at each time unit: state changes and released actions."""
    world.metric_alarm("child")
    world.metric_alarm("suppressor")
    world.composite(
        "main",
        "ALARM(child)",
        alarm_actions=["page"],
        ok_actions=["ok"],
        actions_suppressor="suppressor",
        actions_suppressor_wait_period=WAIT,
        actions_suppressor_extension_period=EXTENSION,
    )
    for _ in range(3):  # creation is a state change too: let its wait period pass
        world.step(child=0.0, suppressor=0.0)
    seen: dict[int, list[tuple]] = {}
    for t, (c, s) in enumerate(zip(child, suppressor, strict=True)):
        events = world.step(child=5.0 if c == "X" else 0.0, suppressor=5.0 if s == "X" else 0.0)
        mine = [e for e in events if e["detail"]["alarmName"] == "main"]
        if mine:
            seen[t] = [
                (
                    e["detail-type"],
                    e["detail"]["state"]["value"],
                    e["actions"],
                    e["detail"]["state"].get("actionsSuppressedBy"),
                )
                for e in mine
            ]
    return seen


CHANGE, RELEASE = "Alarm State Change", "Alarm Actions Released"


def test_example_1_actions_are_not_suppressed_after_the_wait_period(world):
    assert run(world, "00XXX", "00000") == {
        2: [(CHANGE, "ALARM", [], "WaitPeriod")],
        4: [(RELEASE, "ALARM", ["page"], None)],
    }


def test_example_2_the_suppressor_alarms_before_the_wait_period_expires(world):
    assert run(world, "00XXXX", "000XXX") == {2: [(CHANGE, "ALARM", [], "WaitPeriod")]}
    assert world.alarms.status("main").actions_suppressed_by == "Alarm"


def test_example_3_a_state_change_during_the_wait_period_restarts_it(world):
    assert run(world, "00X0000", "0000000") == {
        2: [(CHANGE, "ALARM", [], "WaitPeriod")],
        3: [(CHANGE, "OK", [], "WaitPeriod")],
        5: [(RELEASE, "OK", ["ok"], None)],
    }


def test_example_4_the_suppressor_is_already_in_alarm(world):
    assert run(world, "00XX", "0XXX") == {2: [(CHANGE, "ALARM", [], "Alarm")]}


def test_example_5_actions_are_taken_after_the_extension_period(world):
    seen = run(world, "00XXXXXXXXX", "000XXX00000")
    assert seen == {
        2: [(CHANGE, "ALARM", [], "WaitPeriod")],
        9: [(RELEASE, "ALARM", ["page"], None)],
    }


def test_example_6_a_state_change_during_the_extension_period_starts_a_wait_period(world):
    seen = run(world, "00XXXXX000000", "000XXX0000000")
    assert seen == {
        2: [(CHANGE, "ALARM", [], "WaitPeriod")],
        7: [(CHANGE, "OK", [], "WaitPeriod")],
        9: [(RELEASE, "OK", ["ok"], None)],
    }


def test_without_a_suppressor_actions_fire_at_once(world):
    world.metric_alarm("child")
    world.composite("plain", "ALARM(child)", alarm_actions=["page"])
    world.step(child=0.0)
    [_, plain] = world.step(child=5.0)
    assert plain["actions"] == ["page"] and "actionsSuppressedBy" not in plain["detail"]["state"]


def test_zero_periods_take_actions_at_once():
    s = Suppression(wait=0, extension=0, suppressor_in_alarm=False)
    assert s.on_transition(0.0) is None
    assert s.observe(True, 1.0) is False
    assert s.on_transition(2.0) == "Alarm"
    assert s.observe(False, 3.0) is True  # extension 0: held-back actions go now
    assert s.suppressed_by is None


@pytest.mark.parametrize("now", [119.0, 120.0])
def test_a_wait_period_ends_at_its_end(now):
    s = Suppression(wait=120, extension=0, suppressor_in_alarm=False)
    s.on_transition(0.0)
    assert s.expire(now) is (now >= 120.0)


def test_replacing_the_suppressor_discards_running_periods(world):
    world.metric_alarm("child")
    world.metric_alarm("s1")
    world.metric_alarm("s2")
    periods = {"actions_suppressor_wait_period": 600, "actions_suppressor_extension_period": 600}
    world.composite("main", "ALARM(child)", actions_suppressor="s1", **periods)
    world.step(child=0.0)
    assert world.alarms.status("main").actions_suppressed_by == "WaitPeriod"
    world.composite("main", "ALARM(child)", actions_suppressor="s2", **periods)
    assert world.alarms.status("main").actions_suppressed_by is None
