from tests.log.test_sqlite_log import lines, minted_batch
from vigila.log.base import LogEntry
from vigila.log.sqlite import SqliteLog
from vigila.log.writer import LogWriter


def test_group_commit_counts_the_events_of_minted_batches_toward_its_bound(tmp_path):
    log = SqliteLog(tmp_path / "log.db", partitions=4)
    commits = []
    writer = LogWriter(log, max_events=1500, on_commit=commits.append)
    futures = [writer.submit(minted_batch(lines(1000, 1000 * i))) for i in range(3)]
    futures.append(writer.submit([LogEntry("k", "client-1", b"{}")]))
    writer.start()
    try:
        assert [f.result(10).appended for f in futures] == [1000, 1000, 1000, 1]
    finally:
        writer.stop()
        log.close()
    assert [len(results) for results in commits] == [2, 2]
