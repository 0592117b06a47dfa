"""`vigila metrics`: list series and query statistics from the data directory."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer

from vigila.api.metrics import parse_dimensions
from vigila.api.responses import ApiError
from vigila.cli.common import (
    ConfigFile,
    DataDir,
    Json,
    Profile,
    fail,
    print_json,
    print_table,
    runtime_at,
)
from vigila.metrics.errors import MetricValidationError

app = typer.Typer(help="Rolled-up metrics: list series, query statistics.", no_args_is_help=True)


@app.command("list")
def list_series(namespace: Annotated[str | None, typer.Option()] = None,
                data_dir: DataDir = None, profile: Profile = None, config: ConfigFile = None,
                json: Json = False) -> None:
    """Every series with kept buckets."""
    with runtime_at(profile, config, data_dir) as rt:
        series = [{"namespace": ns, "name": n, "dimensions": dict(d)}
                  for ns, n, d in rt.metrics_engine.series() if namespace in (None, ns)]
    if json:
        print_json(series)
        return
    print_table(f"{len(series)} series", ["namespace", "name", "dimensions"],
                [[s["namespace"], s["name"], ", ".join(f"{k}={v}" for k, v in
                                                      s["dimensions"].items())] for s in series])


@app.command("query")
def query(
    namespace: Annotated[str, typer.Option()],
    name: Annotated[str, typer.Option()],
    statistic: Annotated[str, typer.Option(help="Sum, Average, Minimum, Maximum, "
                                                "SampleCount or pNN.")] = "Average",
    dimension: Annotated[list[str] | None, typer.Option(help="NAME=VALUE, repeatable.")]
    = None,
    period: Annotated[int, typer.Option(help="Seconds, a multiple of 10.")] = 60,
    minutes: Annotated[float, typer.Option(help="How far back to look.")] = 60.0,
    data_dir: DataDir = None, profile: Profile = None, config: ConfigFile = None,
    json: Json = False,
) -> None:
    """Statistics of one series per period (closed buckets only)."""
    with runtime_at(profile, config, data_dir) as rt:
        try:
            dims = parse_dimensions(dimension or [])
            end = rt.clock.now()
            points = rt.metrics_engine.query(namespace, name, dims, end - minutes * 60, end,
                                             period, statistic)
        except (ApiError, MetricValidationError) as exc:
            raise fail(str(exc), 2) from None
    rows = [{"timestamp": datetime.fromtimestamp(t, UTC).isoformat(), "value": v}
            for t, v in points]
    if json:
        print_json(rows)
        return
    print_table(f"{namespace} {name} {statistic} per {period} s", ["timestamp", "value"],
                [[r["timestamp"], r["value"]] for r in rows])
