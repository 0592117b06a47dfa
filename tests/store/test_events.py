"""Events read back from the log through the store's spans, against a scan of the log."""

import itertools
import random
import shutil
import uuid
from datetime import UTC, datetime

import msgspec
import pytest

from tests.support import T0, body, drain, make_config, plain_event
from vigila.clock import ManualClock
from vigila.events.envelope import EventIdSource
from vigila.events.schemas import DetailSchemas
from vigila.log.base import LogEntry
from vigila.log.sqlite import SqliteLog
from vigila.pipeline.processor import Emit, PerEvent
from vigila.pipeline.runner import PipelineRunner
from vigila.runtime import Runtime
from vigila.store.base import EventQuery
from vigila.store.events import EventReader
from vigila.store.sqlite import SqliteStore

SOURCES = ["app.orders", "app.billing"]
TYPES = ["Placed", "Paid"]
RESOURCES = ["r-1", "r-2", "r-3"]


@pytest.fixture
def parts(tmp_path):
    clock = ManualClock(T0)
    log = SqliteLog(tmp_path / "log.db", partitions=2, clock=clock)
    store = SqliteStore(tmp_path / "store.db")
    yield clock, log, store
    log.close()
    store.close()


def event(i, *, source="app.orders", detail_type="Placed", resources=("r-1",), time_s=None,
          event_id=None):
    body = {"id": event_id or f"client-{i}", "source": source, "detail-type": detail_type,
            "resources": list(resources), "detail": {"n": i}}
    if time_s is not None:
        body["time"] = datetime.fromtimestamp(time_s, UTC).isoformat().replace("+00:00", "Z")
    return body


def append(log, events):
    log.append([LogEntry(e["resources"][0] if e["resources"] else e["source"], e["id"],
                         msgspec.json.encode(e)) for e in events])


def process(clock, log, store, batch_size=5000, processors=()):
    return PipelineRunner(log, store, list(processors), DetailSchemas(), clock,
                          batch_size=batch_size).run_until_idle()


def scan(log):
    """Every event of the log as a query sees it: (key, id, decoded), newest first."""
    found = []
    for part in range(log.partitions):
        for record in log.read(part, 0, 10**6):
            try:
                body = msgspec.json.decode(record.data)
            except msgspec.DecodeError:
                continue
            if not isinstance(body, dict) or "source" not in body:
                continue
            time_ms = (int(datetime.fromisoformat(body["time"]).timestamp() * 1000)
                       if "time" in body else record.appended_ms)
            found.append(((time_ms, part, record.offset), body["id"], body))
    return sorted(found, key=lambda f: f[0], reverse=True)


def all_pages(reader, **filters):
    items, cursor, pages = [], None, 0
    while True:
        page = reader.query(EventQuery(cursor=cursor, **filters))
        assert len(page.items) <= filters.get("limit", 100)
        items += page.items
        pages += 1
        cursor = page.next_cursor
        if cursor is None:
            return items, pages


def expected(found, source=None, detail_type=None, resource=None, start_ms=None,
             end_ms=None):
    return [event_id for key, event_id, body in found
            if (source is None or body["source"] == source)
            and (detail_type is None or body["detail-type"] == detail_type)
            and (resource is None or resource in body["resources"])
            and (start_ms is None or key[0] >= start_ms)
            and (end_ms is None or key[0] < end_ms)]


@pytest.fixture
def mixed(parts):
    """300 events of mixed kinds, resources and times (ties, and some without a time),
    appended in several calls and processed in batches of 7: many spans per partition."""
    clock, log, store = parts
    rng = random.Random(7)
    for call in range(6):
        append(log, [event(call * 50 + i, source=rng.choice(SOURCES),
                           detail_type=rng.choice(TYPES),
                           resources=rng.sample(RESOURCES, rng.randint(1, 2)),
                           time_s=None if rng.random() < 0.1 else T0 + rng.randint(0, 40))
                     for i in range(50)])
        clock.advance(1)
    process(clock, log, store, batch_size=7)
    return EventReader(store, log), scan(log)


@pytest.mark.parametrize("source, detail_type, resource", list(itertools.product(
    [None, "app.orders"], [None, "Paid"], [None, "r-2"])))
def test_pages_follow_one_another_without_gaps_or_repeats(mixed, source, detail_type,
                                                         resource):
    reader, found = mixed
    for start_ms, end_ms in [(None, None), (int(T0 * 1000) + 10_000, int(T0 * 1000) + 30_000)]:
        want = expected(found, source, detail_type, resource, start_ms, end_ms)
        for limit in (1, 7, 1000):
            items, pages = all_pages(reader, source=source, detail_type=detail_type,
                                     resource=resource, start_ms=start_ms, end_ms=end_ms,
                                     limit=limit)
            assert [e.id for e in items] == want
            assert pages == max(1, -(-len(want) // limit))


def test_the_start_is_inclusive_and_the_end_exclusive(mixed):
    reader, found = mixed
    at = found[len(found) // 2][0][0]
    items = reader.query(EventQuery(start_ms=at, end_ms=at + 1, limit=1000)).items
    assert items and {e.time_ms for e in items} == {at}
    assert reader.query(EventQuery(start_ms=at, end_ms=at, limit=1000)).items == []


def test_an_event_reads_back_as_it_was_logged(mixed):
    reader, found = mixed
    (key, event_id, body), *_ = found
    (item,) = reader.query(EventQuery(limit=1)).items
    assert (item.id, item.time_ms, item.partition, item.offset) == (event_id, *key)
    assert (item.source, item.detail_type, item.resources) == (
        body["source"], body["detail-type"], body["resources"])
    assert msgspec.json.decode(item.data) == body
    assert reader.get(event_id) == item
    assert reader.count() == len(found)


def test_a_query_reads_adjacent_spans_in_few_log_reads(parts):
    clock, log, store = parts
    append(log, [event(i, time_s=T0 + i) for i in range(200)])
    process(clock, log, store, batch_size=5)  # 40 spans of one partition
    reads = []
    real_read = log.read
    log.read = lambda *args: reads.append(args) or real_read(*args)
    items, _ = all_pages(EventReader(store, log), limit=1000)
    assert len(items) == 200 and len(reads) <= 3


def test_get_finds_minted_client_and_emitted_ids(parts):
    clock, log, store = parts

    class Echo(PerEvent):
        name = "echo"
        accepts = frozenset({("app.orders", "Placed")})

        def process(self, event, ctx):
            yield Emit(source="app.echo", detail_type="Echoed", detail={"of": event.id},
                       resources=event.resources)

    minted = EventIdSource().take(int(T0 * 1000), 40)
    append(log, [event(i, event_id=minted[i], resources=[f"r-{i % 5}"]) for i in range(40)])
    append(log, [event(100 + i, event_id=str(uuid.uuid4())) for i in range(10)])
    process(clock, log, store, batch_size=6, processors=[Echo()])
    reader = EventReader(store, log)
    for key, event_id, _ in scan(log):
        got = reader.get(event_id)
        assert got is not None and (got.time_ms, got.partition, got.offset) == key
    echoes = reader.query(EventQuery(source="app.echo", limit=1000)).items
    assert len(echoes) == 50


@pytest.mark.parametrize("event_id", [
    "", "nope", "x" * 10_000, "0190a1b2-c3d4-7abc-8def-ffffffffffff", "client-1\x00",
    "client-%", "client-_", "ü" * 30, "' OR 1=1 --",
])
def test_an_id_no_event_has_finds_nothing(mixed, event_id):
    reader, _ = mixed
    assert reader.get(event_id) is None


@pytest.mark.parametrize("cursor", [
    "abc", "9" * 50, "1.x", "1.2", "1.2.3.4", "1.-2.3", "1.2.3 ", " 1.2.3", "1e3.1.1",
    f"{2**63}.0.0", f"0.{2**63}.0", "", "\u0661.\u0662.\u0663",
])
def test_a_cursor_it_did_not_hand_out_is_refused(mixed, cursor):
    reader, _ = mixed
    with pytest.raises(ValueError, match="is not one this API returned"):
        reader.query(EventQuery(cursor=cursor))


@pytest.mark.parametrize("limit", [0, -1, -(10**30)])
def test_a_limit_under_one_is_refused(mixed, limit):
    reader, _ = mixed
    with pytest.raises(ValueError, match=f"limit {limit} is under 1"):
        reader.query(EventQuery(limit=limit))


def test_a_huge_limit_returns_every_event_once(mixed):
    reader, found = mixed
    page = reader.query(EventQuery(limit=10**12))
    assert [e.id for e in page.items] == [event_id for _, event_id, _ in found]
    assert page.next_cursor is None


def test_bounds_beyond_sqlite_integers_are_no_error(mixed):
    reader, found = mixed
    assert len(reader.query(EventQuery(start_ms=-(10**30), end_ms=10**30,
                                       limit=1000)).items) == len(found)
    assert reader.query(EventQuery(start_ms=10**30)).items == []


def test_dead_letters_within_a_span_are_left_out(parts):
    clock, log, store = parts
    good = [event(i, time_s=T0 + i) for i in range(4)]
    append(log, good[:2])
    log.append([LogEntry("r-1", "bad-json", b"{not json"),
                LogEntry("r-1", "bad-utf8", msgspec.json.encode(event(9)).replace(
                    b'"detail":{', b'"detail":{"x":"\xff",')),
                LogEntry("r-1", "no-envelope", b'{"id": "no-envelope"}')])
    append(log, good[2:])
    assert process(clock, log, store) == 7
    assert len(store.dead_letters().items) == 3
    reader = EventReader(store, log)
    assert [e.id for e in reader.query(EventQuery()).items] == [
        "client-3", "client-2", "client-1", "client-0"]
    assert reader.count() == 4
    assert reader.get("client-9") is None and reader.get("no-envelope") is None


def test_processing_again_indexes_nothing_twice(parts):
    clock, log, store = parts
    append(log, [event(i, time_s=T0 + i, resources=[f"r-{i % 3}"]) for i in range(60)])
    process(clock, log, store, batch_size=7)
    reader = EventReader(store, log)
    before = all_pages(reader, limit=1000)[0]
    for batch_size in (7, 5, 13, 1000):  # the same batches, then batches across them
        runner = PipelineRunner(log, store, [], DetailSchemas(), clock, batch_size=batch_size)
        runner.seek({0: 3, 1: 0})
        runner.run_until_idle()
        assert all_pages(reader, limit=1000)[0] == before
        assert reader.count() == 60


def test_a_seek_past_events_then_back_indexes_the_gap_once(parts):
    clock, log, store = parts
    append(log, [event(i, time_s=T0 + i) for i in range(30)])
    runner = PipelineRunner(log, store, [], DetailSchemas(), clock, batch_size=4)
    (part,) = {p for p in range(2) if log.states()[p].next}
    runner.run_once(part)
    runner.seek({part: 20})  # skip 4..20
    runner.run_until_idle()
    reader = EventReader(store, log)
    assert reader.count() == 14
    runner.seek({part: 2})
    runner.run_until_idle()
    assert reader.count() == 30
    assert [e.id for e in all_pages(reader, limit=3)[0]] == [f"client-{i}" for i in
                                                            range(29, -1, -1)]


def test_retention_hides_older_events_and_drops_their_spans(parts):
    clock, log, store = parts
    clock.advance(100)  # appended after their event times: only those trim them
    append(log, [event(i, time_s=T0 + i) for i in range(50)])
    process(clock, log, store, batch_size=8)
    reader = EventReader(store, log)
    cutoff = int((T0 + 20) * 1000)
    assert store.trim(cutoff) == 16  # two spans of 8 wholly older
    assert log.trim(cutoff) == 0
    items = all_pages(reader, limit=7)[0]
    assert [e.id for e in items] == [f"client-{i}" for i in range(49, 19, -1)]
    assert reader.count() == 30
    assert reader.get("client-19") is None and reader.get("client-20") is not None
    assert store.trim(int((T0 + 101) * 1000)) == 34  # and then all, the log's too
    assert reader.count() == 0 and reader.query(EventQuery()).items == []


def test_events_the_log_trimmed_are_gone_from_their_spans(parts):
    clock, log, store = parts
    for call in range(3):  # each append its own chunks, a second apart
        append(log, [event(call * 10 + i, resources=["r-1"], time_s=T0 + 100 + call * 10 + i)
                     for i in range(10)])
        clock.advance(1)
    process(clock, log, store, batch_size=15)  # spans across the appends
    assert log.trim(int((T0 + 1) * 1000)) == 10
    reader = EventReader(store, log)
    assert [e.id for e in all_pages(reader, limit=4)[0]] == [f"client-{i}" for i in
                                                            range(29, 9, -1)]
    assert reader.count() == 20
    assert reader.get("client-3") is None and reader.get("client-12") is not None


def test_a_log_restored_from_an_older_copy_gets_its_new_events_indexed(tmp_path, clock):
    config = make_config(tmp_path)

    def run(events):
        rt = Runtime(config, clock=clock)
        try:
            ids = rt.ingest.ingest(body(events), rt.log.append, rt.store.add_dead_letters).ids
            drain(rt)
            return ids, [e.id for e in all_pages(rt.events, limit=1000)[0]], rt.events.count()
        finally:
            rt.stop()

    kept, _, _ = run([plain_event(i) for i in range(5)])
    shutil.copy(tmp_path / "log.db", tmp_path / "older.db")
    run([plain_event(i) for i in range(5, 10)])  # processed, then its log lost
    (tmp_path / "older.db").replace(tmp_path / "log.db")
    new, listed, count = run([plain_event(i) for i in range(10, 13)])
    assert sorted(listed) == sorted(kept + new) and count == 8
