"""The store's span index: idempotent commits, id ranges, stores of earlier releases."""

import itertools
import json
import random
import sqlite3
import uuid
import zlib

import msgspec
import pytest

from tests.support import T0
from vigila.clock import ManualClock
from vigila.events.envelope import EventIdSource
from vigila.log.base import LogEntry
from vigila.log.sqlite import SqliteLog
from vigila.store.base import EventQuery, EventSpan, ProcessedBatch, SpanFilter
from vigila.store.events import EventReader
from vigila.store.idindex import id_hashes, id_key, split_ids
from vigila.store.sqlite import SqliteStore
from vigila.store.sqlite_spans import EPOCH_BITS


def span(first, count, ids=None, part=0, kinds=(("s", "t"),), resources=("r",)):
    ids = [f"id-{part}-{first + i}" for i in range(count)] if ids is None else ids
    return EventSpan(part, first, count, 10, 20, 1, 2, list(kinds), list(resources), ids)


def commit(store, *spans):
    for s in spans:
        store.commit(ProcessedBatch("g", s.partition, s.first + s.count, [], [], [], [], s))


def rows(store):
    return sorted((s.partition, s.first, s.count, s.events)
                  for s in store.spans(SpanFilter()))


def test_a_batch_committed_twice_is_indexed_once(tmp_path):
    store = SqliteStore(tmp_path / "store.db")
    commit(store, span(0, 10), span(0, 10), span(10, 5), span(0, 10))
    assert rows(store) == [(0, 0, 10, 10), (0, 10, 5, 5)]
    assert [s.first for s in store.spans_with_id("id-0-3")] == [0]


def test_offsets_already_indexed_are_left_out_of_a_batch_across_them(tmp_path):
    store = SqliteStore(tmp_path / "store.db")
    commit(store, span(0, 10), span(20, 10))
    commit(store, span(5, 30))  # over both and the gap between them
    assert rows(store) == [(0, 0, 10, 10), (0, 10, 10, 10), (0, 20, 10, 10), (0, 30, 5, 5)]
    commit(store, span(2, 3))
    assert len(rows(store)) == 4


def test_a_piece_of_a_batch_with_dead_letters_is_counted_from_the_log(tmp_path):
    store = SqliteStore(tmp_path / "store.db")
    commit(store, span(0, 4), span(2, 6, ids=["a", "b", "c"]))
    (piece,) = [s for s in store.spans(SpanFilter()) if s.first == 4]
    assert (piece.count, piece.events, piece.members) == (4, None, frozenset("abc"))
    totals = store.span_totals({0: 0})
    assert totals.events == 4 and [s.first for s in totals.pending] == [4]


def test_spans_of_a_partition_never_overlap_whatever_is_processed_again(tmp_path):
    store = SqliteStore(tmp_path / "store.db")
    rng = random.Random(3)
    for _ in range(200):
        first = rng.randrange(0, 500)
        commit(store, span(first, rng.randint(1, 40)))
    covered = [(first, first + count) for _, first, count, _ in rows(store)]
    assert all(end <= start for (_, end), (start, _) in itertools.pairwise(covered))


def test_kind_and_resource_filters_narrow_the_spans(tmp_path):
    store = SqliteStore(tmp_path / "store.db")
    commit(store, span(0, 2, kinds=[("a", "x")], resources=["r-1", 'q"r-2']),
           span(2, 2, kinds=[("a", "y"), ("b", "x")], resources=["r-2"]))
    firsts = lambda **f: [s.first for s in store.spans(SpanFilter(**f))]  # noqa: E731
    assert firsts(source="a") == [2, 0]
    assert firsts(source="a", detail_type="x") == [0]
    assert firsts(detail_type="x") == [2, 0]
    assert firsts(source="c") == []
    assert firsts(resource="r-2") == [2, 0]  # a false positive the reader checks
    assert firsts(resource="r-1") == [0]
    assert firsts(resource="r") == []
    assert firsts(min_ms=21) == [] and firsts(max_ms=9) == [] and firsts(min_ms=20) == [2, 0]


def test_minted_ids_fold_into_a_range_per_run():
    source = EventIdSource()
    ids = source.take(int(T0 * 1000), 5000)
    assert split_ids(ids[::-1]) == ([(ids[0], ids[-1])], [])
    later = source.take(int(T0 * 1000) + 1, 3)
    assert split_ids([*later, "client", *ids[:2], ids[9]]) == (
        [(ids[0], ids[9]), (later[0], later[-1])], ["client"])


@pytest.mark.parametrize("ids", [
    ["abc", "abcd", "abc", "0190a1b2-c3d4-7abc-8def-0", "0190a1b2-c3d4-7abc-8def-"],
    ["0190a1b2-c3d4-7abc-8def-\U0010ffff", "0190a1b2-c3d4-7abc-8def-\U0010ffffx",
     "0190a1b2-c3d4-7abc-8def-1", str(uuid.uuid4()), str(uuid.uuid4())],
    [], ["same", "same"],
])
def test_every_id_lies_in_a_range_of_its_key_or_among_the_others(ids):
    ranges, others = split_ids(ids)
    for event_id in ids:
        assert event_id in others or any(
            id_key(event_id) <= low <= event_id <= high for low, high in ranges)
    assert all(id_key(low) == id_key(high) and low < high for low, high in ranges)
    assert len(set(others)) == len(others)


def test_id_hashes_are_stable_63_bit_integers():
    assert id_hashes(["evt-1", "évt-1", ""]) == [
        _checksums(b"evt-1"), _checksums("évt-1".encode()), _checksums(b"")]
    assert all(0 <= h < 2**63 for h in id_hashes([str(uuid.uuid4()) for _ in range(100)]))


def _checksums(data):
    return (zlib.crc32(data) << 31) ^ zlib.adler32(data)


def test_client_ids_are_found_by_hash_across_epochs(tmp_path):
    store = SqliteStore(tmp_path / "store.db")
    step = 1 << EPOCH_BITS
    commit(store, span(0, 3, ids=["a", "b", "c"]), span(3 * step, 2, ids=["c", "d"]),
           span(5, 2, part=1, ids=["a", "e"]))
    assert [(s.partition, s.first) for s in store.spans_with_id("c")] == [(0, 0), (0, 3 * step)]
    assert [(s.partition, s.first) for s in store.spans_with_id("a")] == [(0, 0), (1, 5)]
    assert store.spans_with_id("z") == []
    store.trim(21)  # every span: all their events are older
    assert store.spans_with_id("a") == store.spans_with_id("c") == []
    with sqlite3.connect(tmp_path / "store.db") as db:
        assert [db.execute(f"SELECT count(*) FROM {table}").fetchone()[0] for table in (
            "event_spans", "span_kinds", "span_ids", "span_hashes", "span_filters")] == [0] * 5
    db.close()


_EARLIER_SCHEMA = """
CREATE TABLE events (
    seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, time_ms INTEGER NOT NULL,
    source TEXT NOT NULL, detail_type TEXT NOT NULL, resources TEXT NOT NULL,
    part INTEGER NOT NULL, off INTEGER NOT NULL, data BLOB NOT NULL
);
CREATE TABLE event_resources (
    resource TEXT NOT NULL, id TEXT NOT NULL, PRIMARY KEY (resource, id)
) WITHOUT ROWID;
"""


def test_an_earlier_release_s_events_stay_queryable(tmp_path):
    log = SqliteLog(tmp_path / "log.db", partitions=1, clock=ManualClock(T0))
    events = [{"id": f"e-{i}", "source": "app", "detail-type": "t", "resources": [f"r-{i % 2}"],
               "time": f"2026-01-01T00:00:{i:02d}Z", "detail": {}} for i in range(12)]
    events[5]["detail-type"] = 7  # dead-lettered by that release: no row
    log.append([LogEntry("k", e["id"], msgspec.json.encode(e)) for e in events])
    with sqlite3.connect(tmp_path / "store.db") as db:
        db.executescript(_EARLIER_SCHEMA)
        for off, record in enumerate(log.read(0, 0, 100)):
            e = json.loads(record.data)
            if off == 5:
                continue
            db.execute("INSERT INTO events (id, time_ms, source, detail_type, resources, part,"
                       " off, data) VALUES (?, ?, ?, ?, ?, 0, ?, ?)",
                       (e["id"], 1767225600000 + off * 1000, e["source"], e["detail-type"],
                        json.dumps(e["resources"]), off, record.data))
    db.close()
    store = SqliteStore(tmp_path / "store.db")
    reader = EventReader(store, log)
    assert reader.count() == 11
    assert [e.id for e in reader.query(EventQuery(resource="r-1")).items] == [
        "e-11", "e-9", "e-7", "e-3", "e-1"]
    assert reader.get("e-5") is None and reader.get("e-6").offset == 6
    with sqlite3.connect(tmp_path / "store.db") as db:
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
    db.close()
    assert not tables & {"events", "event_resources"}
    store.trim(1767225600000 + 3000)  # event-time retention still applies
    assert reader.count() == 8 and reader.get("e-2") is None
    store.close()
    log.close()


def test_offsets_past_a_head_are_forgotten(tmp_path):
    store = SqliteStore(tmp_path / "store.db")
    commit(store, span(0, 10), span(10, 10), span(20, 10), span(0, 10, part=1))
    store.forget_spans_past({0: 15})
    assert rows(store) == [(0, 0, 10, 10), (0, 10, 5, None), (1, 0, 10, 10)]
    assert store.spans_with_id("id-0-25") == []
    commit(store, span(15, 20, ids=[f"new-{i}" for i in range(20)]))
    assert [s.first for s in store.spans_with_id("new-3")] == [15]
