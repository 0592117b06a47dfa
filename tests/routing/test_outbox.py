"""The dispatcher against a real local HTTP receiver, with a manual clock."""

import json

import httpx
import msgspec
import pytest

from tests.receiver import Receiver
from tests.support import T0
from vigila.clock import ManualClock
from vigila.ingest.replay import replay_dead_letters
from vigila.routing.model import FileTarget, WebhookTarget
from vigila.routing.outbox import Backoff, Dispatcher, OutboxEntry
from vigila.routing.targets import TargetDelivery
from vigila.store.base import DeadLetter, OutputRecord, ProcessedBatch
from vigila.store.sqlite import SqliteStore


@pytest.fixture
def store(tmp_path):
    s = SqliteStore(tmp_path / "store.db")
    yield s
    s.close()


def enqueue(store, target, n=1, rule="r", created=T0):
    entries = [OutboxEntry(key=f"{rule}/0/e{i}", rule=rule, target=msgspec.json.encode(target),
                           event_id=f"e{i}", payload=json.dumps({"n": i}).encode(), hops=0,
                           created_ms=int(created * 1000), due_ms=int(created * 1000))
               for i in range(n)]
    store.commit(ProcessedBatch("g", 0, 1, [], [], [], entries))
    return entries


def dispatcher(store, clock, **kw):
    delivery = TargetDelivery(put_outputs=store.put_outputs, append=lambda e: None, max_hops=3,
                              region="r", account="a", http=httpx.Client())
    return Dispatcher(store, delivery, clock, backoff=Backoff(1.0, 60.0), seed=1, **kw)


def test_delivers_once_with_an_idempotency_key(store, receiver):
    clock = ManualClock(T0)
    enqueue(store, WebhookTarget(url=receiver.url + "/hook", headers={"x-team": "sre"}), 3)
    d = dispatcher(store, clock)
    assert d.run_once() == 3
    assert d.run_once() == 0
    assert sorted(json.loads(b)["n"] for b in receiver.bodies()) == [0, 1, 2]
    first = receiver.received[0]
    assert first.headers["idempotency-key"].startswith("r/0/e")
    assert first.headers["x-team"] == "sre" and first.headers["x-vigila-rule"] == "r"
    assert first.headers["content-type"] == "application/json"
    assert store.outbox_counts() == {"delivered": 3}


def test_a_target_down_for_ten_minutes_gets_everything_when_back(store, receiver):
    clock = ManualClock(T0)
    url = receiver.url
    receiver.stop()
    enqueue(store, WebhookTarget(url=url, timeout_seconds=1), 5)
    d = dispatcher(store, clock)
    attempts = 0
    while clock.now() < T0 + 600:
        d.run_once()
        attempts += 1
        clock.advance(5)
    assert store.outbox_counts() == {"pending": 5}
    assert attempts > 10
    back = Receiver(port=int(url.rsplit(":", 1)[1]))
    try:
        clock.advance(120)  # past the longest backoff (60 s)
        d.run_once()
        assert sorted(json.loads(b)["n"] for b in back.bodies()) == [0, 1, 2, 3, 4]
        assert store.outbox_counts() == {"delivered": 5}
    finally:
        back.stop()


def test_backoff_grows_and_retry_after_is_honoured(store, receiver):
    clock = ManualClock(T0)
    enqueue(store, WebhookTarget(url=receiver.url))
    receiver.replies.extend([(503, {}), (503, {}), (429, {"Retry-After": "30"})])
    d = dispatcher(store, clock)
    d.run_once()
    first = store.due_outbox(10**15, 10)[0]
    assert first.attempts == 1 and 500 <= first.due_ms - int(T0 * 1000) <= 2000
    clock.set(first.due_ms / 1000)
    d.run_once()
    second = store.due_outbox(10**15, 10)[0]
    assert 1000 <= second.due_ms - first.due_ms <= 4000
    clock.set(second.due_ms / 1000)
    d.run_once()
    third = store.due_outbox(10**15, 10)[0]
    assert third.due_ms - second.due_ms == 30_000 and "HTTP 429" in third.last_error
    clock.set(third.due_ms / 1000)
    assert d.run_once() == 1


def test_client_errors_are_not_retried(store, receiver):
    clock = ManualClock(T0)
    enqueue(store, WebhookTarget(url=receiver.url))
    receiver.replies.append((400, {}))
    dispatcher(store, clock).run_once()
    (letter,) = store.dead_letters().items
    assert letter.stage == "route:r" and "HTTP 400" in letter.reason
    assert json.loads(letter.raw) == {"n": 0}
    assert store.outbox_counts() == {"dead": 1}


def test_gives_up_after_the_target_allows(store):
    clock = ManualClock(T0)
    enqueue(store, WebhookTarget(url="http://127.0.0.1:9/", retry_for_seconds=30,
                                 timeout_seconds=1))
    d = dispatcher(store, clock)
    for _ in range(20):
        d.run_once()
        clock.advance(10)
    (letter,) = store.dead_letters().items
    assert "delivery failed after" in letter.reason and "ConnectError" in letter.reason


def test_one_failure_per_target_per_pass(store, receiver):
    clock = ManualClock(T0)
    enqueue(store, WebhookTarget(url="http://127.0.0.1:9/", timeout_seconds=1), 50)
    results = []
    dispatcher(store, clock, on_result=lambda *result: results.append(result)).run_once()
    assert results == [("r/0", "failed", 0.0)] + [("r/0", "deferred", 0.0)] * 49
    assert all(e.attempts == 1 for e in store.due_outbox(10**15, 100))


def test_file_target_appends_lines(store, tmp_path):
    clock = ManualClock(T0)
    path = tmp_path / "routed" / "out.ndjson"
    enqueue(store, FileTarget(path=str(path)), 3)
    dispatcher(store, clock).run_once()
    assert [json.loads(line)["n"] for line in path.read_text().splitlines()] == [0, 1, 2]


def test_replayed_batches_do_not_duplicate_outbox_rows(store, receiver):
    clock = ManualClock(T0)
    target = WebhookTarget(url=receiver.url)
    enqueue(store, target, 2)
    dispatcher(store, clock).run_once()
    enqueue(store, target, 2)  # the same batch committed again after a crash
    dispatcher(store, clock).run_once()
    assert len(receiver.received) == 2
    assert store.outbox_counts() == {"delivered": 2}


def test_store_outputs_are_written_by_put_outputs(store):
    store.put_outputs([OutputRecord("route:c", "e1", "r", 5, b"{}")])
    assert store.outputs("route:c")[0].key == "e1"


def test_a_target_that_is_back_gets_its_backlog_at_once(store, receiver):
    clock = ManualClock(T0)
    url = receiver.url
    receiver.stop()
    enqueue(store, WebhookTarget(url=url, timeout_seconds=1), 4)
    d = dispatcher(store, clock)
    for _ in range(6):  # each row's backoff grows on its own, jittered
        clock.advance(70)
        d.run_once()
    back = Receiver(port=int(url.rsplit(":", 1)[1]))
    try:
        first = min(e.due_ms for e in store.due_outbox(10**15, 10))
        clock.set(first / 1000)
        d.run_once()  # one row goes through; the others become due now
        assert len(back.received) == 1
        d.run_once()
        assert [json.loads(b)["n"] for b in back.bodies()][1:] == sorted(
            json.loads(b)["n"] for b in back.bodies()[1:])
        assert store.outbox_counts() == {"delivered": 4}
    finally:
        back.stop()


def test_a_row_whose_target_no_longer_reads_is_dead_lettered_and_the_rest_delivered(
        store, receiver):
    clock = ManualClock(T0)
    good = enqueue(store, WebhookTarget(url=receiver.url + "/hook"), 2)
    bad = OutboxEntry(key="r/1/x", rule="r", target=b'{"type": "carrier-pigeon"}',
                      event_id="x", payload=b"{}", hops=0, created_ms=int(T0 * 1000),
                      due_ms=int(T0 * 1000))
    store.enqueue_outbox([bad])
    dispatcher(store, clock).run_once()
    assert len(receiver.bodies()) == len(good)
    (letter,) = store.dead_letters().items
    assert letter.stage == "route:r" and "no longer reads as a valid target" in letter.reason
    assert store.outbox_counts() == {"delivered": 2, "dead": 1}


def test_failure_reasons_name_the_host_not_the_token_in_the_url(store):
    clock = ManualClock(T0)
    enqueue(store, WebhookTarget(url="http://127.0.0.1:9/services/T0/B0/SLACKSECRET",
                                 timeout_seconds=0.2, retry_for_seconds=0))
    dispatcher(store, clock).run_once()
    (letter,) = store.dead_letters().items
    assert "127.0.0.1:9" in letter.reason and "SLACKSECRET" not in letter.reason


def test_an_event_id_ending_in_a_newline_gets_a_hashed_dedup_key():
    from vigila.routing.outbox import dedup_key

    assert dedup_key("chan/evil\n").startswith("sha256:")
    assert dedup_key("chan/fine") == "chan/fine"


def test_a_dead_delivery_replayed_goes_back_in_the_outbox_and_nothing_else(store, receiver):
    clock = ManualClock(T0)
    enqueue(store, WebhookTarget(url=receiver.url + "/hook"), 2)
    receiver.replies.append((400, {}))  # the first delivery fails for good
    d = dispatcher(store, clock)
    d.run_once()
    (letter,) = store.dead_letters().items
    assert letter.stage == "route:r" and store.outbox_counts() == {"dead": 1, "delivered": 1}

    appended = []
    clock.advance(3600)
    (outcome,) = replay_dead_letters([letter], decoder=None, store=store, clock=clock,
                                     append=lambda entries, dedup: appended.append(entries))
    assert outcome.replayed and outcome.result == f"delivery of event {letter.event_id} " \
        "queued again"
    assert appended == []  # nothing goes back on the log: no rule or processor runs again
    assert d.run_once() == 1
    assert sorted(json.loads(b)["n"] for b in receiver.bodies()) == [0, 1]  # 2xx only
    assert store.outbox_counts() == {"delivered": 2}
    (again,) = replay_dead_letters(store.get_dead_letters([letter.id]), decoder=None,
                                   store=store, clock=clock, append=appended.append)
    assert not again.replayed and again.result == "already replayed"


def test_a_grouped_notification_letter_is_not_replayed(store):
    letter = DeadLetter(stage="route:notify:pager", reason="down", raw=b"{}", raw_size=2,
                        at_ms=int(T0 * 1000), event_id="group-1")
    (letter.id,) = store.add_dead_letters([letter])
    (outcome,) = replay_dead_letters([letter], decoder=None, store=store,
                                     clock=ManualClock(T0), append=lambda *a: None)
    assert not outcome.replayed and "group sends its alerts again" in outcome.result


def test_replaying_one_of_two_twin_letters_queues_its_own_row_only(store, receiver):
    clock = ManualClock(T0)
    twins = [OutboxEntry(key=f"r/{i}/e1", rule="r",
                         target=msgspec.json.encode(WebhookTarget(url=f"{receiver.url}/{i}")),
                         event_id="e1", payload=b'{"same": true}', hops=0,
                         created_ms=int(T0 * 1000), due_ms=int(T0 * 1000)) for i in range(2)]
    store.commit(ProcessedBatch("g", 0, 1, [], [], [], twins))
    receiver.replies.extend([(400, {}), (400, {})])
    d = dispatcher(store, clock)
    d.run_once()
    first, second = sorted(store.dead_letters().items, key=lambda letter: letter.id)
    (outcome,) = replay_dead_letters([first], decoder=None, store=store, clock=clock,
                                     append=lambda *a: None)
    assert outcome.replayed and store.outbox_counts() == {"pending": 1, "dead": 1}
    d.run_once()
    assert [r.path for r in receiver.received] == ["/0"]
    (outcome,) = replay_dead_letters([second], decoder=None, store=store, clock=clock,
                                     append=lambda *a: None)
    assert outcome.replayed
    d.run_once()
    assert sorted(r.path for r in receiver.received) == ["/0", "/1"]


def test_a_store_from_before_rows_knew_their_letter_still_replays(tmp_path, receiver):
    import sqlite3

    with sqlite3.connect(tmp_path / "store.db") as db:  # an outbox without `letter`
        db.execute("CREATE TABLE outbox (key TEXT PRIMARY KEY, rule TEXT NOT NULL, target BLOB"
                   " NOT NULL, event_id TEXT NOT NULL, payload BLOB NOT NULL, hops INTEGER"
                   " NOT NULL, created_ms INTEGER NOT NULL, due_ms INTEGER NOT NULL, attempts"
                   " INTEGER NOT NULL DEFAULT 0, last_error TEXT NOT NULL DEFAULT '', state"
                   " TEXT NOT NULL DEFAULT 'pending', done_ms INTEGER)")
        db.execute("INSERT INTO outbox VALUES ('r/0/e1', 'r', ?, 'e1', ?, 0, 1, 1, 3, 'x',"
                   " 'dead', 7)", (msgspec.json.encode(WebhookTarget(url=receiver.url)), b"{}"))
    old = SqliteStore(tmp_path / "store.db")
    try:
        (letter_id,) = old.add_dead_letters([DeadLetter(
            stage="route:r", reason="x", raw=b"{}", raw_size=2, at_ms=7, event_id="e1")])
        clock = ManualClock(T0)
        (outcome,) = replay_dead_letters(old.get_dead_letters([letter_id]), decoder=None,
                                         store=old, clock=clock, append=lambda *a: None)
        assert outcome.replayed
        assert dispatcher(old, clock).run_once() == 1 and len(receiver.received) == 1
    finally:
        old.close()
