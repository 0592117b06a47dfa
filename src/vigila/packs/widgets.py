"""Dashboards as data: the widgets a pack declares against metric queries.

The engine computes each widget's data (`vigila.web.widgetdata`) and the web UI
draws it; a pack never ships code for its dashboard. A dimension whose value is
`*` selects every series with that dimension, one line (or bar, or row) each.

>>> board = Dashboard(title="Demo", namespace="Demo/{environment}", widgets=[
...     TimeSeries(id="load", title="Load per host",
...                queries=[Query(name="Load", dimensions={"Host": "*"})]),
...     SingleValue(id="peak", title="Peak load", query=Query(name="Load", statistic="Maximum"),
...                 reduce="max", thresholds=[Threshold(at=80, level="warn")]),
... ])
>>> board.for_environment("dev").widgets[0].queries[0].namespace
'Demo/dev'
>>> try:
...     Distribution(id="d", title="D", query=Query(name="Load"))
... except ValueError as exc:
...     print(exc)
widget 'd': a distribution needs exactly one dimension with the value '*', e.g. {'Host': '*'}
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from vigila.metrics.statistics import parse_statistic
from vigila.metrics.top import WILDCARD, Reduce


class Query(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """One metric statistic per period, like `GET /v1/metrics/query`."""

    name: str
    statistic: str = "Average"
    """Sum, Average, Minimum, Maximum, SampleCount or pNN."""
    dimensions: dict[str, str] = msgspec.field(default_factory=dict)
    """Exactly the dimensions of the series; a value `*` matches any value."""
    namespace: str = ""
    """Default: the dashboard's namespace. May use `{environment}`."""
    label: str = ""
    """The line's name; default the metric name (and the values `*` matched)."""
    per_second: bool = False
    """Divide each period's value by the period's seconds (a Sum becomes a rate)."""

    def __post_init__(self) -> None:
        parse_statistic(self.statistic)

    @property
    def wildcards(self) -> list[str]:
        return [name for name, value in self.dimensions.items() if value == WILDCARD]


class Threshold(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A single value at or above `at` shows `level`."""

    at: float
    level: Literal["warn", "critical"]


class Column(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A table column: `query` reduced over the range for each row."""

    query: Query
    reduce: Reduce = "max"
    unit: str = ""


class Widget(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True,
             tag_field="kind"):
    """What every widget has: a unique id, a title, a width in twelfths of a row."""

    id: Annotated[str, Meta(pattern=r"^[a-z0-9][a-z0-9-]{0,63}$")]
    title: str
    width: Annotated[int, Meta(ge=2, le=12)] = 6
    help: str = ""
    """One sentence a newcomer reads under the title."""

    def _fail(self, message: str) -> None:
        raise ValueError(f"widget {self.id!r}: {message}")


class TimeSeries(Widget, tag="timeseries"):
    """Lines over time, one per query and per series a wildcard matches; `stacked`
    stacks them (shares of a total)."""

    queries: list[Query]
    unit: str = ""
    stacked: bool = False

    def __post_init__(self) -> None:
        if not self.queries:
            self._fail("a time series needs at least one query")


class Percentiles(Widget, tag="percentiles"):
    """The percentile lines (default p50, p95, p99) of one metric's distribution."""

    query: Query
    """Its `statistic` is ignored: each percentile is a line."""
    percentiles: list[Annotated[float, Meta(gt=0, le=100)]] = msgspec.field(
        default_factory=lambda: [50.0, 95.0, 99.0])
    unit: str = ""


class SingleValue(Widget, tag="single"):
    """One number for the range, coloured by the highest threshold it reaches."""

    query: Query
    reduce: Reduce = "last"
    unit: str = ""
    thresholds: list[Threshold] = msgspec.field(default_factory=list)


class Distribution(Widget, tag="distribution"):
    """Bars or a pie: one value per value of the query's single `*` dimension."""

    query: Query
    style: Literal["bar", "pie"] = "bar"
    reduce: Reduce = "sum"
    limit: Annotated[int, Meta(ge=1, le=50)] = 10
    """The largest this many; the rest are left out."""
    unit: str = ""

    def __post_init__(self) -> None:
        if len(self.query.wildcards) != 1:
            self._fail("a distribution needs exactly one dimension with the value '*', "
                       "e.g. {'Host': '*'}")


class Table(Widget, tag="table"):
    """Top rows: one per value of dimension `by`, ranked by the first column."""

    by: str
    columns: list[Column]
    limit: Annotated[int, Meta(ge=1, le=100)] = 10

    def __post_init__(self) -> None:
        if not self.columns:
            self._fail("a table needs at least one column")
        for column in self.columns:
            if self.by not in column.query.wildcards:
                self._fail(f"column {column.query.name!r} must have {{{self.by!r}: '*'}} "
                           "among its dimensions")


class AlarmStatus(Widget, tag="alarms"):
    """The alarms whose names start with `prefix` (may use `{environment}`), with state."""

    prefix: str = ""


class InsightsFeed(Widget, tag="insights"):
    """The newest insights, live."""

    limit: Annotated[int, Meta(ge=1, le=100)] = 10
    min_risk: Annotated[int, Meta(ge=0, le=100)] = 0


AnyWidget = (TimeSeries | Percentiles | SingleValue | Distribution | Table | AlarmStatus
             | InsightsFeed)
"""Every kind. The engine computes the data of the metric kinds; the UI reads alarms and
insights from their own APIs."""


class Dashboard(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A titled grid of widgets; queries without a namespace use `namespace`."""

    title: str
    namespace: str
    widgets: list[AnyWidget]
    description: str = ""

    def __post_init__(self) -> None:
        ids = [w.id for w in self.widgets]
        repeated = sorted({i for i in ids if ids.count(i) > 1})
        if repeated:
            raise ValueError(f"dashboard {self.title!r}: widget ids {repeated} repeat")

    def for_environment(self, environment: str) -> Dashboard:
        """The dashboard with `{environment}` filled in and every query's namespace set."""
        namespace = self.namespace.format(environment=environment)

        def query(q: Query) -> Query:
            ns = q.namespace.format(environment=environment) if q.namespace else namespace
            return msgspec.structs.replace(q, namespace=ns)

        def widget(w: AnyWidget) -> AnyWidget:
            if isinstance(w, TimeSeries):
                return msgspec.structs.replace(w, queries=[query(q) for q in w.queries])
            if isinstance(w, Table):
                return msgspec.structs.replace(w, columns=[
                    msgspec.structs.replace(c, query=query(c.query)) for c in w.columns])
            if isinstance(w, Percentiles | SingleValue | Distribution):
                return msgspec.structs.replace(w, query=query(w.query))
            if isinstance(w, AlarmStatus):
                return msgspec.structs.replace(w, prefix=w.prefix.format(environment=environment))
            return w

        return msgspec.structs.replace(self, namespace=namespace,
                                       widgets=[widget(w) for w in self.widgets])
