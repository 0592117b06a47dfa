"""What the deterministic analyst reads from the evidence: ratios to baseline, counters.

Everything the classifier and the severity scales need is computed here once,
NaN-safe: a ratio whose baseline is missing (count 0, mean NaN), zero or not
finite is NaN, and the soft tests below read NaN as "no evidence".

>>> ramp(1.5, 1.0, 2.0), ramp(math.nan, 1.0, 2.0), count_strength(100, clear=100)
(0.5, 0.0, 1.0)
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from vigila.packs.fabric.enrich import Enriched


LINK_COUNTERS = ("link_downed", "link_error_recovery", "symbol_errors")
LOSS_COUNTERS = ("port_rcv_errors", "port_xmit_discards", "out_of_sequence")
TRANSPORT_COUNTERS = ("qp_errors", "packet_seq_err", "rnr_nak_retry_err")
TIMEOUT_COUNTERS = ("local_ack_timeout_err",)
MR_COUNTERS = ("mr_reg_failures",)
ERROR_COUNTERS = LINK_COUNTERS + LOSS_COUNTERS + TRANSPORT_COUNTERS + TIMEOUT_COUNTERS + MR_COUNTERS


class Signals(NamedTuple):
    """The evidence reduced to comparable numbers (ratios are value / baseline mean)."""

    utilization: float
    """Percent of line rate."""
    utilization_x: float
    latency_x: float
    efficiency_x: float
    """Bandwidth per utilization point over the baseline's: below 1 the port is busy
    (or held busy) while moving less data than it normally does for that load."""
    error_rate: float
    xmit_wait: float
    counters: dict[str, int]


def signals(evidence: Enriched) -> Signals:
    """Reduce one triggered interval to `Signals`."""
    util = metric(evidence, "utilization")
    bandwidth = metric(evidence, "bandwidth_gbps")
    base_util = baseline_mean(evidence, "utilization")
    base_bandwidth = baseline_mean(evidence, "bandwidth_gbps")
    return Signals(
        utilization=util,
        utilization_x=ratio(util, base_util),
        latency_x=ratio(metric(evidence, "latency_p99"), baseline_mean(evidence, "latency_p99")),
        efficiency_x=ratio(ratio(bandwidth, util), ratio(base_bandwidth, base_util)),
        error_rate=metric(evidence, "error_rate"),
        xmit_wait=_finite(float(evidence.port_xmit_wait)),
        counters={name: n for name, n in evidence.counters.items() if n > 0},
    )


def metric(evidence: Enriched, name: str) -> float:
    """The interval's value of `name`; NaN when absent or not finite."""
    return _finite(evidence.metrics.get(name, math.nan))


def baseline_mean(evidence: Enriched, name: str) -> float:
    """The 15-minute baseline mean of `name`; NaN when there is no usable baseline."""
    base = evidence.baselines.get(name)
    return _finite(base.mean) if base is not None and base.count > 0 else math.nan


def ratio(value: float, base: float) -> float:
    """value / base, NaN when either is unknown or base is not positive."""
    if math.isnan(value) or math.isnan(base) or base <= 0:
        return math.nan
    return _finite(value / base)


def ramp(x: float, lo: float, hi: float, unknown: float = 0.0) -> float:
    """0 at `lo`, 1 at `hi`, linear between (falling when hi < lo); `unknown` for NaN."""
    if math.isnan(x):
        return unknown
    return min(1.0, max(0.0, (x - lo) / (hi - lo)))


def count_strength(n: float, clear: float) -> float:
    """0 for no events, 1 at `clear` events per interval, on a log scale between:
    counters matter by their order of magnitude, not their exact value."""
    return ramp(math.log1p(max(0.0, n)), 0.0, math.log1p(clear))


def family(sig: Signals, names: tuple[str, ...]) -> int:
    """Sum of the counters `names` in the interval."""
    return sum(sig.counters.get(name, 0) for name in names)


def _finite(x: float) -> float:
    """`x`, or NaN when it is infinite."""
    return x if math.isfinite(x) else math.nan
