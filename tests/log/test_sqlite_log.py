import multiprocessing

import lz4.frame
import msgspec
import pytest

from tests.support import T0
from vigila.clock import ManualClock
from vigila.events.envelope import EventIdSource
from vigila.log.base import IdRange, LogEntry, MintedBatch, RecordBatch, partition_for
from vigila.log.sqlite import CHUNK_EVENTS, PartitionCountMismatch, SqliteLog


def entries(n, key="k", prefix="id", start=0):
    return [LogEntry(key=key, id=f"{prefix}-{i}", data=f'{{"n":{i}}}'.encode())
            for i in range(start, start + n)]


@pytest.fixture
def clock():
    return ManualClock(T0)


@pytest.fixture
def log(tmp_path, clock):
    log = SqliteLog(tmp_path / "log.db", partitions=4, clock=clock)
    yield log
    log.close()


def test_offsets_are_dense_per_partition_and_reads_return_bytes(log):
    log.append(entries(3, key="a"))
    log.append(entries(2, key="a", start=3))
    part = partition_for("a", 4)
    records = log.read(part, 0, 100)
    assert [r.offset for r in records] == [0, 1, 2, 3, 4]
    assert records[4].data == b'{"n":4}'
    assert log.states()[part].next == 5


def test_reading_from_inside_a_chunk_and_across_chunks(log):
    log.append(entries(CHUNK_EVENTS + 500, key="a"))
    log.append(entries(10, key="a", prefix="more"))
    part = partition_for("a", 4)
    records = log.read(part, CHUNK_EVENTS - 3, 20)
    assert [r.offset for r in records] == list(range(CHUNK_EVENTS - 3, CHUNK_EVENTS + 17))
    tail = log.read(part, CHUNK_EVENTS + 505, 100)
    assert [r.data for r in tail] == [f'{{"n":{i}}}'.encode() for i in range(5, 10)]
    assert log.read(part, CHUNK_EVENTS + 510, 100) == []


def test_same_id_is_stored_once_within_and_across_appends(log):
    first = log.append(entries(3) + entries(2))
    assert (first.appended, first.duplicates) == (3, 2)
    again = log.append(entries(4))
    assert (again.appended, again.duplicates) == (1, 3)
    part = partition_for("k", 4)
    assert [r.data for r in log.read(part, 0, 10)] == [
        b'{"n":0}', b'{"n":1}', b'{"n":2}', b'{"n":3}']


def test_append_many_counts_duplicates_per_batch(log):
    a, b = log.append_many([entries(2), entries(3)])
    assert (a.appended, a.duplicates, b.appended, b.duplicates) == (2, 0, 1, 2)


def minted_entries(n, key="k"):
    """Entries of `n` freshly minted ids, and the same events as a minted batch."""
    ids = EventIdSource().take(1_790_000_000_000, n)
    batch = MintedBatch(IdRange(ids[0], ids[-1]), 4,
                        [RecordBatch(partition_for(key, 4), n, b"\n".join([b"{}"] * n))])
    return [LogEntry(key=key, id=i, data=b"{}") for i in ids], batch


def test_a_minted_run_is_one_row_and_its_ids_still_count_as_known(log):
    batch, minted = minted_entries(50)
    run = minted.run
    assert log.append(minted).appended == 50
    reader = log._db.reader
    assert reader.execute("SELECT count(*) FROM ids").fetchone()[0] == 0
    assert reader.execute("SELECT count(*) FROM minted").fetchone()[0] == 1
    # sent back by a client: every id inside the run is a duplicate, in any position
    assert log.append([batch[0], batch[25], batch[-1]]).duplicates == 3
    prefix, counter = run.first[:24], int(run.first[24:], 16)
    near = [f"{prefix}{counter - 1:012x}", f"{prefix}{counter + 50:012x}",  # just outside
            run.first.upper(), run.first + "0", run.first[:-1] + ":", run.last[:-1] + "g"]
    result = log.append([LogEntry("k", i, b"{}") for i in near])
    assert (result.appended, result.duplicates) == (len(near), 0)


def test_a_client_batch_beside_a_minted_one_in_the_same_commit_is_checked(log):
    batch, minted = minted_entries(10)
    same_ids = [LogEntry("other", e.id, b"{}") for e in batch[:3]]
    minted_result, client_result = log.append_many([minted, same_ids])
    assert minted_result.appended == 10 and client_result.duplicates == 3


def test_chunks_keep_only_the_ids_clients_gave_and_trim_forgets_those(log, clock):
    minted, minted_batch = minted_entries(10)
    given = entries(4, prefix="client")
    log.append_many([minted_batch, given])  # one partition, one chunk
    (ids,) = log._db.reader.execute("SELECT ids FROM chunks").fetchone()
    assert msgspec.json.decode(lz4.frame.decompress(ids)) == [e.id for e in given]
    log.append(minted_entries(5)[1])
    assert log._db.reader.execute("SELECT ids FROM chunks WHERE base=14").fetchone()[0] == b"[]"
    clock.advance(10)
    assert log.trim(int(clock.now() * 1000)) == 19
    assert log._db.reader.execute("SELECT count(*) FROM ids").fetchone()[0] == 0
    assert log.append(given).appended == 4 and log.append(minted).appended == 10


def lines(n, start=0):
    return [f'{{"n":{i}}}'.encode() for i in range(start, start + n)]


def minted_batch(data_lines, key="k", partitions=4):
    ids = EventIdSource().take(1_790_000_000_000, len(data_lines))
    record = RecordBatch(partition_for(key, 4), len(data_lines), b"\n".join(data_lines))
    return MintedBatch(IdRange(ids[0], ids[-1]), partitions, [record])


def test_a_minted_record_batch_larger_than_a_chunk_is_cut_at_line_ends(log):
    part = partition_for("k", 4)
    result = log.append(minted_batch(lines(2 * CHUNK_EVENTS + 7)))
    assert (result.appended, result.records_by_partition) == (2 * CHUNK_EVENTS + 7,
                                                              {part: 2 * CHUNK_EVENTS + 7})
    assert result.bytes_by_partition == {part: sum(map(len, lines(2 * CHUNK_EVENTS + 7)))}
    counts = log._db.reader.execute("SELECT count FROM chunks ORDER BY base").fetchall()
    assert [c for (c,) in counts] == [CHUNK_EVENTS, CHUNK_EVENTS, 7]
    records = log.read(part, 0, 3 * CHUNK_EVENTS)
    assert [r.offset for r in records] == list(range(2 * CHUNK_EVENTS + 7))
    assert [r.data for r in records] == lines(2 * CHUNK_EVENTS + 7)


def test_one_commit_of_entries_and_minted_batches_keeps_their_order_in_full_chunks(log):
    part = partition_for("k", 4)
    given = [LogEntry("k", f"c{i}", data) for i, data in enumerate(lines(1500))]
    first, second, third = log.append_many([given, minted_batch(lines(400, 1500)),
                                            minted_batch(lines(300, 1900))])
    assert (first.appended, second.appended, third.appended) == (1500, 400, 300)
    counts = log._db.reader.execute("SELECT count FROM chunks ORDER BY base").fetchall()
    assert [c for (c,) in counts] == [CHUNK_EVENTS, 200]  # the second batch is cut
    assert [r.data for r in log.read(part, 0, 5000)] == lines(2200)
    (ids,) = log._db.reader.execute("SELECT ids FROM chunks WHERE base=0").fetchone()
    assert msgspec.json.decode(lz4.frame.decompress(ids)) == [e.id for e in given]


def test_a_group_commit_of_many_batches_fills_its_chunks(log):
    part = partition_for("k", 4)
    batches = [[LogEntry("k", f"c{n}-{i}", data) for i, data in enumerate(lines(1001, 1001 * n))]
               for n in range(10)]
    log.append_many(batches)
    rows = log._db.reader.execute("SELECT count, ids FROM chunks ORDER BY base").fetchall()
    assert [count for count, _ in rows] == [CHUNK_EVENTS] * 5 + [10]
    assert [r.data for r in log.read(part, 0, 20_000)] == lines(10_010)
    chunk_ids = [msgspec.json.decode(lz4.frame.decompress(ids)) for _, ids in rows]
    assert chunk_ids[1] == [e.id for batch in batches for e in batch][2000:4000]


def test_a_batch_grouped_for_another_partition_count_is_refused_whole(log):
    with pytest.raises(PartitionCountMismatch, match="for 8 partitions, not this log's 4"):
        log.append_many([entries(3), minted_batch(lines(2), partitions=8)])
    batch = minted_batch(lines(2))
    for record in (RecordBatch(4, 1, b"{}"), RecordBatch(-1, 1, b"{}"), RecordBatch(0, 0, b"")):
        with pytest.raises(ValueError, match="a record batch of"):
            log.append_many([entries(3), MintedBatch(batch.run, 4, [record])])
    assert all(state.next == 0 for state in log.states())


def test_retention_forgets_minted_runs(log, clock):
    batch, minted = minted_entries(5)
    log.append(minted)
    clock.advance(10)
    assert log.trim(int(clock.now() * 1000)) == 5
    assert log.append(batch).appended == 5


def test_a_minted_run_outlives_no_chunk_that_holds_its_events(log, tmp_path):
    part = partition_for("k", 4)
    log.append(entries(1, prefix="late"))  # the partition's append time is now T0
    behind = SqliteLog(tmp_path / "log.db", partitions=4, clock=ManualClock(T0 - 100))
    batch, minted = minted_entries(5)  # a clock 100 s behind: the chunk keeps T0, the run not
    behind.append(minted)
    behind.close()
    assert log.trim(int((T0 - 50) * 1000)) == 0
    assert log.states()[part].first == 0
    assert log.append(batch[:2]).duplicates == 2


def test_replay_appends_may_repeat_an_id(log):
    log.append(entries(1))
    assert log.append(entries(1), dedup=False).appended == 1


def test_ids_with_quotes_and_unicode(log):
    odd = [LogEntry("k", 'a"b\\c', b"{}"), LogEntry("k", "é\u2028ü", b"{}")]
    assert log.append(odd).appended == 2
    assert log.append(odd).duplicates == 2


def test_partition_count_is_fixed_at_creation(tmp_path):
    SqliteLog(tmp_path / "log.db", partitions=4).close()
    with pytest.raises(PartitionCountMismatch, match="has 4 partitions but 8 were configured"):
        SqliteLog(tmp_path / "log.db", partitions=8)


def test_state_survives_reopen(tmp_path, clock):
    log = SqliteLog(tmp_path / "log.db", partitions=2, clock=clock)
    log.append(entries(5))
    log.close()
    log = SqliteLog(tmp_path / "log.db", partitions=2, clock=clock)
    assert log.append(entries(6)).appended == 1
    assert sum(s.next for s in log.states()) == 6


def test_time_seek_and_retention_with_a_manual_clock(log, clock):
    part = partition_for("k", 4)
    for hour in range(5):
        log.append(entries(10, prefix=f"h{hour}"))
        clock.advance(3600)
    assert log.offset_at(part, int(T0 * 1000)) == 0
    assert log.offset_at(part, int((T0 + 2 * 3600) * 1000)) == 20
    assert log.offset_at(part, int((T0 + 2 * 3600 + 1) * 1000)) == 30
    assert log.offset_at(part, int((T0 + 99 * 3600) * 1000)) == 50
    assert log.appended_ms_at(part, 25) == int((T0 + 2 * 3600) * 1000)

    deleted = log.trim(int((T0 + 2 * 3600) * 1000))
    assert deleted == 20
    state = log.states()[part]
    assert (state.first, state.next) == (20, 50)
    assert log.read(part, 0, 5)[0].offset == 20  # trimmed offsets read from the oldest kept
    # a trimmed id may come again: the dedup window is the retention period
    assert log.append(entries(1, prefix="h0")).appended == 1
    assert log.append(entries(1, prefix="h4")).duplicates == 1


def test_chunk_ids_are_compressed_and_plain_json_ids_of_older_logs_still_trim(log, clock):
    log.append(entries(100, prefix="new"))
    with log._db.write() as conn:  # a chunk as logs wrote them before ids were compressed
        conn.execute("INSERT INTO chunks VALUES (0, 1000, 2, ?, ?, ?)",
                     (int(T0 * 1000), b'["old-0","old-1"]', lz4.frame.compress(b"{}\n{}")))
        conn.execute("INSERT INTO ids VALUES ('old-0'), ('old-1')")
    stored = log._db.reader.execute("SELECT ids FROM chunks WHERE base=0").fetchone()[0]
    assert len(stored) < 100 * len("new-00")  # consecutive ids compress well
    clock.advance(10)
    assert log.trim(int(clock.now() * 1000)) == 102
    assert log.append(entries(2, prefix="old")).appended == 2  # the old ids were forgotten
    assert log.append(entries(100, prefix="new")).appended == 100


def test_trimming_everything_keeps_offsets_growing(log, clock):
    log.append(entries(5))
    clock.advance(10)
    log.trim(int(clock.now() * 1000))
    part = partition_for("k", 4)
    assert log.states()[part].first == 5
    log.append(entries(1, prefix="new"))
    assert [r.offset for r in log.read(part, 0, 10)] == [5]


def test_append_times_never_go_back_within_a_partition(tmp_path):
    clock = ManualClock(T0)
    log = SqliteLog(tmp_path / "log.db", partitions=1, clock=clock)
    log.append(entries(1))
    log2 = SqliteLog(tmp_path / "log.db", partitions=1, clock=ManualClock(T0 - 100))
    log2.append(entries(1, prefix="late"))
    assert log.appended_ms_at(0, 1) == int(T0 * 1000)


def _append_in_child(path, prefix):
    log = SqliteLog(path, partitions=2)
    for i in range(20):
        log.append([LogEntry("shared", f"{prefix}-{i}-{j}", b"{}") for j in range(50)])
    log.close()


def test_two_processes_appending_keep_offsets_dense_and_unique(tmp_path):
    path = tmp_path / "log.db"
    SqliteLog(path, partitions=2).close()
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_append_in_child, args=(path, p)) for p in ("a", "b")]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(60)
    log = SqliteLog(path, partitions=2)
    part = partition_for("shared", 2)
    records = log.read(part, 0, 10_000)
    assert [r.offset for r in records] == list(range(2000))


def test_chunks_are_full_and_read_back_in_order_for_any_mix_of_batch_sizes(log):
    import random

    rng = random.Random(7)
    part = partition_for("k", 4)
    expected = []
    for round_ in range(6):
        batches = []
        for n in (rng.choice([1, 7, 999, 2000, 2001, 4500]) for _ in range(rng.randint(1, 4))):
            data = lines(n, len(expected))
            expected += data
            if rng.random() < 0.5:
                batches.append(minted_batch(data))
            else:
                batches.append([LogEntry("k", f"r{round_}-{len(expected)}-{i}", d)
                                for i, d in enumerate(data)])
        before = log.states()[part].next
        log.append_many(batches)
        counts = [c for (c,) in log._db.reader.execute(
            "SELECT count FROM chunks WHERE part=? AND base>=? ORDER BY base", (part, before))]
        assert all(c == CHUNK_EVENTS for c in counts[:-1]) and 0 < counts[-1] <= CHUNK_EVENTS
    assert [r.data for r in log.read(part, 0, len(expected) + 1)] == expected
    chunk_ids = [msgspec.json.decode(lz4.frame.decompress(ids)) if ids != b"[]" else []
                 for (ids,) in log._db.reader.execute("SELECT ids FROM chunks ORDER BY base")]
    assert sum(map(len, chunk_ids)) == log._db.reader.execute(
        "SELECT count(*) FROM ids").fetchone()[0]
