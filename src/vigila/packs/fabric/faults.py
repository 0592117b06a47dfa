"""Fault signatures of the fabric simulator: what each failure does to a port's figures.

Each of the ten prediction types is a physically plausible change of the
healthy figures, scaled by a severity in [0, 1]. The expected risk of an
incident is its type's base risk plus what its severity adds; docs/packs/fabric.md
tabulates both. Labels come from here, never from the detector.
"""

from __future__ import annotations

import random
import re
from typing import Any, get_args

import msgspec

from vigila.insights.analyst_severity import RISK
from vigila.insights.model import PredictionType
from vigila.packs.fabric.schema import LINK_GBPS

PREDICTION_TYPES: tuple[str, ...] = get_args(PredictionType)


def expected_risk(prediction_type: str, severity: float) -> int:
    risk = RISK[prediction_type]
    return min(100, round(risk.base + risk.per_severity * severity))


class Fault(msgspec.Struct, frozen=True):
    """One injected incident on one port."""

    prediction_type: str
    port: int
    """Index into the simulator's port list."""
    start: float
    """Seconds after the simulation start."""
    duration: float
    severity: float = 0.7
    incident_id: str = ""

    def active(self, elapsed: float) -> bool:
        return self.start <= elapsed < self.start + self.duration

    @property
    def label(self) -> dict[str, Any]:
        return {"prediction_type": self.prediction_type,
                "risk_score": expected_risk(self.prediction_type, self.severity),
                "incident_id": self.incident_id}


_SPEC = re.compile(r"^(?P<type>[a-z_]+)@(?P<port>\d+):(?P<start>\d+(\.\d+)?)"
                   r"\+(?P<duration>\d+(\.\d+)?)(\*(?P<severity>0?\.\d+|1(\.0+)?|0))?$")


class FaultSpecError(ValueError):
    """A `--faults` item that does not parse; the message shows the grammar."""


def parse_faults(spec: str, *, ports: int, seed: int, horizon: float) -> list[Fault]:
    """`TYPE@PORT:START+DURATION[*SEVERITY]` items, comma-separated, and/or `random:N`
    (N incidents of random types, ports, times and severities within `horizon` seconds)."""
    faults: list[Fault] = []
    rng = random.Random(seed ^ 0x5EED)
    for item in (part.strip() for part in spec.split(",") if part.strip()):
        if item.startswith("random:"):
            count = item.removeprefix("random:")
            if not count.isdigit():
                raise FaultSpecError(f"{item!r}: random:N takes a count, e.g. random:20")
            faults += _random_faults(int(count), ports, horizon, rng)
            continue
        match = _SPEC.match(item)
        if not match:
            raise FaultSpecError(
                f"{item!r} is not TYPE@PORT:START+DURATION[*SEVERITY], "
                "e.g. latency_spike@17:600+120*0.8")
        kind = match["type"]
        if kind not in PREDICTION_TYPES:
            raise FaultSpecError(f"{item!r}: unknown type {kind!r}; one of "
                                 f"{', '.join(PREDICTION_TYPES)}")
        port = int(match["port"])
        if port >= ports:
            raise FaultSpecError(f"{item!r}: port {port} is out of range 0..{ports - 1}")
        faults.append(Fault(kind, port, float(match["start"]), float(match["duration"]),
                            float(match["severity"] or 0.7)))
    return [msgspec.structs.replace(f, incident_id=f"inc-{seed}-{i:04d}")
            for i, f in enumerate(sorted(faults, key=lambda f: (f.start, f.port)))]


def _random_faults(count: int, ports: int, horizon: float, rng: random.Random) -> list[Fault]:
    """Spread over the horizon after a two-minute warm-up (baselines need a little
    history before latency and delta triggers apply)."""
    warmup = min(120.0, horizon / 4)
    slots = max(1.0, (horizon - warmup) / max(count, 1))
    return [Fault(rng.choice(PREDICTION_TYPES), rng.randrange(ports),
                  warmup + i * slots + rng.uniform(0, slots / 2),
                  rng.uniform(90, 240), round(rng.uniform(0.2, 1.0), 2))
            for i in range(count)]


def apply(fault: Fault, d: dict[str, Any], base: dict[str, float], rng: random.Random) -> None:
    """Change the healthy figures `d` of one interval the way `fault` would."""
    s = fault.severity
    kind = fault.prediction_type
    if kind == "performance_degradation":
        d["latency_p99"] *= 1.6 + 0.8 * s
        d["bandwidth_gbps"] *= 0.72 - 0.15 * s
        d["iops"] *= 0.7 - 0.15 * s
    elif kind == "anomaly_detected":
        d["utilization"] = max(0.5, d["utilization"] * rng.uniform(0.05, 0.25))
        d["bandwidth_gbps"] = d["utilization"] * LINK_GBPS / 100
        d["iops"] *= rng.uniform(2.5, 4.0) + s
    elif kind == "resource_saturation":
        d["utilization"] = min(100.0, 91 + 8 * s + rng.uniform(-1, 1))
        d["bandwidth_gbps"] = LINK_GBPS * d["utilization"] / 100 * 0.98
        d["port_xmit_wait"] = int(20_000 + 80_000 * s * rng.uniform(0.8, 1.2))
        d["latency_p99"] *= 1.3 + 0.5 * s
    elif kind == "connection_instability":
        d["link_downed"] = rng.randint(1, 2 + int(3 * s))
        d["link_error_recovery"] = rng.randint(2, 5 + int(10 * s))
        d["symbol_errors"] = rng.randint(50, 200 + int(2000 * s))
        d["bandwidth_gbps"] *= rng.uniform(0.2, 0.6)
        d["latency_p99"] *= 1.5 + s
        d["error_rate"] = max(d["error_rate"], 0.002 + 0.01 * s)
    elif kind == "packet_loss_detected":
        d["error_rate"] = 0.01 + 0.05 * s * rng.uniform(0.8, 1.2)
        d["port_rcv_errors"] = rng.randint(100, 500 + int(5000 * s))
        d["port_xmit_discards"] = rng.randint(50, 200 + int(2000 * s))
        d["out_of_sequence"] = rng.randint(20, 100 + int(1000 * s))
    elif kind == "latency_spike":
        d["latency_p99"] = base["latency"] * (3.5 + 6 * s) * rng.uniform(0.9, 1.1)
    elif kind == "bandwidth_throttling":
        d["utilization"] = 86 + 10 * s + rng.uniform(-1.5, 1.5)
        d["bandwidth_gbps"] = LINK_GBPS * base["load"] / 100 * (0.55 - 0.25 * s)
        d["port_xmit_wait"] = int(5_000 + 30_000 * s * rng.uniform(0.8, 1.2))
    elif kind == "qp_error_rate_high":
        d["qp_errors"] = rng.randint(20, 50 + int(500 * s))
        d["packet_seq_err"] = rng.randint(10, 30 + int(300 * s))
        d["rnr_nak_retry_err"] = rng.randint(5, 20 + int(200 * s))
        d["latency_p99"] *= 1.2 + 0.4 * s
    elif kind == "memory_registration_failure":
        d["mr_reg_failures"] = rng.randint(3, 10 + int(100 * s))
        d["qp_errors"] = rng.randint(0, 3)
    elif kind == "rdma_timeout":
        d["local_ack_timeout_err"] = rng.randint(10, 40 + int(400 * s))
        d["rnr_nak_retry_err"] = rng.randint(0, 10)
        d["latency_p99"] *= 4 + 8 * s
        d["iops"] *= 0.5 - 0.3 * s
        d["bandwidth_gbps"] *= 0.6 - 0.3 * s
