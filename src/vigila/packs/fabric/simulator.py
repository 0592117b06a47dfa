"""A fabric simulator: per-port diurnal load with noise, deterministic for a seed.

>>> events = simulate(nodes=2, ports=1, seed=7, start=1_700_000_000.0, interval=10.0)
>>> first = next(events)
>>> first["detail-type"], first["resources"]
('Port Metrics', ['cluster-a/node-00/mlx5_0/1'])
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from vigila.packs.fabric.schema import DETAIL_TYPE, SOURCE

LINK_GBPS = 400.0  # NDR


def port_ids(nodes: int, ports: int, clusters: int = 1) -> list[str]:
    return [
        f"cluster-{chr(ord('a') + c)}/node-{n:02d}/mlx5_{p}/1"
        for c in range(clusters) for n in range(nodes) for p in range(ports)
    ]


def simulate(*, nodes: int = 64, ports: int = 2, seed: int = 0, start: float,
             interval: float | None = None, rate: float | None = None,
             count: int | None = None) -> Iterator[dict[str, Any]]:
    """Yield one `Port Metrics` event per port per `interval` seconds of simulated time.

    Give `rate` (events per second) instead of `interval` to derive it from the port count.
    """
    rng = random.Random(seed)
    streams = port_ids(nodes, ports)
    if interval is None:
        interval = len(streams) / rate if rate else 10.0
    base = {s: (rng.uniform(25, 55), rng.uniform(1.8, 3.0)) for s in streams}
    emitted = 0
    tick = 0
    while count is None or emitted < count:
        now = start + tick * interval
        stamp = datetime.fromtimestamp(now, UTC).isoformat().replace("+00:00", "Z")
        daily = math.sin(2 * math.pi * ((now % 86_400) / 86_400 - 0.25))
        for stream in streams:
            load, latency = base[stream]
            utilization = min(99.0, max(1.0, load * (1 + 0.3 * daily) + rng.gauss(0, 3)))
            detail = {
                "stream_id": stream,
                "timestamp": stamp,
                "utilization": round(utilization, 2),
                "latency_p99": round(latency * (1 + utilization / 200) + rng.gauss(0, 0.08), 3),
                "error_rate": round(abs(rng.gauss(0, 2e-5)), 7),
                "bandwidth_gbps": round(LINK_GBPS * utilization / 100, 2),
                "iops": round(utilization * 12_000 + rng.gauss(0, 2_000)),
                "qp_errors": 0,
                "port_xmit_wait": max(0, int(rng.gauss(utilization * 20, 50))),
            }
            yield {"source": SOURCE, "detail-type": DETAIL_TYPE, "time": stamp,
                   "resources": [stream], "detail": detail}
            emitted += 1
            if count is not None and emitted >= count:
                return
        tick += 1
