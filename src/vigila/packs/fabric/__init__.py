"""The `fabric` pack: InfiniBand port telemetry of HPC and AI clusters."""

from vigila.packs.base import Pack
from vigila.packs.fabric.schema import DETAIL_TYPE, SOURCE, PortMetrics
from vigila.packs.fabric.simulator import simulate

PACK = Pack(
    name="fabric",
    description="InfiniBand fabric port metrics: utilization, latency, errors, counters.",
    detail_types={(SOURCE, DETAIL_TYPE): PortMetrics},
    simulator=simulate,
)
