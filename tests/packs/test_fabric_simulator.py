import json

import pytest

from vigila.packs.fabric.faults import PREDICTION_TYPES, FaultSpecError, expected_risk, parse_faults
from vigila.packs.fabric.simulator import simulate

T = 1_790_000_000.0


def run(faults="", count=64 * 2 * 30, seed=1, **kw):
    return list(simulate(nodes=64, ports=2, seed=seed, start=T, interval=10.0, count=count,
                         faults=faults, **kw))


def test_same_seed_same_bytes_other_seed_other_bytes():
    a = json.dumps(run("random:5", seed=3))
    assert a == json.dumps(run("random:5", seed=3))
    assert a != json.dumps(run("random:5", seed=4))


def test_labels_only_inside_incidents_and_on_the_right_port():
    events = run("latency_spike@17:100+60*0.5")
    labelled = [(i, e) for i, e in enumerate(events) if "label" in e]
    assert labelled, "no labelled events"
    assert {e["resources"][0] for _, e in labelled} == {"cluster-a/node-08/mlx5_1/1"}
    times = sorted({e["time"] for _, e in labelled})
    assert len(times) == 6  # 100 s .. 150 s at a 10 s interval
    label = labelled[0][1]["label"]
    assert label == {"prediction_type": "latency_spike", "risk_score": expected_risk(
        "latency_spike", 0.5), "incident_id": "inc-1-0000"}


SIGNATURES = {
    "connection_instability": lambda d, h: d["link_downed"] > 0 and d["symbol_errors"] > 0,
    "rdma_timeout": lambda d, h: d["local_ack_timeout_err"] > 0 and
        d["latency_p99"] > 3 * h["latency_p99"],
    "memory_registration_failure": lambda d, h: d["mr_reg_failures"] > 0 and
        d["bandwidth_gbps"] > 0.8 * h["bandwidth_gbps"],
    "bandwidth_throttling": lambda d, h: d["utilization"] > 80 and
        d["bandwidth_gbps"] < 0.6 * 4.0 * d["utilization"],
    "packet_loss_detected": lambda d, h: d["port_rcv_errors"] > 0 and d["error_rate"] > 0.005,
    "qp_error_rate_high": lambda d, h: d["qp_errors"] >= 20 and d["packet_seq_err"] > 0,
    "resource_saturation": lambda d, h: d["utilization"] > 88 and d["port_xmit_wait"] > 10_000,
    "latency_spike": lambda d, h: d["latency_p99"] > 3 * h["latency_p99"] and
        not any(d.get(c) for c in ("link_downed", "local_ack_timeout_err", "qp_errors")),
    "performance_degradation": lambda d, h: d["latency_p99"] > 1.4 * h["latency_p99"] and
        d["bandwidth_gbps"] < 0.85 * h["bandwidth_gbps"],
    "anomaly_detected": lambda d, h: d["utilization"] < 0.5 * h["utilization"],
}


@pytest.mark.parametrize("kind", PREDICTION_TYPES)
def test_each_fault_has_its_physical_signature(kind):
    healthy = run(count=128 * 20)
    faulty = run(f"{kind}@5:100+50*0.6", count=128 * 20)
    checked = 0
    for before, after in zip(healthy, faulty, strict=True):
        if "label" in after:
            assert SIGNATURES[kind](after["detail"], before["detail"]), after["detail"]
            checked += 1
    assert checked == 5


def test_values_stay_in_their_valid_ranges():
    for event in run("random:40", count=128 * 200):
        d = event["detail"]
        assert 0 <= d["utilization"] <= 100 and 0 <= d["error_rate"] <= 1
        assert 0 <= d["bandwidth_gbps"] <= 400 and d["latency_p99"] > 0


def test_random_faults_cover_types_and_expected_risks_are_bounded():
    faults = parse_faults("random:200", ports=128, seed=2, horizon=86_400)
    assert {f.prediction_type for f in faults} == set(PREDICTION_TYPES)
    assert all(0 <= f.label["risk_score"] <= 100 for f in faults)
    assert len({f.incident_id for f in faults}) == 200


@pytest.mark.parametrize(("spec", "message"), [
    ("latency_spike", "is not TYPE@PORT:START"),
    ("warp_drive@1:0+10", "unknown type 'warp_drive'"),
    ("latency_spike@999:0+10", "port 999 is out of range"),
    ("random:many", "random:N takes a count"),
    ("latency_spike@1:0+10*2", "is not TYPE@PORT"),
])
def test_bad_fault_specs(spec, message):
    with pytest.raises(FaultSpecError, match=message):
        parse_faults(spec, ports=128, seed=0, horizon=3600)
