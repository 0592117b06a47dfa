"""The `Port Metrics` detail: one port's figures over one sampling interval.

Counters are deltas over the interval, as `perfquery -x` differences give them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec
from msgspec import Meta

SOURCE = "vigila.fabric"
DETAIL_TYPE = "Port Metrics"
LINK_GBPS = 400.0
"""Line rate of the simulated ports (InfiniBand NDR)."""

Count = Annotated[int, Meta(ge=0, le=2**63 - 1)]
NonNegative = Annotated[float, Meta(ge=0)]


class PortMetrics(msgspec.Struct, kw_only=True, omit_defaults=True, gc=False):
    """Figures of one InfiniBand port (`cluster/node/hca/port`) for one interval."""

    stream_id: Annotated[str, Meta(min_length=1, max_length=256)]
    timestamp: datetime
    utilization: Annotated[float, Meta(ge=0, le=100)]
    """Percent of link capacity used."""
    latency_p99: Annotated[float, Meta(ge=0, le=60_000_000)]
    """99th percentile latency, microseconds."""
    error_rate: Annotated[float, Meta(ge=0, le=1)]
    """Fraction of packets in error."""
    bandwidth_gbps: Annotated[float, Meta(ge=0, le=3200)]
    iops: NonNegative = 0.0
    qp_errors: Count = 0
    symbol_errors: Count = 0
    link_downed: Count = 0
    link_error_recovery: Count = 0
    port_rcv_errors: Count = 0
    port_xmit_discards: Count = 0
    port_xmit_wait: Count = 0
    local_ack_timeout_err: Count = 0
    rnr_nak_retry_err: Count = 0
    out_of_sequence: Count = 0
    packet_seq_err: Count = 0
    mr_reg_failures: Count = 0
