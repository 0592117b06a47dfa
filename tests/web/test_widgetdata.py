"""Widget data: periods by range, lines per wildcard value, tails, reductions, thresholds."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from vigila.clock import ManualClock
from vigila.config.schema import MetricsConfig
from vigila.metrics.datapoint import Datapoint
from vigila.metrics.engine import MetricsEngine
from vigila.packs.widgets import (
    AnyWidget,
    Column,
    Dashboard,
    Distribution,
    Percentiles,
    Query,
    SingleValue,
    Table,
    Threshold,
    TimeSeries,
)
from vigila.store.sqlite import SqliteStore
from vigila.web import widgetdata
from vigila.web.widgetdata import Frame, choose_period, dashboard_data

T = 1_790_000_000.0  # a minute boundary
NS = "Demo/test"
HOUR = 3600


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[MetricsEngine]:
    """Two clusters, ports of each; values i (cluster a) and 10 * i (cluster b) at T + 10 i."""
    store = SqliteStore(tmp_path / "store.db")
    engine = MetricsEngine(ManualClock(T), store)
    for i in range(6):
        for cluster, scale in (("a", 1.0), ("b", 10.0)):
            engine.add([Datapoint(NS, "Load", {"Cluster": cluster}, T + 10 * i, i * scale),
                        Datapoint(NS, "Load", {"Cluster": cluster, "Port": f"{cluster}{i % 2}"},
                                  T + 10 * i, i * scale)])
    yield engine
    store.close()


def frame(since: float = T) -> Frame:
    return Frame(T, T + 60, 10, since)


def data(engine: MetricsEngine, *widgets: AnyWidget, since: float = T) -> dict:
    board = Dashboard(title="t", namespace=NS, widgets=list(widgets)).for_environment("dev")
    return dashboard_data(engine, board, frame(since))["widgets"]


@pytest.mark.parametrize(("span", "age", "expected"), [
    (900, 0, 10), (HOUR, 0, 30), (6 * HOUR, 0, 120), (24 * HOUR, 0, 600),
    (900, 4 * HOUR, 60), (900, 30 * HOUR, 3600), (240 * 86_400, 0, 86_400),
])
def test_the_period_keeps_lines_short_and_no_finer_than_what_is_kept(span: int, age: int,
                                                                     expected: int) -> None:
    now = T + age + span
    assert choose_period(T, T + span, now, MetricsConfig()) == expected


def test_a_wildcard_gives_a_line_per_value(engine: MetricsEngine) -> None:
    got = data(engine, TimeSeries(id="l", title="L", queries=[
        Query(name="Load", dimensions={"Cluster": "*"}, label="mean"),
        Query(name="Load", statistic="Sum", per_second=True, dimensions={"Cluster": "a"})]))
    lines = got["l"]["series"]
    assert [line["label"] for line in lines] == ["mean a", "mean b", "Load"]
    assert lines[1]["points"][2] == (T + 20, 20.0)
    assert lines[2]["points"][5] == (T + 50, 0.5)


def test_a_tail_frame_carries_only_the_periods_from_since(engine: MetricsEngine) -> None:
    got = data(engine, TimeSeries(id="l", title="L", queries=[Query(name="Load", dimensions={
        "Cluster": "a"})]), SingleValue(id="s", title="S", query=Query(name="Load", dimensions={
            "Cluster": "a"}), reduce="sum"), since=T + 40)
    assert got["l"]["series"][0]["points"] == [(T + 40, 4.0), (T + 50, 5.0)]
    assert got["s"]["value"] == 15.0


def test_lines_stop_at_the_cap(engine: MetricsEngine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(widgetdata, "MAX_LINES", 3)
    got = data(engine, TimeSeries(id="l", title="L", queries=[Query(name="Load", dimensions={
        "Cluster": "*", "Port": "*"})]))
    assert len(got["l"]["series"]) == 3


def test_percentiles_are_lines_named_by_percentile(engine: MetricsEngine) -> None:
    got = data(engine, Percentiles(id="p", title="P", query=Query(name="Load", dimensions={
        "Cluster": "*"}), percentiles=[50, 99.9]))
    assert [line["label"] for line in got["p"]["series"]] == [
        "p50 a", "p50 b", "p99.9 a", "p99.9 b"]


@pytest.mark.parametrize(("reduce", "value", "level"), [
    ("max", 50.0, "critical"), ("last", 50.0, "critical"), ("min", 0.0, None),
    ("mean", 13.75, "warn"), ("rate", 165 / 60, None),
])
def test_a_single_value_reduces_every_matched_series_and_takes_the_highest_threshold(
        engine: MetricsEngine, reduce: str, value: float, level: str | None) -> None:
    got = data(engine, SingleValue(
        id="s", title="S", query=Query(name="Load", dimensions={"Cluster": "*"}), reduce=reduce,
        thresholds=[Threshold(at=40, level="critical"), Threshold(at=10, level="warn")]))
    assert got["s"] == {"value": value, "level": level}


def test_a_single_value_without_data_is_zero_for_a_sum(engine: MetricsEngine) -> None:
    got = data(engine, SingleValue(id="s", title="S", query=Query(name="Cost"), reduce="sum"),
               SingleValue(id="m", title="M", query=Query(name="Cost"), reduce="max"))
    assert got == {"s": {"value": 0.0, "level": None}, "m": {"value": None, "level": None}}


def test_a_distribution_ranks_the_values_of_its_wildcard(engine: MetricsEngine) -> None:
    got = data(engine, Distribution(id="d", title="D", query=Query(
        name="Load", statistic="Sum", dimensions={"Cluster": "*"}), limit=1))
    assert got["d"] == {"items": [{"label": "b", "value": 150.0}]}


def test_a_table_ranks_rows_by_its_first_column(engine: MetricsEngine) -> None:
    got = data(engine, Table(id="t", title="T", by="Port", columns=[
        Column(query=Query(name="Load", statistic="Maximum",
                           dimensions={"Cluster": "*", "Port": "*"}, label="peak")),
        Column(query=Query(name="Load", statistic="SampleCount",
                           dimensions={"Cluster": "*", "Port": "*"}), reduce="sum")]))
    assert got["t"] == {"columns": ["Port", "peak", "Load"], "rows": [
        ["b1", 50.0, 3.0], ["b0", 40.0, 3.0], ["a1", 5.0, 3.0], ["a0", 4.0, 3.0]]}
