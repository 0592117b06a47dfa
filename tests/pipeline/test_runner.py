import sqlite3

import msgspec
import pytest

from tests.support import T0, body, fabric_event, plain_event
from vigila.clock import ManualClock
from vigila.config.schema import IngestConfig
from vigila.events.schemas import DetailSchemas
from vigila.ingest.decoder import EventDecoder
from vigila.ingest.service import IngestService
from vigila.log.base import LogEntry
from vigila.log.sqlite import SqliteLog
from vigila.packs.base import load_packs, register_schemas
from vigila.pipeline.processor import Emit, PerEvent, Record
from vigila.pipeline.runner import PipelineRunner
from vigila.store.base import EventQuery
from vigila.store.events import EventReader
from vigila.store.sqlite import SqliteStore


class Doubler(PerEvent):
    """Stores n*2 for every order; raises on n == 13."""

    name = "doubler"
    accepts = frozenset({("app.orders", "Order Placed")})

    def __init__(self):
        self.seen: list[str] = []

    def process(self, event, ctx):
        self.seen.append(event.id)
        if event.detail["n"] == 13:
            raise ZeroDivisionError("unlucky")
        yield Record(kind="double", key=event.id, entity=event.resources[0],
                     value={"double": event.detail["n"] * 2, "at": ctx.clock.now()})


class Announcer(PerEvent):
    """Emits a follow-up event for every order: routed work, not a loop."""

    name = "announcer"
    accepts = frozenset({("app.orders", "Order Placed")})

    def process(self, event, ctx):
        yield Emit(source="app.announcer", detail_type="Order Seen",
                   detail={"order": event.id}, resources=event.resources)


@pytest.fixture
def parts(tmp_path):
    clock = ManualClock(T0)
    log = SqliteLog(tmp_path / "log.db", partitions=2, clock=clock)
    store = SqliteStore(tmp_path / "store.db")
    service = IngestService(EventDecoder(DetailSchemas(), IngestConfig(), partitions=2,
                                         region="r", account="a"), IngestConfig(), clock)
    yield clock, log, store, service
    log.close()
    store.close()


def ingest(service, log, store, events):
    return service.ingest(body(events), log.append, store.add_dead_letters)


def test_outputs_events_and_checkpoint_are_committed_together(parts):
    clock, log, store, service = parts
    ingest(service, log, store, [plain_event(i) for i in range(20)])
    runner = PipelineRunner(log, store, [Doubler()], DetailSchemas(), clock, batch_size=7)
    assert runner.run_until_idle() == 20
    assert EventReader(store, log).count() == 20
    doubles = store.outputs("double", limit=100)
    assert sorted(msgspec.json.decode(o.data)["double"] for o in doubles) == sorted(
        2 * i for i in range(20) if i != 13)
    assert sum(store.checkpoints("pipeline").values()) == 20


def test_a_failing_event_is_dead_lettered_with_a_traceback_and_the_partition_moves_on(parts):
    clock, log, store, service = parts
    ingest(service, log, store, [plain_event(i) for i in (12, 13, 14)])
    runner = PipelineRunner(log, store, [Doubler()], DetailSchemas(), clock)
    runner.run_until_idle()
    (letter,) = store.dead_letters().items
    assert letter.stage == "process:doubler"
    assert "ZeroDivisionError: unlucky" in letter.reason and "line" in letter.reason
    assert msgspec.json.decode(letter.raw)["detail"] == {"n": 13}
    assert EventReader(store, log).count() == 3  # the event itself is still stored
    assert len(store.outputs("double")) == 2


def test_restart_resumes_from_the_checkpoint(parts):
    clock, log, store, service = parts
    ingest(service, log, store, [plain_event(i) for i in range(10)])
    first = Doubler()
    PipelineRunner(log, store, [first], DetailSchemas(), clock).run_until_idle()
    ingest(service, log, store, [plain_event(i) for i in range(10, 15)])
    second = Doubler()
    PipelineRunner(log, store, [second], DetailSchemas(), clock).run_until_idle()
    assert (len(set(first.seen)), len(set(second.seen))) == (10, 5)


def test_a_replayed_batch_changes_nothing(parts):
    clock, log, store, service = parts
    ingest(service, log, store, [plain_event(i) for i in range(5)])
    runner = PipelineRunner(log, store, [Doubler(), Announcer()], DetailSchemas(), clock)
    runner.run_until_idle()
    before = (EventReader(store, log).count(), len(store.outputs("double")))
    runner.seek({0: 0, 1: 0})  # as if the checkpoint had not been written
    runner.run_until_idle()
    assert (EventReader(store, log).count(), len(store.outputs("double"))) == before
    seen = EventReader(store, log).query(EventQuery(source="app.announcer")).items
    assert len(seen) == 5  # emitted ids are derived, so the log dropped the copies


def test_emitted_events_carry_derived_ids_and_are_processed_too(parts):
    clock, log, store, service = parts
    result = ingest(service, log, store, [plain_event(1)])
    runner = PipelineRunner(log, store, [Announcer()], DetailSchemas(), clock)
    runner.run_until_idle()
    (seen,) = EventReader(store, log).query(EventQuery(source="app.announcer")).items
    assert msgspec.json.decode(seen.data)["detail"] == {"order": result.ids[0]}
    assert seen.resources == ["order-1"]


def test_seek_by_time_replays_the_tail(parts):
    clock, log, store, service = parts
    ingest(service, log, store, [plain_event(i) for i in range(4)])
    clock.advance(60)
    ingest(service, log, store, [plain_event(i) for i in range(4, 8)])
    doubler = Doubler()
    runner = PipelineRunner(log, store, [doubler], DetailSchemas(), clock)
    runner.run_until_idle()
    ms = int((T0 + 30) * 1000)
    runner.seek({p: log.offset_at(p, ms) for p in range(2)})
    runner.run_until_idle()
    assert len(doubler.seen) == 8 + 4


def test_a_runner_thread_yielding_to_ingest_takes_short_passes(parts):
    from vigila.pipeline.runner import YIELD_BATCH, RunnerThread

    clock, log, store, service = parts
    ingest(service, log, store, [plain_event(i) for i in range(4 * YIELD_BATCH)])
    runner = PipelineRunner(log, store, [Doubler()], DetailSchemas(), clock, batch_size=5000)
    busy = [True]
    thread = RunnerThread(runner, [0, 1], idle_wait=0.01, yield_to=lambda: busy[0])
    assert thread._pass() <= 2 * YIELD_BATCH, "one short batch per partition"
    busy[0] = False
    thread._pass()
    assert EventReader(store, log).count() == 4 * YIELD_BATCH, "and everything once not yielding"


def test_the_runtime_yields_only_while_ingesting_with_a_small_backlog(tmp_path):
    from tests.support import make_config
    from vigila.runtime import Runtime

    rt = Runtime(make_config(tmp_path, **{"log.max_lag_records": 10}), clock=ManualClock(T0))
    try:
        assert not rt._ingest_first()
        with rt.ingesting():
            assert rt._ingest_first()
            rt.ingest.ingest(body([plain_event(i) for i in range(6)]), rt.append,
                             rt.store.add_dead_letters)
            assert not rt._ingest_first(), "a backlog of half the bound: process at full pace"
        assert not rt._ingest_first()
    finally:
        rt.stop()


class Counter(PerEvent):
    """Counts events per resource: state saved with each batch."""

    name = "counter"
    accepts = None

    def __init__(self):
        self.counts: dict[str, int] = {}
        self._dirty: set[str] = set()

    def process(self, event, ctx):
        entity = event.resources[0]
        self.counts[entity] = self.counts.get(entity, 0) + 1
        self._dirty.add(entity)
        return ()

    def export_states(self):
        dirty, self._dirty = self._dirty, set()
        return {e: str(self.counts[e]).encode() for e in dirty}

    def import_states(self, states):
        self.counts, self._dirty = {e: int(v) for e, v in states.items()}, set()


def test_a_failed_commit_leaves_no_trace_in_processor_state(parts):
    clock, log, store, service = parts
    events = [plain_event(i % 3, id=f"e{i}") for i in range(12)]
    ingest(service, log, store, events[:6])
    counter = Counter()
    runner = PipelineRunner(log, store, [counter], DetailSchemas(), clock)
    assert runner.run_until_idle() == 6
    ingest(service, log, store, events[6:])
    writer = store._db._writer  # a real failure inside the real transaction
    writer.execute("CREATE TEMP TRIGGER full BEFORE INSERT ON checkpoints "
                   "BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END")
    with pytest.raises(sqlite3.IntegrityError, match="disk is full"):
        runner.run_until_idle()
    writer.execute("DROP TRIGGER full")
    assert runner.run_until_idle() == 6
    assert counter.counts == {"order-0": 4, "order-1": 4, "order-2": 4}
    stored = {e: int(v) for e, v in store.output_values("state:counter").items()}
    assert stored == counter.counts


def test_a_failed_append_of_emitted_events_also_leaves_no_trace(parts):
    clock, log, store, service = parts

    class CountingAnnouncer(Counter):
        accepts = frozenset({("app.orders", "Order Placed")})

        def process(self, event, ctx):
            super().process(event, ctx)
            yield Emit(source="app.announcer", detail_type="Order Seen", detail={},
                       resources=event.resources)

    ingest(service, log, store, [plain_event(i % 2, id=f"e{i}") for i in range(4)])
    counter = CountingAnnouncer()
    runner = PipelineRunner(log, store, [counter], DetailSchemas(), clock)
    log._db._writer.execute("CREATE TEMP TRIGGER full BEFORE INSERT ON chunks "
                            "BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END")
    with pytest.raises(sqlite3.IntegrityError, match="disk is full"):
        runner.run_once(0)
        runner.run_once(1)
    log._db._writer.execute("DROP TRIGGER full")
    runner.run_until_idle()
    assert counter.counts == {"order-0": 2, "order-1": 2}


@pytest.mark.parametrize("pack", [None, "fabric"])
def test_a_record_that_is_not_utf8_is_dead_lettered_and_the_partition_moves_on(parts, pack):
    """Such a record can only come from a log an older release wrote; it must not stall,
    even where its detail type skips the field that holds the bad bytes."""
    clock, log, store, service = parts
    schemas = register_schemas(load_packs([pack])) if pack else DetailSchemas()
    good = [fabric_event(1), fabric_event(2)] if pack else [plain_event(1), plain_event(2)]
    bad = msgspec.json.encode({**good[0], "id": "bad-1"}).replace(b'"detail":{',
                                                                 b'"detail":{"junk":"\xff",')
    log.append([LogEntry(good[0]["resources"][0], "bad-1", bad)])
    ingest(service, log, store, good)
    runner = PipelineRunner(log, store, [Doubler()], schemas, clock)
    assert runner.run_until_idle() == 3
    (letter,) = store.dead_letters().items
    assert letter.stage == "decode" and "utf-8" in letter.reason and letter.raw == bad
    assert EventReader(store, log).count() == 2


def test_checkpoints_past_the_head_move_back_to_it_so_new_events_are_processed(parts, caplog):
    """As after restoring a log from an older copy than the store."""
    clock, log, store, service = parts
    ingest(service, log, store, [plain_event(i) for i in range(4)])
    heads = {s.partition: s.next for s in log.states()}
    store.set_checkpoints("pipeline", {p: head + 500 for p, head in heads.items()})
    runner = PipelineRunner(log, store, [Doubler()], DetailSchemas(), clock)
    assert runner.positions == heads and store.checkpoints("pipeline") == heads
    assert "checkpoints past the log's head moved back" in caplog.text
    ingest(service, log, store, [plain_event(i) for i in range(4, 10)])
    assert runner.run_until_idle() == 6
    assert len(store.outputs("double")) == 6
