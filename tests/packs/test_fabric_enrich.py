import msgspec
import pytest

from tests.support import T0, body, drain, make_config
from vigila.clock import ManualClock
from vigila.events.envelope import Event
from vigila.packs.fabric.enrich import FabricEnricher, FabricSettings, TriggerSettings
from vigila.packs.fabric.schema import PortMetrics
from vigila.packs.fabric.simulator import simulate
from vigila.pipeline.processor import ProcessContext
from vigila.runtime import Runtime
from vigila.store.base import EventQuery

CTX = ProcessContext(clock=ManualClock(T0), partition=0)
STREAM = "cluster-a/node-01/mlx5_0/1"


def event(i, **detail):
    values = {"stream_id": STREAM, "timestamp": T0 + 10 * i, "utilization": 40.0,
              "latency_p99": 2.0, "error_rate": 0.0, "bandwidth_gbps": 160.0}
    values.update(detail)
    values["timestamp"] = _iso(values["timestamp"])
    return msgspec.convert({"id": f"e{i}", "source": "vigila.fabric",
                            "detail-type": "Port Metrics", "time": values["timestamp"],
                            "resources": [STREAM], "detail": values}, Event[PortMetrics])


def _iso(t):
    from datetime import UTC, datetime

    return datetime.fromtimestamp(t, UTC).isoformat()


def warm(enricher, n=60, jitter=True):
    """n healthy intervals with a little noise so baselines have a spread."""
    for i in range(n):
        wiggle = (i % 5 - 2) * 0.5 if jitter else 0.0
        assert not list(enricher.process(event(i, utilization=40 + wiggle,
                                               latency_p99=2.0 + wiggle / 50,
                                               bandwidth_gbps=160 + wiggle), CTX))
    return n


def fired(enricher, i, **detail):
    out = list(enricher.process(event(i, **detail), CTX))
    return out[0].detail.triggers if out else []


def quiet():
    """An enricher whose ensemble stays silent, to test one trigger at a time."""
    return FabricEnricher(FabricSettings(TriggerSettings(anomaly_score=1.1)))


def test_utilization_boundary():
    e = quiet()
    n = warm(e)
    assert "utilization" not in fired(e, n, utilization=80.0)
    assert "utilization" in fired(e, n + 1, utilization=80.01)


def test_error_rate_boundary():
    e = quiet()
    n = warm(e)
    assert fired(e, n, error_rate=0.05) == []
    assert fired(e, n + 1, error_rate=0.0501) == ["error_rate"]


def test_latency_is_judged_against_twice_the_baseline_p99():
    e = quiet()
    n = warm(e)
    p99 = e._ports[STREAM].windows["latency_p99"].stats(T0 + 10 * n).p99
    assert "latency" not in fired(e, n, latency_p99=2 * p99 * 0.999)
    assert "latency" in fired(e, n + 1, latency_p99=2 * p99 * 1.001)


def test_latency_and_delta_wait_for_a_baseline():
    e = quiet()
    assert fired(e, 0) == []
    assert "latency" not in fired(e, 1, latency_p99=50.0)


def test_delta_needs_twenty_percent_and_three_sigma():
    e = quiet()
    n = warm(e)
    assert fired(e, n, bandwidth_gbps=160 * 1.19) == []  # 19 %: not enough
    out = fired(e, n + 1, bandwidth_gbps=160 * 0.7)
    assert out == ["delta:bandwidth_gbps"]
    noisy = quiet()
    for i in range(60):  # a baseline spread of about +-40 %
        list(noisy.process(event(i, bandwidth_gbps=160 + (60 if i % 2 else -60)), CTX))
    assert fired(noisy, 60, bandwidth_gbps=160 * 1.25) == []  # 25 % but well within noise


def test_counters_and_anomaly_scores():
    e = quiet()
    n = warm(e)
    assert fired(e, n, symbol_errors=1) == ["counters"]
    assert fired(e, n + 1, mr_reg_failures=3) == ["counters"]
    sensitive = FabricEnricher(FabricSettings(TriggerSettings(anomaly_score=0.3)))
    m = warm(sensitive, 200)
    assert "anomaly" in fired(sensitive, m, latency_p99=2.6)


def test_enriched_detail_carries_baselines_deltas_and_scores():
    e = quiet()
    n = warm(e, jitter=False)
    (out,) = list(e.process(event(n, utilization=95.0, symbol_errors=4), CTX))
    d = out.detail
    assert out.detail_type == "Analysis Triggered" and out.resources == [STREAM]
    assert d.baselines["utilization"].mean == pytest.approx(40.0)
    assert d.deltas_pct["utilization"] == pytest.approx(137.5)
    assert d.counters == {"symbol_errors": 4} and d.cluster == "cluster-a"
    assert set(d.scores) == {"utilization", "latency_p99", "error_rate", "bandwidth_gbps"}
    assert d.event_id == f"e{n}"


def test_triggered_intervals_stay_out_of_the_baseline_until_the_new_level_persists():
    e = FabricEnricher(FabricSettings(TriggerSettings(anomaly_score=1.1, relearn_after=5)))
    n = warm(e, jitter=False)
    for i in range(3):
        fired(e, n + i, utilization=95.0)
    assert e._ports[STREAM].windows["utilization"].stats(T0 + 10 * (n + 3)).mean == \
        pytest.approx(40.0)
    for i in range(3, 12):
        fired(e, n + i, utilization=95.0)
    assert e._ports[STREAM].windows["utilization"].stats(T0 + 10 * (n + 12)).mean > 45


def test_state_round_trip_gives_identical_results():
    events = list(simulate(nodes=2, ports=1, seed=5, start=T0, interval=10.0, count=800,
                           faults="latency_spike@1:2000+300*0.8,rdma_timeout@0:3000+200"))
    typed = [msgspec.convert({k: v for k, v in e.items() if k != "label"}, Event[PortMetrics])
             for e in events]
    whole = FabricEnricher()
    expected = [o.detail.triggers for ev in typed for o in whole.process(ev, CTX)]
    first, second = FabricEnricher(), FabricEnricher()
    got = [o.detail.triggers for ev in typed[:400] for o in first.process(ev, CTX)]
    states = first.export_states()
    assert all(len(s) < 8192 for s in states.values())
    second.import_states(states)
    got += [o.detail.triggers for ev in typed[400:] for o in second.process(ev, CTX)]
    assert got == expected and expected
    # importing replaces: the half-run enricher goes back to exactly the saved states
    first.import_states(states)
    again = [o.detail.triggers for ev in typed[400:] for o in first.process(ev, CTX)]
    assert again == got[len(got) - len(again):]
    first.import_states({})
    assert first.export_states() == {} and not first._ports


def test_pipeline_triggers_on_faults_and_resumes_baselines_after_restart(tmp_path):
    clock = ManualClock(T0)
    events = list(simulate(nodes=4, ports=1, seed=9, start=T0, interval=10.0, count=4 * 300,
                           faults="connection_instability@2:2400+100*0.9"))
    rt = Runtime(make_config(tmp_path), clock=clock)
    rt.ingest.ingest(body(events[:600]), rt.log.append, rt.store.add_dead_letters)
    drain(rt)
    saved = rt.store.output_values("state:fabric-enrich")
    assert len(saved) == 4
    rt.stop()
    rt = Runtime(make_config(tmp_path), clock=clock)  # a restart: baselines come back
    (runner,) = [w.runner for w in rt.workers]
    port = runner._processors[0]._ports["cluster-a/node-02/mlx5_0/1"]
    assert port.windows["utilization"].stats(T0 + 1500).count > 0
    rt.ingest.ingest(body(events[600:]), rt.log.append, rt.store.add_dead_letters)
    drain(rt)
    triggered = rt.events.query(EventQuery(detail_type="Analysis Triggered",
                                           limit=1000)).items
    streams = {t.resources[0] for t in triggered}
    assert "cluster-a/node-02/mlx5_0/1" in streams
    rt.stop()
