"""Scoring an analyst against labelled events: the join, the first interval, the figures."""

from __future__ import annotations

import math

import pytest

from tests.support import T0
from vigila.insights.evaluate import Judged, Label, evaluate_analyst, score, triggered
from vigila.insights.model import Draft
from vigila.packs.fabric.simulator import simulate


def draft(kind: str, risk: int) -> Draft:
    return Draft(kind, risk, "because", ["one", "two"], 0.5)


def label(kind: str, risk: int, incident: str) -> Label:
    return Label(kind, risk, incident)


def test_score_judges_incidents_on_their_first_interval():
    judged = [
        Judged(label("rdma_timeout", 78, "a"), draft("rdma_timeout", 82), first=True),
        Judged(label("rdma_timeout", 78, "a"), draft("latency_spike", 60), first=False),
        Judged(label("latency_spike", 60, "b"), draft("performance_degradation", 50), True),
        Judged(label("connection_instability", 90, "c"), draft("connection_instability", 70), True),
        Judged(None, draft("anomaly_detected", 40), first=False),
        Judged(None, draft("latency_spike", 40), first=False),
    ]
    scores = score(judged, incidents_seen=4)
    assert (scores.incidents, scores.missed_incidents, scores.intervals) == (3, 1, 4)
    assert scores.type_accuracy == pytest.approx(2 / 3)
    assert scores.risk_mae == pytest.approx((4 + 10 + 20) / 3)
    assert scores.noncritical_scored_critical == 0.5
    assert scores.critical_scored_noncritical == 1.0
    assert scores.interval_accuracy == 0.5
    assert (scores.false_triggers, scores.false_trigger_low_risk_rate) == (2, 0.5)
    assert scores.confusion == {
        "connection_instability": {"connection_instability": 1},
        "latency_spike": {"performance_degradation": 1},
        "rdma_timeout": {"rdma_timeout": 1},
    }


def test_nothing_to_score_gives_nan_not_an_error():
    scores = score([], incidents_seen=0)
    assert scores.incidents == 0 and math.isnan(scores.type_accuracy)


def test_triggered_intervals_carry_the_label_of_their_source_event():
    events = list(
        simulate(
            nodes=3,
            ports=1,
            seed=12,
            start=T0,
            interval=10.0,
            count=3 * 80,
            faults="qp_error_rate_high@2:400+60*0.6",
        )
    )
    first = next(i for i, e in enumerate(events) if "label" in e)
    events[first]["id"] = "mine"
    seen: set[str] = set()
    labelled = [(ev, lab) for ev, lab in triggered(events, incidents=seen) if lab is not None]
    assert seen == {"inc-12-0000"}
    assert len(labelled) == 6
    assert all(ev.counters.get("qp_errors", 0) >= 20 for ev, _ in labelled)
    assert [ev.event_id for ev, _ in labelled[:2]] == ["mine", f"e{first + 3}"]


def test_any_analyst_can_be_scored():
    events = list(
        simulate(
            nodes=4,
            ports=1,
            seed=13,
            start=T0,
            interval=10.0,
            count=4 * 150,
            faults="latency_spike@1:500+100*0.5,connection_instability@3:900+100*0.5",
        )
    )
    pager = evaluate_analyst(events, analyst=lambda ev: draft("connection_instability", 95))
    assert pager.incidents == 2 and pager.type_accuracy == 0.5
    assert pager.noncritical_scored_critical == 1.0
    assert pager.false_triggers == 0 or pager.false_trigger_low_risk_rate == 0.0
