"""The batch contract: what a processor sees of a log batch, and how failures are isolated."""

from __future__ import annotations

import math

import msgspec
import numpy as np
import pytest

from tests.support import T0, body
from vigila.clock import ManualClock
from vigila.config.schema import IngestConfig
from vigila.events.envelope import Event
from vigila.events.schemas import DetailSchemas
from vigila.ingest.decoder import EventDecoder
from vigila.ingest.service import IngestService
from vigila.log.sqlite import SqliteLog
from vigila.pipeline.batch import Batch, ColumnSpec, EntitySlots, Group
from vigila.pipeline.processor import Emit, PerEvent, ProcessContext, Record, process_events
from vigila.pipeline.runner import PipelineRunner
from vigila.pipeline.state import SlotStates
from vigila.store.sqlite import SqliteStore

KIND = ("app.sensors", "Reading")


class Reading(msgspec.Struct):
    sensor: str
    value: float
    at: str | None = None
    count: int = 0


def schemas() -> DetailSchemas:
    registered = DetailSchemas()
    registered.register(*KIND, Reading)
    return registered


def head(detail: dict, **envelope) -> Event:
    event = {"id": envelope.pop("id", "e"), "source": KIND[0], "detail-type": KIND[1],
             "detail": detail, **envelope}
    return msgspec.json.decode(msgspec.json.encode(event), type=Event[msgspec.Raw])


def group_of(*heads, spec=None) -> Group:
    group = Group(KIND, schemas(), spec, EntitySlots())
    for i, h in enumerate(heads):
        group.add(i, h, 1_000_000 + i)
    return group


def test_columns_are_float64_with_nan_where_a_row_has_no_number():
    group = group_of(head({"sensor": "s1", "value": 2}), head({"sensor": "s2", "value": 1.5}),
                     head({"sensor": "s3", "value": "hot"}))
    batch = Batch(group, 0, 3)
    assert batch.column("value")[:2].tolist() == [2.0, 1.5]
    assert math.isnan(batch.column("value")[2])  # a bad detail: no number, and no row
    assert batch.rows()[2] is None and 2 in group.errors
    assert batch.column("count").tolist()[:2] == [0.0, 0.0]  # the struct's default
    assert np.isnan(batch.column("missing")).all()  # a field the struct does not have


def test_entities_come_from_the_declared_field_else_the_first_resource():
    heads = [head({"sensor": "s1", "value": 1}, resources=["r1"]),
             head({"sensor": "s2", "value": 1}, resources=["r2"]),
             head({"sensor": "s1", "value": 1})]
    by_field = group_of(*heads, spec=ColumnSpec(entity="sensor"))
    assert by_field.slots.tolist() == [0, 1, 0]
    assert by_field.entities.names == ["s1", "s2"]
    by_resource = group_of(*heads)
    assert [by_resource.entities.names[s] for s in by_resource.slots] == [
        "r1", "r2", KIND[0]]  # no resource: the source, as the partition key


def test_times_prefer_the_declared_field_then_the_envelope_then_the_append():
    heads = [head({"sensor": "s", "value": 1, "at": "2026-01-01T00:00:10Z"},
                  time="2026-01-01T00:00:00Z"),
             head({"sensor": "s", "value": 1}, time="2026-01-01T00:00:00Z"),
             head({"sensor": "s", "value": 1})]
    group = group_of(*heads, spec=ColumnSpec(time="at"))
    start = 1_767_225_600.0
    assert group.times.tolist()[:2] == [start + 10, start]
    assert group.times[2] == 1_000_002 / 1000  # when it was appended
    # a declared time that is not a time falls back too
    assert group_of(head({"sensor": "s", "value": 1, "at": "soon"}, time="2026-01-01T00:00:00Z"),
                    spec=ColumnSpec(time="at")).times.tolist() == [start]


def test_a_batch_is_a_range_of_its_group_with_rows_counted_from_its_start():
    group = group_of(*(head({"sensor": f"s{i}", "value": i}, id=f"e{i}") for i in range(5)))
    batch = Batch(group, 2, 4)
    assert len(batch) == 2 and batch.ids == ["e2", "e3"]
    assert batch.column("value").tolist() == [2.0, 3.0]
    assert [r.detail.sensor for r in batch.rows()] == ["s2", "s3"]


def test_slot_states_follow_one_entity_table():
    class Arrays:
        def ensure(self, size): pass
        def reset(self, slots): pass
        def load(self, slot, state): pass
        def state_of(self, slot): return b""

    states = SlotStates(Arrays())
    states.prepare(Batch(group_of(head({"sensor": "s", "value": 1})), 0, 1))
    with pytest.raises(ValueError, match="one entity table"):
        states.prepare(Batch(group_of(head({"sensor": "s", "value": 1})), 0, 1))


def test_process_events_runs_a_per_event_processor_as_one_batch():
    class Echo(PerEvent):
        name, accepts = "echo", None

        def process(self, event, ctx):
            yield Record(kind="echo", key=event.id, entity="", value=event.detail.value)

    events = [msgspec.convert({"id": f"e{i}", "source": KIND[0], "detail-type": KIND[1],
                               "detail": {"sensor": "s", "value": i}}, Event[Reading])
              for i in range(3)]
    outputs = process_events(Echo(), events, ProcessContext(ManualClock(T0), 0),
                             entities=EntitySlots())
    assert [(o.row, o.value) for o in outputs] == [(0, 0.0), (1, 1.0), (2, 2.0)]
    with pytest.raises(ValueError, match="one kind"):
        process_events(Echo(), [events[0], msgspec.structs.replace(events[1], source="x")],
                       ProcessContext(ManualClock(T0), 0), entities=EntitySlots())


# -- through a runner ----------------------------------------------------------------------


@pytest.fixture
def parts(tmp_path):
    clock = ManualClock(T0)
    log = SqliteLog(tmp_path / "log.db", partitions=1, clock=clock)
    store = SqliteStore(tmp_path / "store.db")
    service = IngestService(EventDecoder(schemas(), IngestConfig(), partitions=1, region="r",
                                         account="a"), IngestConfig(), clock)
    yield clock, log, store, service
    log.close()
    store.close()


def readings(values, kind=KIND, first=0):
    return [{"source": kind[0], "detail-type": kind[1], "resources": [f"s{i % 3}"],
             "id": f"{kind[1]}-{i}", "detail": {"sensor": f"s{i % 3}", "value": v}}
            for i, v in enumerate(values, start=first)]


class Sums:
    """A batch processor with array state: the running sum of each sensor, emitted for
    every reading, and it fails on readings of 13."""

    name = "sums"
    accepts = frozenset({KIND})

    def __init__(self):
        self.sums = np.zeros(0)
        self.states = SlotStates(self)
        self.calls = 0

    def ensure(self, size):
        self.sums = np.concatenate([self.sums, np.zeros(max(0, size - len(self.sums)))])

    def reset(self, slots):
        self.sums[slots] = 0.0

    def load(self, slot, state):
        self.sums[slot] = float(state)

    def state_of(self, slot):
        return repr(float(self.sums[slot])).encode()

    def process_batch(self, batch, ctx):
        self.calls += 1
        values = batch.column("value")
        if (values == 13).any():
            raise ValueError("thirteen")
        slots = self.states.prepare(batch)
        out = []
        for row, (slot, value) in enumerate(zip(slots.tolist(), values.tolist(),
                                                strict=True)):
            self.sums[slot] += value
            out.append(Emit(source="app.sums", detail_type="Sum", key="sum", row=row,
                            detail={"sum": self.sums[slot]}, resources=[f"sum-{slot}"]))
        self.states.touched(batch.slots)
        return out

    def export_states(self):
        return self.states.export()

    def import_states(self, states):
        self.states.restore(states)


def sums_emitted(log):
    return sorted((e["resources"][0], e["detail"]["sum"]) for e in (
        msgspec.json.decode(r.data) for r in log.read(0, 0, 1000))
        if e["source"] == "app.sums")


def test_a_failing_batch_runs_again_event_by_event_and_only_the_bad_event_is_lost(parts):
    clock, log, store, service = parts
    service.ingest(body(readings([1, 2, 3, 13, 5, 6])), log.append, store.add_dead_letters)
    sums = Sums()
    runner = PipelineRunner(log, store, [sums], schemas(), clock,
                            columns={KIND: ColumnSpec(numeric=("value",), entity="sensor")})
    runner.run_until_idle()
    letters = store.dead_letters(limit=10).items
    assert [(d.stage, d.event_id) for d in letters] == [("process:sums", "Reading-3")]
    assert "thirteen" in letters[0].reason
    # sensor s0 saw 1 and (lost) 13; s1: 2, 5; s2: 3, 6
    assert sums_emitted(log) == sorted([("sum-0", 1.0), ("sum-1", 2.0), ("sum-2", 3.0),
                                        ("sum-1", 7.0), ("sum-2", 9.0)])
    assert store.output_values("state:sums") == {"s0": b"1.0", "s1": b"7.0", "s2": b"9.0"}


def test_array_state_survives_a_restart(parts):
    clock, log, store, service = parts
    spec = {KIND: ColumnSpec(numeric=("value",), entity="sensor")}
    service.ingest(body(readings([1, 2, 3])), log.append, store.add_dead_letters)
    PipelineRunner(log, store, [Sums()], schemas(), clock, columns=spec).run_until_idle()
    later = readings([10, 20, 30, 40])[3:]  # one more reading of s0, a new id
    later[0]["id"] = "later"
    service.ingest(body(later), log.append, store.add_dead_letters)
    again = Sums()
    PipelineRunner(log, store, [again], schemas(), clock, columns=spec).run_until_idle()
    assert ("sum-0", 41.0) in [(f"sum-{again.states._entities.slot('s0')}", s)
                               for _, s in sums_emitted(log)]


def test_a_processor_of_several_kinds_sees_its_events_in_log_order(parts):
    clock, log, store, service = parts
    other = ("app.sensors", "Calibration")
    mixed = readings([1, 2], KIND) + readings([3], other) + readings([4], KIND, first=3)
    service.ingest(body(mixed), log.append, store.add_dead_letters)

    class Order:
        name, accepts = "order", frozenset({KIND, other})

        def __init__(self):
            self.seen = []

        def process_batch(self, batch, ctx):
            self.seen.append((batch.detail_type, batch.ids))
            return ()

    order = Order()
    PipelineRunner(log, store, [order], schemas(), clock).run_until_idle()
    assert order.seen == [("Reading", ["Reading-0", "Reading-1"]),
                          ("Calibration", ["Calibration-0"]), ("Reading", ["Reading-3"])]
