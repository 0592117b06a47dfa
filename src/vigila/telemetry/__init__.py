"""vigila's telemetry of itself: Prometheus metrics and OpenTelemetry traces."""
