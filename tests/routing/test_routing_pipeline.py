"""Rules in the pipeline: matches become outbox rows in the batch's transaction."""

import json

import pytest

from tests.support import body, drain, fabric_event, make_config, plain_event
from vigila.runtime import Runtime
from vigila.store.base import EventQuery


def runtime_with(tmp_path, clock, rules, **overrides):
    return Runtime(make_config(tmp_path, rules=rules, **overrides), clock=clock)


def ingest(rt, events):
    return rt.ingest.ingest(body(events), rt.log.append, rt.store.add_dead_letters)


def test_matching_events_reach_every_target(tmp_path, clock, receiver):
    out = tmp_path / "hot.ndjson"
    rules = [{
        "name": "hot-ports",
        "pattern": {"source": ["vigila.fabric"],
                    "detail": {"utilization": [{"numeric": [">", 80]}]}},
        "targets": [
            {"type": "webhook", "url": receiver.url + "/hot",
             "input_transformer": {"paths": {"port": "$.detail.stream_id",
                                             "u": "$.detail.utilization"},
                                   "template": '{"port": <port>, "text": "<port> at <u>%"}'}},
            {"type": "store", "collection": "hot"},
            {"type": "file", "path": str(out), "input_path": "$.detail.utilization"},
        ],
    }]
    rt = runtime_with(tmp_path, clock, rules)
    try:
        ingest(rt, [fabric_event(1, utilization=95.0), fabric_event(2, utilization=40.0),
                    plain_event(3)])
        drain(rt)
        assert rt.dispatcher.run_once() == 3
        (hook,) = receiver.received
        assert json.loads(hook.body) == {"port": "cluster-a/node-01/mlx5_0/1",
                                         "text": "cluster-a/node-01/mlx5_0/1 at 95.0%"}
        (stored,) = rt.store.outputs("route:hot")
        assert json.loads(stored.data)["detail"]["utilization"] == 95.0
        assert out.read_text() == "95.0\n"
    finally:
        rt.stop()


def test_disabled_rules_and_rules_without_targets_route_nothing(tmp_path, clock):
    rules = [{"name": "off", "enabled": False, "pattern": {"source": ["app.orders"]},
              "targets": [{"type": "store", "collection": "x"}]},
             {"name": "no-targets", "pattern": {"source": ["app.orders"]}}]
    rt = runtime_with(tmp_path, clock, rules)
    try:
        ingest(rt, [plain_event(1)])
        drain(rt)
        assert rt.store.outbox_counts() == {}
    finally:
        rt.stop()


def test_bus_targets_republish_and_loops_stop_at_the_hop_limit(tmp_path, clock):
    rules = [{"name": "echo", "pattern": {"source": ["app.orders", "app.echo"]},
              "targets": [{"type": "bus", "source": "app.echo", "detail_type": "Echo",
                           "input_path": "$.detail"}]}]
    rt = runtime_with(tmp_path, clock, rules, **{"routing.max_hops": 3})
    try:
        ingest(rt, [plain_event(7)])
        for _ in range(6):
            drain(rt)
            rt.dispatcher.run_once()
        echoes = rt.events.query(EventQuery(source="app.echo")).items
        hops = sorted(json.loads(e.data)["vigila-hops"] for e in echoes)
        assert hops == [1, 2, 3]
        assert all(json.loads(e.data)["detail"] == {"n": 7} for e in echoes)
        (letter,) = rt.store.dead_letters().items
        assert letter.stage == "route:echo" and "routing loop" in letter.reason
    finally:
        rt.stop()


def test_rules_from_config_are_validated_at_start(tmp_path):
    from vigila.config import ConfigError, load_config
    from vigila.rules import PatternError

    with pytest.raises(ConfigError, match="rules"):
        load_config(env={}, overrides={"rules": [{"name": "x", "pattern": {},
                                                  "targets": [{"type": "sms"}]}]})
    cfg = load_config(env={}, overrides={"data_dir": str(tmp_path), "rules": [
        {"name": "bad", "pattern": {"source": "not-a-list"},
         "targets": [{"type": "store", "collection": "c"}]}]})
    with pytest.raises(PatternError, match="source"):
        Runtime(cfg)
