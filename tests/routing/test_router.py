"""The router: a batch routes as its events one by one, and hopeless envelopes are known."""

from typing import Any

import msgspec
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vigila.routing.model import Rule
from vigila.routing.router import Router

RULES = [
    {"name": "big",
     "pattern": {"source": ["shop"], "detail": {"amount": [{"numeric": [">", 100]}]}},
     "targets": [{"type": "store", "collection": "big"},
                 {"type": "file", "path": "big.ndjson", "input_path": "$.detail"}]},
    {"name": "eu", "pattern": {"detail": {"country": ["DE", "FR"]}},
     "targets": [{"type": "webhook", "url": "http://127.0.0.1:9/eu",
                  "input_transformer": {"paths": {"c": "$.detail.country"},
                                        "template": '{"rule": <aws.events.rule-arn>, "c": <c>}'}}]},
    {"name": "off", "enabled": False, "pattern": {"source": ["audit"]},
     "targets": [{"type": "store", "collection": "audit"}]},
    {"name": "idle", "pattern": {"source": ["cron"]}},
]

events = st.fixed_dictionaries(
    {"source": st.sampled_from(["shop", "audit", "cron", "other"])},
    optional={
        "id": st.sampled_from(["e1", "e2", ""]),
        "vigila-hops": st.integers(0, 3),
        "detail": st.fixed_dictionaries({}, optional={
            "amount": st.sampled_from([5, 100, 250.5, 6e9]),
            "country": st.sampled_from(["DE", "US"]),
        }),
    },
)


def router() -> Router:
    return Router([msgspec.convert(rule, Rule) for rule in RULES], region="eu-1", account="42")


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(events, max_size=12))
def test_a_batch_routes_as_its_events_one_by_one(batch: list[dict[str, Any]]) -> None:
    one_by_one = router()
    expected = [entry for event in batch for entry in one_by_one.route(event, 1_000)]
    assert router().route_many(batch, 1_000) == expected


def test_entries_name_the_rule_the_target_and_the_event() -> None:
    event = {"id": "e7", "source": "shop", "vigila-hops": 2,
             "detail": {"amount": 250, "country": "FR"}}
    entries = router().route_many([event, {"source": "other"}], 5_000)
    assert [e.key for e in entries] == ["big/0/e7", "big/1/e7", "eu/0/e7"]
    assert {(e.hops, e.created_ms, e.due_ms, e.event_id) for e in entries} == {
        (2, 5_000, 5_000, "e7")}
    assert entries[1].payload == b'{"amount":250,"country":"FR"}'
    assert msgspec.json.decode(entries[2].payload) == {
        "rule": "arn:vigila:events:eu-1:42:rule/eu", "c": "FR"}
    assert entries[0].target_spec().collection == "big"  # type: ignore[union-attr]


def test_may_match_knows_the_envelopes_no_routing_rule_wants() -> None:
    r = router()
    assert r.may_match("other", "Any")  # "eu" names no source
    r.replace([msgspec.convert(rule, Rule) for rule in RULES if rule["name"] != "eu"])
    assert r.may_match("shop", "Any")
    assert not r.may_match("other", "Any")
    assert not r.may_match("audit", "Any")  # disabled
    assert not r.may_match("cron", "Any")  # no targets
