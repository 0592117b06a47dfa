"""Dashboard declarations: validation with the widget named, environments, shipped dashboards."""

from __future__ import annotations

import re
from collections.abc import Callable

import msgspec
import pytest

from vigila.metrics.errors import MetricValidationError
from vigila.packs.fabric import PACK
from vigila.packs.widgets import (
    AlarmStatus,
    Column,
    Dashboard,
    Distribution,
    InsightsFeed,
    Percentiles,
    Query,
    SingleValue,
    Table,
    TimeSeries,
)
from vigila.telemetry.dashboard import SYSTEM_DASHBOARD

WRITTEN_ELSEWHERE = {"LlmCalls"}
"""Written by the insight engine itself, not declared by the pack's `metrics`."""


def queries(board: Dashboard) -> list[Query]:
    found = []
    for widget in board.widgets:
        if isinstance(widget, TimeSeries):
            found += widget.queries
        elif isinstance(widget, Table):
            found += [column.query for column in widget.columns]
        elif isinstance(widget, Percentiles | SingleValue | Distribution):
            found.append(widget.query)
    return found


def test_every_fabric_query_names_a_declared_metric_and_its_dimensions() -> None:
    declared = {(spec.name, frozenset(dims)) for spec in PACK.metrics for dims in spec.dimensions}
    for query in queries(PACK.dashboard):
        if query.name not in WRITTEN_ELSEWHERE:
            assert (query.name, frozenset(query.dimensions)) in declared, query


def test_the_fabric_dashboard_uses_every_kind_of_widget() -> None:
    kinds = {type(widget) for widget in PACK.dashboard.widgets}
    assert kinds == {TimeSeries, Percentiles, SingleValue, Distribution, Table, AlarmStatus,
                     InsightsFeed}
    assert any(isinstance(w, TimeSeries) and w.stacked for w in PACK.dashboard.widgets)
    assert {w.style for w in PACK.dashboard.widgets if isinstance(w, Distribution)} == {
        "bar", "pie"}


def test_for_environment_fills_every_namespace_and_prefix() -> None:
    board = SYSTEM_DASHBOARD.for_environment("production")
    assert {q.namespace for q in queries(board)} == {"Vigila/production"}
    alarms = [w for w in board.widgets if isinstance(w, AlarmStatus)]
    assert alarms[0].prefix == "vigila-production-"
    lines = [Query(name="M", namespace="B/{environment}"), Query(name="N")]
    custom = Dashboard(title="t", namespace="A/{environment}",
                       widgets=[TimeSeries(id="x", title="x", queries=lines)])
    assert [q.namespace for q in custom.for_environment("dev").widgets[0].queries] == [
        "B/dev", "A/dev"]


def test_declarations_round_trip_through_json_with_their_kind() -> None:
    encoded = msgspec.json.encode(PACK.dashboard)
    assert b'"kind":"percentiles"' in encoded
    assert msgspec.json.decode(encoded, type=Dashboard) == PACK.dashboard


@pytest.mark.parametrize(("build", "message"), [
    (lambda: TimeSeries(id="a", title="A", queries=[]), "widget 'a': a time series needs"),
    (lambda: Distribution(id="d", title="D", query=Query(name="M", dimensions={
        "A": "*", "B": "*"})), "widget 'd': a distribution needs exactly one"),
    (lambda: Table(id="t", title="T", by="Port", columns=[Column(query=Query(name="M"))]),
     "widget 't': column 'M' must have {'Port': '*'}"),
    (lambda: Table(id="t", title="T", by="Port", columns=[]), "a table needs at least one"),
    (lambda: Dashboard(title="D", namespace="N", widgets=[
        InsightsFeed(id="x", title="1"), AlarmStatus(id="x", title="2")]),
     "widget ids ['x'] repeat"),
])
def test_invalid_declarations_name_the_widget(build: Callable[[], object], message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        build()


def test_a_bad_statistic_is_refused_where_it_is_declared() -> None:
    with pytest.raises(MetricValidationError, match="statistic"):
        Query(name="M", statistic="p101")


@pytest.mark.parametrize("widget", [
    {"kind": "single", "id": "Bad Id", "title": "x", "query": {"name": "M"}},
    {"kind": "single", "id": "x", "title": "x", "query": {"name": "M"}, "width": 13},
    {"kind": "gauge", "id": "x", "title": "x"},
    {"kind": "single", "id": "x", "title": "x", "query": {"name": "M", "extra": 1}},
    {"kind": "single", "id": "x", "title": "x", "query": {"name": "M"}, "reduce": "median"},
])
def test_decoding_refuses_malformed_widgets(widget: dict) -> None:
    with pytest.raises(msgspec.ValidationError):
        msgspec.convert({"title": "t", "namespace": "n", "widgets": [widget]}, Dashboard)
