"""Helpers for the notification tests: real events, routing into a real store, a dispatcher
wired as the runtime wires it."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import msgspec

from tests.support import T0
from vigila.alarms.events import alarm_arn, alarm_event, state_dict
from vigila.clock import ManualClock
from vigila.insights.model import Insight
from vigila.notify.notifier import Notifier
from vigila.routing.model import Rule, Target
from vigila.routing.outbox import Backoff, Dispatcher
from vigila.routing.router import Router
from vigila.routing.targets import TargetDelivery
from vigila.store.sqlite import SqliteStore

EXPLANATION = "latency_p99 9.8 us is 277% above its 2.6 us baseline; symbol errors 12 (+12)"
RECOMMENDATIONS = ["Check the HCA firmware on the node", "Inspect the switch port and cable"]


def insight_event(i: int = 0, *, entity: str = "cluster-a/node-17/mlx5_0/1",
                  kind: str = "latency_spike", risk: int = 92, at: float = T0,
                  **detail: Any) -> dict[str, Any]:
    """A `Critical Insight` event as the insight engine publishes it."""
    created = datetime.fromtimestamp(at, UTC)
    insight = Insight(insight_id=f"insight-{i}", entity=entity, prediction_type=kind,
                      risk_score=risk, explanation=EXPLANATION,
                      recommendations=RECOMMENDATIONS, confidence=0.8,
                      evidence={"latency_p99": 9.8}, source="analyst", created_at=created,
                      expires_at=created + timedelta(days=30))
    body = {**msgspec.to_builtins(insight), **detail}
    return {"version": "0", "id": f"event-{i}", "source": "vigila.insights",
            "detail-type": "Critical Insight" if risk >= 80 else "Insight",
            "time": created.isoformat().replace("+00:00", "Z"), "region": "local",
            "account": "000000000000", "resources": [entity], "detail": body}


def alarm_state(name: str, value: str, *, at: float = T0, previous: str = "OK",
                since: float | None = None, reason: str = "Threshold Crossed: 3 of 5 "
                "datapoints were greater than the threshold (85.0)") -> dict[str, Any]:
    """An `Alarm State Change` event with CloudWatch's detail."""
    arn = alarm_arn("local", "000000000000", name)
    detail = {"alarmName": name,
              "state": state_dict(value, reason, None, at),
              "previousState": state_dict(previous, "before", None,
                                          since if since is not None else at - 60),
              "configuration": {"description": f"{name} watches utilization", "metrics": [
                  {"id": "m1", "metricStat": {"metric": {
                      "namespace": "Fabric/dev", "name": "Utilization",
                      "dimensions": {"Cluster": "cluster-a"}},
                      "period": 60, "stat": "p95"}, "returnData": True}]}}
    return alarm_event("Alarm State Change", arn=arn, region="local", account="000000000000",
                       now=at, detail=detail, actions=["oncall"])


def route(store: SqliteStore, target: Target, *events: dict[str, Any], at: float,
          rule: str = "notify") -> None:
    """Match events against a rule with `target` and queue the outbox rows (as the pipeline
    does)."""
    router = Router([Rule(name=rule, pattern={"source": [{"exists": True}]}, targets=[target])])
    store.enqueue_outbox([e for event in events for e in router.route(event, int(at * 1000))])


def make_dispatcher(store: SqliteStore, clock: ManualClock, *,
                    env: Mapping[str, str] | None = None, results: list | None = None
                    ) -> Dispatcher:
    notifier = Notifier(store.notify, clock, env=env or {}, http=httpx.Client())
    delivery = TargetDelivery(put_outputs=store.put_outputs, append=lambda e: None,
                              max_hops=3, region="local", account="000000000000",
                              notify=notifier)
    on_result = (lambda *r: results.append(r)) if results is not None else None
    return Dispatcher(store, delivery, clock, backoff=Backoff(1.0, 60.0), seed=7,
                      on_result=on_result, flush=notifier.flush)


def run(dispatcher: Dispatcher) -> None:
    """Passes until one finds nothing to do, as the dispatcher's worker runs them."""
    for _ in range(100):
        if not dispatcher.run_once():
            return
    raise AssertionError("the dispatcher never went idle")


def advance(clock: ManualClock, dispatcher: Dispatcher, seconds: float,
            step: float = 5.0) -> None:
    """Run the dispatcher now, then move time forward in steps, running it at each."""
    run(dispatcher)
    end = clock.now() + seconds
    while clock.now() < end:
        clock.advance(min(step, end - clock.now()))
        run(dispatcher)
