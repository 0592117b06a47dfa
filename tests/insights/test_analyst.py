"""The deterministic analyst: every type at several severities, the targets on a held-out
labelled dataset, explanations that cite numbers, and hostile evidence.

Seeds, ports and start times here were not used while choosing the analyst's rules
and anchors (development used seeds 1-4 on 64 nodes x 2 ports).
"""

from __future__ import annotations

import math
import re

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.support import T0
from vigila.insights.analyst import analyze
from vigila.insights.analyst_severity import risk
from vigila.insights.evaluate import evaluate_analyst, triggered
from vigila.insights.model import CRITICAL_RISK, Draft
from vigila.packs.fabric.enrich import COUNTERS, METRICS, Baseline, Enriched
from vigila.packs.fabric.faults import PREDICTION_TYPES
from vigila.packs.fabric.simulator import simulate

STREAM = "cluster-b/node-07/mlx5_1/1"


def valid(draft: Draft) -> Draft:
    """The draft as a strict decoder sees it: every schema constraint checked."""
    return msgspec.convert(msgspec.to_builtins(draft), Draft)


def evidence(
    metrics: dict[str, float],
    baselines: dict[str, Baseline] | None = None,
    counters: dict[str, int] | None = None,
    iops: float = 160_000.0,
    xmit_wait: int = 900,
    anomaly: float = 0.6,
) -> Enriched:
    """A triggered interval over a steady baseline (40 % load, 2.5 us, 160 Gbps)."""
    steady = {
        "utilization": Baseline(40.0, 1.5, 43.0, 90),
        "latency_p99": Baseline(2.5, 0.06, 2.65, 90),
        "error_rate": Baseline(2e-5, 1e-5, 5e-5, 90),
        "bandwidth_gbps": Baseline(160.0, 6.0, 172.0, 90),
    }
    return Enriched(
        stream_id=STREAM,
        cluster="cluster-b",
        timestamp="2026-11-23T10:00:00Z",
        event_id="e1",
        metrics={**HEALTHY, **metrics},
        counters=counters or {},
        baselines=steady if baselines is None else baselines,
        deltas_pct={},
        scores={},
        anomaly_score=anomaly,
        triggers=["anomaly"],
        iops=iops,
        port_xmit_wait=xmit_wait,
    )


HEALTHY = {"utilization": 40.0, "latency_p99": 2.5, "error_rate": 2e-5, "bandwidth_gbps": 160.0}


# -- every type, on simulated incidents at several severities --------------------------------


@pytest.fixture(scope="module", params=[0.15, 0.5, 0.95], ids=lambda s: f"severity-{s}")
def first_judgements(request: pytest.FixtureRequest) -> dict[str, tuple[int, Draft]]:
    """The analyst's draft of each type's first triggered interval (label risk, draft),
    each type on its own port of a 20-port fabric."""
    severity = request.param
    faults = ",".join(
        f"{kind}@{2 * i + 1}:{600 + 70 * i}+150*{severity}"
        for i, kind in enumerate(PREDICTION_TYPES)
    )
    events = simulate(
        nodes=10,
        ports=2,
        seed=7301 + int(severity * 100),
        start=T0 + 4321,
        interval=10.0,
        count=20 * 200,
        faults=faults,
    )
    firsts: dict[str, tuple[int, Draft]] = {}
    for ev, label in triggered(events):
        if label is not None and label.prediction_type not in firsts:
            firsts[label.prediction_type] = (label.risk_score, analyze(ev))
    return firsts


@pytest.mark.parametrize("kind", PREDICTION_TYPES)
def test_each_type_is_recognised_with_a_close_risk(first_judgements, kind):
    label_risk, draft = first_judgements[kind]
    assert draft.prediction_type == kind
    assert abs(draft.risk_score - label_risk) <= 10
    assert valid(draft).confidence >= 0.5


# -- the targets, on a held-out labelled dataset ---------------------------------------------


@pytest.fixture(scope="module")
def held_out():
    """About 320 random incidents on 192 ports over one simulated hour (about 7 s)."""
    return evaluate_analyst(
        simulate(
            nodes=96,
            ports=2,
            seed=8101,
            start=T0 + 6 * 3600,
            interval=10.0,
            count=192 * 360,
            faults="random:320",
        )
    )


def test_targets_on_held_out_incidents(held_out):
    assert held_out.incidents >= 300
    assert held_out.type_accuracy >= 0.95
    assert held_out.risk_mae <= 8
    assert held_out.noncritical_scored_critical < 0.02
    assert held_out.interval_accuracy >= 0.95
    assert sum(sum(row.values()) for row in held_out.confusion.values()) == held_out.incidents


def test_false_triggers_come_out_as_low_risk_anomalies(held_out):
    assert held_out.false_triggers > 100
    assert held_out.false_trigger_low_risk_rate >= 0.9


# -- explanations, recommendations, confidence ----------------------------------------------


def test_explanation_cites_the_metric_its_baseline_and_delta():
    draft = analyze(evidence({"latency_p99": 9.8}))
    assert draft.prediction_type == "latency_spike"
    assert (
        "latency_p99 9.8 µs is +292% over its 15-min baseline mean 2.5 µs (p99 2.65 µs)"
        in draft.explanation
    )
    assert "bandwidth_gbps 160 Gbps is +0% over" in draft.explanation


def test_explanation_cites_counters_and_derived_ratios():
    link = analyze(
        evidence(
            {"bandwidth_gbps": 60.0, "latency_p99": 5.0, "error_rate": 0.008},
            counters={"link_downed": 2, "symbol_errors": 340},
        )
    )
    assert link.prediction_type == "connection_instability"
    assert "link_downed 2, symbol_errors 340" in link.explanation
    assert "bandwidth_gbps 60 Gbps is -62% under" in link.explanation
    throttled = analyze(evidence({"utilization": 92.0, "bandwidth_gbps": 50.0}, xmit_wait=25_000))
    assert throttled.prediction_type == "bandwidth_throttling"
    assert (
        "bandwidth per utilization point 0.54 Gbps/% against 4.00 at baseline (-86%)"
        in throttled.explanation
    )
    assert "port_xmit_wait 25,000" in throttled.explanation


def test_recommendations_are_specific_to_the_type_and_the_port():
    link = analyze(evidence({}, counters={"link_downed": 1}))
    assert 2 <= len(link.recommendations) <= 4
    text = " ".join(link.recommendations)
    assert "cable" in text and "ibdiagnet" in text and "perfquery -x" in text
    assert "mlxlink -d mlx5_1 -p 1" in text and "node-07" in text
    mr = analyze(evidence({}, counters={"mr_reg_failures": 40}))
    assert mr.prediction_type == "memory_registration_failure"
    assert "ulimit -l" in " ".join(mr.recommendations)


def test_confidence_follows_the_margin_over_the_next_candidate():
    clear = analyze(evidence({}, counters={"local_ack_timeout_err": 80}))
    mixed = analyze(evidence({}, counters={"local_ack_timeout_err": 3, "qp_errors": 20}))
    vague = analyze(evidence({"utilization": 31.0, "bandwidth_gbps": 124.0}))
    assert clear.confidence > mixed.confidence > vague.confidence
    assert vague.prediction_type == "anomaly_detected" and vague.risk_score < 50


def test_bandwidth_per_utilization_point_separates_saturation_from_throttling():
    line_rate = analyze(
        evidence(
            {"utilization": 95.0, "bandwidth_gbps": 380.0, "latency_p99": 4.0}, xmit_wait=60_000
        )
    )
    starved = analyze(evidence({"utilization": 95.0, "bandwidth_gbps": 80.0}, xmit_wait=60_000))
    assert line_rate.prediction_type == "resource_saturation"
    assert starved.prediction_type == "bandwidth_throttling"


def test_risk_grows_with_the_size_of_the_evidence():
    risks = [analyze(evidence({"latency_p99": 2.5 * x})).risk_score for x in (3.5, 6, 9, 14)]
    assert risks == sorted(risks) and risks[0] < risks[-1]
    losses = [
        analyze(evidence({"error_rate": e}, counters={"port_rcv_errors": 300}))
        for e in (0.01, 0.03, 0.08)
    ]
    assert [d.prediction_type for d in losses] == ["packet_loss_detected"] * 3
    assert losses[0].risk_score < CRITICAL_RISK <= losses[-1].risk_score


def test_risk_is_truncated_so_a_page_is_never_rounded_up():
    assert risk("packet_loss_detected", 0.59) == CRITICAL_RISK - 1  # 79.75
    assert risk("packet_loss_detected", 0.61) == CRITICAL_RISK
    assert risk("connection_instability", 5.0) == 100 and risk("anomaly_detected", -3) == 0


def test_determinism():
    ev = evidence(
        {"latency_p99": 11.0, "bandwidth_gbps": 70.0}, counters={"local_ack_timeout_err": 120}
    )
    assert msgspec.json.encode(analyze(ev)) == msgspec.json.encode(analyze(ev))
    runs = [
        evaluate_analyst(
            simulate(
                nodes=4, ports=1, seed=61, start=T0, interval=10.0, count=4 * 150, faults="random:4"
            )
        )
        for _ in range(2)
    ]
    assert runs[0] == runs[1]


# -- hostile evidence ------------------------------------------------------------------------

NAN_BASELINES = {m: Baseline(math.nan, math.nan, math.nan, 0) for m in METRICS}
ZERO_BASELINES = {m: Baseline(0.0, 0.0, 0.0, 90) for m in METRICS}


@pytest.mark.parametrize(
    ("metrics", "baselines", "counters"),
    [
        ({"utilization": 97.0, "latency_p99": 40.0}, NAN_BASELINES, {}),
        ({"latency_p99": 40.0}, {}, {"symbol_errors": 5}),
        ({"utilization": 0.0, "bandwidth_gbps": 0.0}, ZERO_BASELINES, {}),
        ({}, ZERO_BASELINES, {c: 2**63 - 1 for c in COUNTERS}),
        ({"latency_p99": math.inf, "error_rate": math.nan}, None, {"qp_errors": 2**63 - 1}),
    ],
    ids=["no-baseline", "missing-baselines", "zero-baselines", "huge-counters", "non-finite"],
)
def test_hostile_evidence_still_gives_a_valid_draft(metrics, baselines, counters):
    draft = valid(analyze(evidence(metrics, baselines, counters)))
    assert 0 <= draft.risk_score <= 100 and 0 <= draft.confidence <= 1
    assert "nan" not in draft.explanation.lower()


def test_without_a_baseline_counters_and_absolute_load_still_decide():
    link = analyze(evidence({}, NAN_BASELINES, {"link_downed": 3}))
    busy = analyze(evidence({"utilization": 97.0}, NAN_BASELINES))
    assert link.prediction_type == "connection_instability"
    assert busy.prediction_type == "resource_saturation" and busy.confidence < 0.5
    assert "(no baseline yet)" in busy.explanation


def test_an_empty_interval_is_an_anomaly_with_no_figures_invented():
    empty = Enriched(
        stream_id="x",
        cluster="",
        timestamp="",
        event_id="",
        metrics={},
        counters={},
        baselines={},
        deltas_pct={},
        scores={},
        anomaly_score=math.nan,
        triggers=[],
        iops=math.nan,
        port_xmit_wait=0,
    )
    draft = valid(analyze(empty))
    assert draft.prediction_type == "anomaly_detected"
    assert "utilization not reported" in draft.explanation
    assert "<hca>" in " ".join(draft.recommendations)


floats = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True), st.floats(min_value=0, max_value=1e6)
)
baselines = st.builds(Baseline, floats, floats, floats, st.integers(0, 10**6))


@settings(max_examples=300, deadline=None)
@given(
    metrics=st.dictionaries(st.sampled_from(METRICS), floats),
    base=st.dictionaries(st.sampled_from(METRICS), baselines),
    counters=st.dictionaries(
        st.sampled_from([*COUNTERS, "vendor_counter"]), st.integers(-5, 2**63 - 1)
    ),
    iops=floats,
    xmit_wait=st.integers(0, 2**63 - 1),
    anomaly=floats,
    stream=st.text(max_size=256),
)
def test_any_evidence_gives_a_valid_draft(
    metrics, base, counters, iops, xmit_wait, anomaly, stream
):
    ev = Enriched(
        stream_id=stream,
        cluster="",
        timestamp="",
        event_id="",
        metrics=metrics,
        counters=counters,
        baselines=base,
        deltas_pct={},
        scores={},
        anomaly_score=anomaly,
        triggers=[],
        iops=iops,
        port_xmit_wait=xmit_wait,
    )
    draft = valid(analyze(ev))
    assert re.search(r"\d|not reported|no error counters", draft.explanation)
