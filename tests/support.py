"""Helpers for tests: configs, sample events, synchronous processing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from vigila.config import Config, load_config
from vigila.runtime import Runtime

T0 = 1_790_000_000.0  # 2026-09-21, a fixed start for manual clocks


def make_config(data_dir: Path, profile: str = "dev", **overrides: Any) -> Config:
    return load_config(profile=profile, env={},
                       overrides={"data_dir": str(data_dir), **overrides})


def fabric_event(i: int = 0, **detail: Any) -> dict[str, Any]:
    stream = f"cluster-a/node-{i % 64:02d}/mlx5_0/1"
    body = {"stream_id": stream, "timestamp": "2026-11-23T10:00:00Z", "utilization": 40.0,
            "latency_p99": 2.5, "error_rate": 0.0001, "bandwidth_gbps": 160.0}
    body.update(detail)
    return {"source": "vigila.fabric", "detail-type": "Port Metrics", "resources": [stream],
            "detail": body}


def plain_event(i: int = 0, **fields: Any) -> dict[str, Any]:
    event = {"source": "app.orders", "detail-type": "Order Placed",
             "resources": [f"order-{i}"], "detail": {"n": i}}
    event.update(fields)
    return event


def body(events: list[dict[str, Any]]) -> bytes:
    return json.dumps(events).encode()


def drain(rt: Runtime) -> int:
    """Process everything appended so far, insight requests included, in this thread."""
    done = 0
    while True:
        step = sum(w.runner.run_until_idle(w.partitions) for w in rt.workers)
        while rt.insights.run_once():
            step += 1
        if not step:
            return done
        done += step
